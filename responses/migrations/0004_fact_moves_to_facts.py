"""responses.Fact is now facts.Fact (facts/migrations/0001_initial.py renames the table)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("responses", "0003_settings_steps_off_reason"),
        ("facts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Fact")],
        ),
    ]
