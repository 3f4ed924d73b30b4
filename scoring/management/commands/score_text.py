import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from clinics.models import Clinic

BATCH = 64


class Command(BaseCommand):
    help = (
        'Score texts: reads JSON lines {"text": ...} on stdin and writes one JSON line '
        '{"label", "score", "topics", "flags", "model"} per input; each topic carries its own '
        '"sentiment" from the sentences that mention it; a false claim carries a '
        '"misinformation" flag with its claim span and the fact or health myth it contradicts '
        '(an input that is not valid gets {"line": n, "error": ...} instead). With --clinic, '
        "claims are also checked against that clinic's fact sheet and its name is ignored by "
        "topics and claims; without it, against the shipped myth library only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", default="", help="Clinic slug (optional).")

    def handle(self, *args, **options):
        from scoring.engine import get_scorer
        from scoring.services import scoring_context

        context: dict = {}
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic with slug {options['clinic']!r}.")
            with schema_context(clinic.schema_name):
                context = scoring_context()
        scorer = get_scorer()
        pending: list[tuple[int, str]] = []

        def flush() -> None:
            if not pending:
                return
            results = scorer.score([text for _, text in pending], **context)
            for (_, _text), result in zip(pending, results, strict=True):
                self.stdout.write(json.dumps({
                    "label": result.label, "score": round(float(result.score), 4),
                    "topics": result.topics, "flags": result.flags, "model": result.model_version,
                }))  # fmt: skip
            pending.clear()

        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                body = json.loads(line)
                text = body["text"]
                if not isinstance(text, str):
                    raise TypeError("text must be a string")
            except (ValueError, KeyError, TypeError) as exc:
                flush()
                reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
                self.stdout.write(
                    json.dumps({"line": number, "error": f"not a valid input: {reason}"})
                )
                continue
            pending.append((number, text))
            if len(pending) >= BATCH:
                flush()
        flush()
