from pathlib import Path

from django.core.management.base import CommandError
from django_tenants.utils import schema_context
from tqdm import tqdm

from clinics.models import Clinic
from core.management.base import ServiceCommand
from feeds.services import CSV_COLUMNS, csv_import, csv_open, csv_text


class Command(ServiceCommand):
    help = (
        "Import reviews and mentions from a CSV into a clinic. Columns: "
        + ",".join(CSV_COLUMNS)
        + " (ISO 8601 times, rating empty for mentions). Bad rows are reported by line number; "
        "good rows are imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="Clinic slug.")
        parser.add_argument("file", help="Path to a UTF-8 CSV file.")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--past-reviews",
            action="store_true",
            help="These are past reviews (the clinic's history): no reply clock runs for the "
            "reviews created, so they never count against the reply target.",
        )

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        text = csv_text(path.read_bytes())
        total = max(text.count("\n") - 1, 0) if text.endswith("\n") else text.count("\n")
        with (
            schema_context(clinic.schema_name),
            tqdm(total=total, unit="row", disable=options["no_progress"], file=self.stderr) as bar,
        ):
            result = csv_import(
                stream=csv_open(text), progress=bar.update, as_past=options["past_reviews"]
            )
        for error in result.errors:
            self.stderr.write(f"{path.name}:{error['line']}: {error['error']}")
        if result.error_count > len(result.errors):
            self.stderr.write(
                f"... and {result.error_count - len(result.errors)} more rejected lines."
            )
        summary = (
            f"{clinic.slug}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.error_count} rejected."
        )
        self.stdout.write(self.style.SUCCESS(summary) if not result.error_count else summary)
