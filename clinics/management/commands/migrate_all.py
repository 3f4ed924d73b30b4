import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from clinics.models import Clinic
from clinics.schemas import schema_is_current, template_schema_ensure


class Command(BaseCommand):
    help = (
        "Migrate the public schema, the clinic template, and every clinic schema that has "
        "unapplied migrations (clinics already up to date are skipped)."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        started = time.perf_counter()
        call_command(
            "migrate_schemas", shared=True, interactive=False, verbosity=max(verbosity - 1, 0)
        )
        template_schema_ensure(verbosity=max(verbosity - 1, 0))
        connection.set_schema_to_public()
        schemas = list(Clinic.objects.order_by("pk").values_list("schema_name", flat=True))
        behind = [schema for schema in schemas if not schema_is_current(schema)]
        for schema in behind:
            call_command(
                "migrate_schemas",
                schema_name=schema,
                tenant=True,
                interactive=False,
                verbosity=max(verbosity - 1, 0),
            )
        connection.set_schema_to_public()
        self.stdout.write(
            f"Migrated: public, template, {len(behind)} clinic(s); {len(schemas) - len(behind)} "
            f"already up to date ({time.perf_counter() - started:.1f} s)."
        )
