"""The default facts in US English for the clinics created from now on (they are in the US and
Canada): a new clinic copies the clinic template, facts included, so the template's untouched
drafts (version 1, still to be confirmed) get the new wording, their first version too. It runs
in every clinic schema but changes only the template's: a clinic's own facts, drafts or not,
stay as they are (its people may have read, edited or cited them). Slugs never change: replies
cite them (`{fact:<slug>}`)."""

from django.conf import settings
from django.db import migrations

# slug -> field -> (the wording written before, the US wording), frozen as facts/defaults.py had
# them when this migration was written
REWORDED = {
    "needles-single-use": {
        "statement": (
            "Every needle and syringe we use is single-use, sealed until use and discarded in a "
            "sharps container straight after.",
            "Every needle and syringe we use is single-use, sealed until use and discarded in a "
            "sharps container immediately afterward.",
        ),
    },
    "instrument-sterilisation": {
        "title": ("Sterilisation of instruments", "Sterilization of instruments"),
        "statement": (
            "Reusable instruments are cleaned and sterilised in an autoclave after every "
            "patient, and each cycle is tested and logged.",
            "Reusable instruments are cleaned and sterilized in an autoclave after every "
            "patient, and each cycle is tested and logged.",
        ),
        "prompt": (
            "Describe how reusable instruments are sterilised and how cycles are checked.",
            "Describe how reusable instruments are sterilized and how cycles are checked.",
        ),
    },
    "vaccine-storage-expiry": {
        "title": ("Vaccine storage and expiry checks", "Vaccine storage and expiration checks"),
        "statement": (
            "Vaccines are stored in monitored medical refrigerators, and every dose's expiry "
            "date is checked before it is given.",
            "Vaccines are stored in monitored medical refrigerators, and every dose's "
            "expiration date is checked before it is given.",
        ),
        "prompt": (
            "Say how vaccines are stored and how expiry dates are checked.",
            "Say how vaccines are stored and how expiration dates are checked.",
        ),
    },
    "licences": {
        "title": ("Licences", "Licenses"),
        "statement": (
            "All our clinicians hold current licences with their state board, which anyone can "
            "verify online.",
            "All our clinicians hold current licenses with their state or provincial board, "
            "which anyone can verify online.",
        ),
        "prompt": (
            "Name the licensing boards and where the public can check a licence.",
            "Name the licensing boards and where the public can check a license.",
        ),
    },
    "opening-hours": {
        "title": ("Opening hours", "Office hours"),
        "statement": (
            "We are open Monday to Friday, 8 am to 6 pm.",
            "We are open Monday through Friday, 8 a.m. to 6 p.m.",
        ),
        "prompt": ("Give the clinic's opening hours.", "Give the clinic's office hours."),
    },
}
VERSIONED = ("title", "statement")  # what a FactVersion keeps of these fields


def defaults_us_english(apps, schema_editor):
    if getattr(schema_editor.connection, "schema_name", None) != settings.CLINIC_TEMPLATE_SCHEMA:
        return
    Fact = apps.get_model("facts", "Fact")
    FactVersion = apps.get_model("facts", "FactVersion")
    for slug, fields in REWORDED.items():
        fact = Fact.objects.filter(slug=slug, status="draft", version=1).first()
        if fact is None:
            continue
        changed = {name: new for name, (old, new) in fields.items() if getattr(fact, name) == old}
        if not changed:
            continue
        Fact.objects.filter(pk=fact.pk).update(**changed)
        kept = {name: value for name, value in changed.items() if name in VERSIONED}
        if kept:
            FactVersion.objects.filter(fact=fact, number=1).update(**kept)


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0003_clinic_confirms"),
    ]

    operations = [
        migrations.RunPython(defaults_us_english, migrations.RunPython.noop),
    ]
