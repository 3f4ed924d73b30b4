"""The default facts written at a clinic's set-up were signed "Onboarding", which says nothing
to the person reading a fact's history ("created by Onboarding"). Set-up is now named as
Carewatch's other parts are, "Carewatch at set-up" (the clinic's people read the agency's brand
instead), and its first version of a default fact reads "suggested by Carewatch at set-up".

Only the name shown changes, where set-up wrote it (its label, `system:onboarding`, stays): the
first version it wrote, and the fact's "last changed by" while nobody has changed it since. It
runs in every clinic schema and the clinic template (a new clinic copies the template's facts)."""

from django.db import migrations

OLD, NEW = "Onboarding", "Carewatch at set-up"  # frozen as facts.models.SETUP_NAME
LABEL = "system:onboarding"


def setup_named(apps, schema_editor):
    Fact = apps.get_model("facts", "Fact")
    FactVersion = apps.get_model("facts", "FactVersion")
    written = FactVersion.objects.filter(actor_label=LABEL, actor_name=OLD)
    untouched = written.filter(number=1, fact__version=1).values("fact_id")
    Fact.objects.filter(pk__in=untouched, updated_by=OLD).update(updated_by=NEW)
    written.update(actor_name=NEW)


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0004_defaults_us_english"),
    ]

    operations = [
        migrations.RunPython(setup_named, migrations.RunPython.noop),
    ]
