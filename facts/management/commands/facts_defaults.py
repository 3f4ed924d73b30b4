"""Add the default clinic-safety facts (drafts, to be confirmed) that a clinic's fact sheet
lacks: every clinic, or one with --clinic. Idempotent: facts are matched by slug, and a fact a
clinic changed or deactivated is left as it is."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from clinics.models import Clinic
from facts.services import fact_defaults_ensure


class Command(BaseCommand):
    help = "Add the default clinic-safety facts (to be confirmed) missing from fact sheets."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="clinic slug (default: every clinic)")

    def handle(self, *args, clinic=None, **options):
        clinics = Clinic.objects.exclude(schema_name="public").order_by("slug")
        if clinic:
            clinics = clinics.filter(slug=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic {clinic!r}.")
        for row in clinics:
            with schema_context(row.schema_name):
                added = fact_defaults_ensure()
            names = ", ".join(f.slug for f in added) or "none missing"
            self.stdout.write(f"{row.slug}: {len(added)} added ({names})")
