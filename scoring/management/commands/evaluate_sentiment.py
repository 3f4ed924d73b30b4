import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_OUT = Path(settings.BASE_DIR) / "bench" / "sentiment" / "evaluate.json"


class Command(BaseCommand):
    help = (
        "Per-source held-out quality of the current model (RateMDs, Healthgrades, drugs.com, "
        "druglib, NHS v6, NHS phase 1): accuracy, macro-F1, per-class F1, negative recall and "
        "precision, the share of 5-star reviews labelled negative; VADER beside it in the same "
        "run; raw scoring throughput on one thread; the issue-19 targets. Writes the report to "
        "bench/sentiment/evaluate.json."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data", default=str(settings.DATA_DIR), help="The labelled data folder."
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--out", default=str(DEFAULT_OUT), help="Write the report here ('' to skip)."
        )

    def handle(self, *args, **options):
        from scoring.engine import get_scorer
        from scoring.ml.evaluate import format_report, report

        data = Path(options["data"])
        if not (data / "reviews").is_dir():
            raise CommandError(
                f"{data}: no reviews/ folder here; pass --data <folder of the labelled data>."
            )
        rep = report(data, scorer=get_scorer())
        text = json.dumps(rep, indent=2)
        self.stdout.write(text if options["json"] else format_report(rep))
        if options["out"]:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
