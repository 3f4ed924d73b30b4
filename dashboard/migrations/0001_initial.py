"""ClinicSnapshot moved here from the agency app: the model changes app, its table is renamed
(its rows, indexes and constraints stay)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("agency", "0003_clinicsnapshot_to_dashboard"),
        ("clinics", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClinicSnapshot",
                    fields=[
                        (
                            "clinic",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="snapshot",
                                serialize=False,
                                to="clinics.clinic",
                            ),
                        ),
                        ("new_reviews", models.PositiveIntegerField(default=0)),
                        ("average_rating", models.FloatField(blank=True, null=True)),
                        ("rating_count", models.PositiveIntegerField(default=0)),
                        ("sentiment_daily", models.JSONField(default=list)),
                        ("sentiment_trend", models.FloatField(blank=True, null=True)),
                        ("open_incidents", models.PositiveIntegerField(default=0)),
                        ("unacknowledged_incidents", models.PositiveIntegerField(default=0)),
                        ("top_incident_id", models.BigIntegerField(blank=True, null=True)),
                        ("top_incident_title", models.CharField(blank=True, default="", max_length=300)),
                        ("awaiting_approval", models.PositiveIntegerField(default=0)),
                        ("sla_breaches", models.PositiveIntegerField(default=0)),
                        ("next_sla_due_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("refreshed_at", models.DateTimeField(db_index=True)),
                        ("stale_since", models.DateTimeField(blank=True, db_index=True, null=True)),
                        (
                            "agency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="agency.agency",
                            ),
                        ),
                    ],
                    options={
                        "indexes": [
                            models.Index(fields=["agency", "clinic"], name="snapshot_agency_clinic")
                        ],
                    },
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE agency_clinicsnapshot RENAME TO dashboard_clinicsnapshot",
                    "ALTER TABLE dashboard_clinicsnapshot RENAME TO agency_clinicsnapshot",
                )
            ],
        )
    ]
