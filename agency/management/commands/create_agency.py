from agency.services import agency_create, agency_member_add
from core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Create an agency, optionally with its owner."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--support-email", required=True)
        parser.add_argument("--display-name", default="")
        parser.add_argument("--colour", default="#1F6FEB", help="Primary colour, like #1F6FEB.")
        parser.add_argument("--owner-email")
        parser.add_argument("--owner-name", default="")
        parser.add_argument("--owner-password")

    def handle(self, *args, **o):
        agency = agency_create(
            name=o["name"],
            slug=o["slug"],
            support_email=o["support_email"],
            display_name=o["display_name"],
            primary_colour=o["colour"],
        )
        self.stdout.write(self.style.SUCCESS(f"Created agency {agency.slug} ({agency.name})."))
        if o["owner_email"]:
            agency_member_add(
                agency=agency,
                email=o["owner_email"],
                full_name=o["owner_name"],
                role="owner",
                password=o["owner_password"],
            )
            self.stdout.write(f"Owner: {o['owner_email']}")
