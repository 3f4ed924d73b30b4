import time

from django.core.management.base import CommandError

from agency.models import Agency
from clinics.services import clinic_create
from core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Create a clinic (its own schema, cloned from the template) in an agency."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="Agency slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--specialty", action="append", default=[], dest="specialties")
        parser.add_argument("--phone", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--contact-url", default="")
        parser.add_argument("--reply-target-minutes", type=int, default=24 * 60)

    def handle(self, *args, **o):
        agency = Agency.objects.filter(slug=o["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency with slug {o['agency']!r}.")
        started = time.perf_counter()
        clinic = clinic_create(
            agency=agency,
            name=o["name"],
            slug=o["slug"],
            timezone=o["timezone"],
            specialties=o["specialties"],
            phone=o["phone"],
            email=o["email"],
            contact_url=o["contact_url"],
            reply_target_minutes=o["reply_target_minutes"],
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Clinic {clinic.slug} ready in schema {clinic.schema_name} ({elapsed:.2f} s): "
                f"/clinics/{clinic.slug}/"
            )
        )
