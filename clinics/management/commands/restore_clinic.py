from pathlib import Path

from clinics.backups import clinic_restore
from core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Restore one clinic from backup_clinic's files: its schema is replaced by the backup's and "
        "its registry entry recreated if missing; a person who has become staff of the clinic's "
        "agency gets no clinic role back (separation of duties), and is named."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="The dump written by backup_clinic.")

    def handle(self, *args, **options):
        clinic, not_restored = clinic_restore(dump=Path(options["file"]))
        self.stdout.write(
            self.style.SUCCESS(f"Restored {clinic.slug} into schema {clinic.schema_name}.")
        )
        for line in not_restored:
            self.stdout.write(self.style.WARNING(f"Not restored: {line}"))
