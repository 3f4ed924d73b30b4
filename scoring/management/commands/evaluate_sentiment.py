import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Accuracy, macro-F1, per-class F1 and negative recall of the current model on each "
        "held-out split of the labelled data, next to VADER in the same run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data", default=str(settings.DATA_DIR), help="The labelled data folder."
        )
        parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")

    def handle(self, *args, **options):
        from scoring.engine import get_scorer
        from scoring.ml.evaluate import evaluate_all, format_table

        data = Path(options["data"])
        if not (data / "reviews").is_dir():
            raise CommandError(
                f"{data}: no reviews/ folder here; pass --data <folder of the labelled data>."
            )
        rows = evaluate_all(data, scorer=get_scorer())
        self.stdout.write(json.dumps(rows, indent=2) if options["json"] else format_table(rows))
