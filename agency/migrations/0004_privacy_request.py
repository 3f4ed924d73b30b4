"""The privacy requests log (`agency.PrivacyRequest`), append-only as the security log is: a
trigger refuses UPDATE and DELETE on agency_privacyrequest, whatever the client."""

import django.utils.timezone
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION public.agency_privacyrequest_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agency_privacyrequest is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS agency_privacyrequest_append_only ON agency_privacyrequest;
CREATE TRIGGER agency_privacyrequest_append_only
    BEFORE UPDATE OR DELETE ON agency_privacyrequest
    FOR EACH ROW EXECUTE FUNCTION public.agency_privacyrequest_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS agency_privacyrequest_append_only ON agency_privacyrequest;
DROP FUNCTION IF EXISTS public.agency_privacyrequest_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0003_clinicsnapshot_to_dashboard"),
    ]

    operations = [
        migrations.CreateModel(
            name="PrivacyRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("agency_id", models.BigIntegerField(db_index=True)),
                (
                    "action",
                    models.CharField(
                        choices=[("redact", "Redacted"), ("delete", "Deleted")], max_length=8
                    ),
                ),
                ("author", models.CharField(max_length=200)),
                ("reason", models.TextField()),
                ("actor_id", models.BigIntegerField(blank=True, null=True)),
                ("actor_email", models.CharField(blank=True, max_length=254)),
                ("actor_name", models.CharField(blank=True, max_length=200)),
                ("items", models.JSONField(default=list)),
                ("to_check", models.JSONField(blank=True, default=list)),
                ("receipt", models.TextField()),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.RunSQL(FUNCTION, DROP),
    ]
