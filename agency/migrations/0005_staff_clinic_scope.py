"""Per-clinic scoping of agency staff: `AgencyMembership.all_clinics` (True for everyone who
exists today: nothing changes for them) and the clinics chosen for a writer or analyst who
reaches only those (`agency.StaffClinic`)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0004_privacy_request"),
        ("clinics", "0004_clinic_lifecycle"),
    ]

    operations = [
        migrations.AddField(
            model_name="agencymembership",
            name="all_clinics",
            field=models.BooleanField(default=True),
        ),
        migrations.CreateModel(
            name="StaffClinic",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clinics.clinic",
                    ),
                ),
                (
                    "membership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chosen_clinics",
                        to="agency.agencymembership",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("membership", "clinic"), name="staff_clinic_unique"
                    )
                ],
            },
        ),
    ]
