"""A privacy request's "Still to do" lines by clinic id (`PrivacyRequest.to_check_by_clinic`):
a clinic's portal picked its lines by the clinic-name prefix of `to_check`, and two clinics of
an agency may share a name. Rows logged before carry their lines over where the name is that of
one clinic of the request's items only; a line whose name two of its clinics share stays in
the agency's `to_check` alone (no clinic's portal shows it)."""

from django.db import migrations, models

TRIGGER = "agency_privacyrequest_append_only"


def lines_by_clinic(apps, schema_editor):
    PrivacyRequest = apps.get_model("agency", "PrivacyRequest")
    rows = list(PrivacyRequest.objects.exclude(to_check=[]))
    if not rows:
        return
    table = PrivacyRequest._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}")
        for row in rows:
            ids: dict[str, set] = {}
            for item in row.items:
                ids.setdefault(item.get("clinic_name") or "", set()).add(item.get("clinic_id"))
            lines = []
            for line in row.to_check:
                # the longest name the line starts with (a name may hold ": " itself)
                name = max((n for n in ids if n and line.startswith(f"{n}: ")), key=len, default="")
                if name and len(ids[name]) == 1:
                    lines.append(
                        {"clinic_id": next(iter(ids[name])), "text": line[len(name) + 2 :]}
                    )
            PrivacyRequest.objects.filter(pk=row.pk).update(to_check_by_clinic=lines)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0005_staff_clinic_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="privacyrequest",
            name="to_check_by_clinic",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(lines_by_clinic, migrations.RunPython.noop),
    ]
