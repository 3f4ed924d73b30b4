"""ClinicSnapshot moved to the dashboard app (dashboard 0001 takes over its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agency", "0002_clinic_snapshot")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ClinicSnapshot")],
            database_operations=[],
        )
    ]
