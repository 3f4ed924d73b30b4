"""The HIPAA guard from the command line, one JSON document per line:

    echo '{"text": "Thanks! We reviewed your chart.", "review": "My root canal hurt"}' \
        | python manage.py check_reply
    {"verdict": "block", "findings": [...]}

Each input line is {"text": ..., "review": optional review text}; each output line is the
guard's {"verdict", "findings"}. A line that cannot be read gives {"line": n, "error": ...} and
the next line is read. With --clinic, the clinic's phone, e-mail, contact page, address and
staff names are allowed in the text (as in the app)."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from clinics.models import Clinic


class Command(BaseCommand):
    help = "Check reply texts with the HIPAA guard: JSON lines in, one verdict line out each."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="clinic slug: use its contact details and staff")

    def handle(self, *args, clinic=None, **options):
        from responses.guard import GuardContext, check_reply

        context = GuardContext()
        if clinic:
            found = Clinic.objects.filter(slug=clinic).first()
            if found is None:
                raise CommandError(f"No clinic {clinic!r}.")
            from responses.services.guarding import guard_context

            with schema_context(found.schema_name):
                context = guard_context(clinic=found)
        out = self.stdout
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("expected a JSON object")
                text = item.get("text")
                review = item.get("review")
                if not isinstance(text, str):
                    raise ValueError('"text" must be a string')
                if review is not None and not isinstance(review, str):
                    raise ValueError('"review" must be a string or absent')
            except ValueError as exc:
                out.write(json.dumps({"line": number, "error": str(exc)}, ensure_ascii=False))
                continue
            result = check_reply(text, review_text=review or None, context=context)
            out.write(json.dumps(result.as_dict(), ensure_ascii=False))
