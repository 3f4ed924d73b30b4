from django.core.management.base import CommandError
from django.db import transaction

from accounts.tokens import invitation_lifetime
from agency.services import agency_create, agency_member_add, staff_duties, user_invite_send
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

    @transaction.atomic  # an owner who could not be invited leaves no agency behind: run again
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
            membership = agency_member_add(
                agency=agency,
                email=o["owner_email"],
                full_name=o["owner_name"],
                role="owner",
                password=o["owner_password"],
            )
            self.stdout.write(f"Owner: {o['owner_email']}")
            if not membership.user.has_usable_password():
                # no password given: the owner chooses one through an invitation, as every
                # person added on a people page does ("Forgot your password?" skips an
                # account without one, so without it they could never sign in)
                sent = user_invite_send(
                    user=membership.user,
                    agency=agency,
                    place=agency.name,
                    duties=[staff_duties(membership)],
                    invited_by="Your administrator",
                )
                if not sent:
                    raise CommandError(
                        f"The invitation e-mail to {o['owner_email']} could not be sent: check "
                        "the mail settings, then run the command again with --owner-password."
                    )
                self.stdout.write(
                    f"An invitation e-mail to {o['owner_email']} has a link to choose a "
                    f"password (it works once, for {invitation_lifetime()})."
                )
