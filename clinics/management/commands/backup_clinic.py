from pathlib import Path

from django.core.management.base import CommandError

from clinics.backups import clinic_backup, registry_path
from clinics.models import Clinic
from core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = "Back up one clinic: its schema (pg_dump custom format) and its registry entry (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True)
        parser.add_argument("--out", required=True, help="Path of the dump file to write.")

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        out = Path(options["out"])
        clinic_backup(clinic=clinic, out=out)
        self.stdout.write(self.style.SUCCESS(f"{clinic.slug}: {out} and {registry_path(out)}"))
