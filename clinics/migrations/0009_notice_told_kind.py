"""`NoticeTold.kind`: the kind of what was told (approval, draft, …), so that what waits for a
person is counted whatever their channels (the dashboard's "Start here"), not only from the
banner's open messages. Rows already there take the kind of their notice."""

from django.db import migrations, models
from django.db.models.functions import Coalesce


def kind_from_notices(apps, schema_editor):
    Notification = apps.get_model("clinics", "Notification")
    NoticeTold = apps.get_model("clinics", "NoticeTold")
    kind = (
        Notification.objects.filter(
            user_id=models.OuterRef("user_id"),
            clinic_id=models.OuterRef("clinic_id"),
            ref=models.OuterRef("ref"),
        )
        .order_by("-created_at", "-pk")
        .values("kind")[:1]
    )
    NoticeTold.objects.filter(kind="").update(
        kind=Coalesce(models.Subquery(kind), models.Value(""))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0008_pg_trgm_extension"),
    ]

    operations = [
        migrations.AddField(
            model_name="noticetold",
            name="kind",
            field=models.CharField(blank=True, default="", max_length=24),
        ),
        migrations.RunPython(kind_from_notices, migrations.RunPython.noop),
    ]
