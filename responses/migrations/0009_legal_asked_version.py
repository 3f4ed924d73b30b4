"""Legal is asked to review a guard block only when its writer submits the blocked version
(`legal_asked_version`). Texts that waited for legal before this field existed (blocked, not
overridden, not sent back, still open) keep waiting: they count as asked."""

from django.db import migrations, models
from django.db.models import F

OPEN = ["draft", "changes_requested"]


def asked_before(apps, schema_editor):
    for name in ("ReplyDraft", "Statement", "ReplyBatch"):
        model = apps.get_model("responses", name)
        (
            model.objects.filter(guard_verdict="block", status__in=OPEN)
            .exclude(override_version=F("version"))
            .exclude(override_refused_version=F("version"))
            .update(legal_asked_version=F("version"))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0008_override_refused_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="replybatch",
            name="legal_asked_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="replydraft",
            name="legal_asked_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="statement",
            name="legal_asked_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(asked_before, migrations.RunPython.noop),
    ]
