from django.core.management.base import CommandError
from django_tenants.utils import schema_context
from tqdm import tqdm

from clinics.models import Clinic
from core.management.base import ServiceCommand
from feeds.models import Review
from scoring.services import scores_write, scoring_context

BATCH = 256


class Command(ServiceCommand):
    help = (
        "Score every review of a clinic that has no score from the current model (after a model "
        "change), with a progress bar. Scores of earlier models are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="Clinic slug.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        from scoring.engine import get_scorer

        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        scorer = get_scorer()
        written = 0
        with schema_context(clinic.schema_name):
            pending = (
                Review.objects.filter(is_deleted=False)
                .exclude(scores__model_version=scorer.version)
                .order_by("pk")
            )
            total = pending.count()
            context = scoring_context()
            with tqdm(
                total=total, unit="review", disable=options["no_progress"], file=self.stderr
            ) as bar:
                last = 0
                while True:
                    rows = list(pending.filter(pk__gt=last).values_list("pk", "text")[:BATCH])
                    if not rows:
                        break
                    results = scorer.score([text for _, text in rows], **context)
                    written += scores_write(
                        results=list(zip([pk for pk, _ in rows], results, strict=True))
                    )
                    last = rows[-1][0]
                    bar.update(len(rows))
        self.stdout.write(
            self.style.SUCCESS(f"{clinic.slug}: {written} reviews scored with {scorer.version}.")
        )
