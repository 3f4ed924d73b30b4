import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("clinics", "0003_notification_waits"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportSettings",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "clinic",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="clinics.clinic",
                    ),
                ),
                ("send_monthly", models.BooleanField(default=False)),
                (
                    "extra_recipients",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.EmailField(max_length=254),
                        blank=True,
                        default=list,
                        size=None,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ReportSending",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("month", models.DateField(help_text="the first day of the month reported")),
                ("automatic", models.BooleanField(default=False)),
                ("sent_by_label", models.CharField(max_length=100)),
                ("sent_by_name", models.CharField(blank=True, default="", max_length=200)),
                (
                    "emailed_to",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.EmailField(max_length=254),
                        blank=True,
                        default=list,
                        size=None,
                    ),
                ),
                ("told_in_app", models.PositiveIntegerField(default=0)),
                ("figures", models.JSONField(default=dict)),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(fields=["clinic", "month"], name="report_sending_clinic_month")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("automatic", True)),
                        fields=("clinic", "month"),
                        name="report_sending_one_automatic_per_month",
                    )
                ],
            },
        ),
    ]
