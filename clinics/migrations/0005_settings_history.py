"""The settings history: one line per setting changed (`clinics.SettingChange`), written by
`clinics.history.settings_changed` in the transaction of the change."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0005_staff_clinic_scope"),
        ("clinics", "0004_clinic_lifecycle"),
    ]

    operations = [
        migrations.CreateModel(
            name="SettingChange",
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
                (
                    "area",
                    models.CharField(
                        choices=[
                            ("general", "General (name, contact details, time zone)"),
                            ("sla", "Response targets (SLA)"),
                            ("detectors", "Crisis detectors"),
                            ("alerts", "On-call list"),
                            ("chat", "Chat webhooks (Slack, Teams)"),
                            ("replies", "Reply approvals, staff names and practice contacts"),
                            ("templates", "Reply templates"),
                            ("reports", "Monthly report"),
                            ("sources", "Sources"),
                            ("branding", "Agency branding"),
                        ],
                        max_length=16,
                    ),
                ),
                ("setting", models.CharField(max_length=200)),
                ("old_value", models.TextField(blank=True, default="")),
                ("new_value", models.TextField(blank=True, default="")),
                ("actor_label", models.CharField(max_length=100)),
                ("actor_name", models.CharField(blank=True, default="", max_length=200)),
                (
                    "via",
                    models.CharField(
                        choices=[
                            ("page", "Settings page"),
                            ("api", "API"),
                            ("other", "Carewatch (no page or API)"),
                        ],
                        max_length=8,
                    ),
                ),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agency.agency",
                    ),
                ),
                (
                    "clinic",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["agency", "-created_at", "-id"], name="setting_change_agency"
                    ),
                    models.Index(
                        fields=["clinic", "-created_at", "-id"], name="setting_change_clinic"
                    ),
                ],
            },
        ),
    ]
