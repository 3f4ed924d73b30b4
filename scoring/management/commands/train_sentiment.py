import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Train the default sentiment model and the misinformation classifier from the labelled "
        "data (../shared/data) and write the artifacts (ONNX int8 encoder, head, model card) "
        "to scoring/ml/artifacts/. Takes a while on a CPU."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data", default=str(settings.DATA_DIR), help="The labelled data folder."
        )
        parser.add_argument(
            "--out", default=str(Path(settings.BASE_DIR) / "scoring" / "ml" / "artifacts")
        )

    def handle(self, *args, **options):
        from scoring.ml.train import train_all

        data = Path(options["data"])
        if not (data / "reviews").is_dir():
            raise CommandError(
                f"{data}: no reviews/ folder here; pass --data <folder of the labelled data>."
            )
        started = time.monotonic()
        card = train_all(data, options["out"], progress=lambda msg: self.stdout.write(str(msg)))
        self.stdout.write(
            self.style.SUCCESS(
                f"Model {card['version']} written to {options['out']} in {time.monotonic() - started:.0f} s."
            )
        )
