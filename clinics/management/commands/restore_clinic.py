from pathlib import Path

from clinics.backups import clinic_restore
from core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Restore one clinic from backup_clinic's files: its schema is replaced by the backup's and "
        "its registry entry recreated if missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="The dump written by backup_clinic.")

    def handle(self, *args, **options):
        clinic = clinic_restore(dump=Path(options["file"]))
        self.stdout.write(
            self.style.SUCCESS(f"Restored {clinic.slug} into schema {clinic.schema_name}.")
        )
