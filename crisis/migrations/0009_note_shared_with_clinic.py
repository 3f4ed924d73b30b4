"""Incident notes become the agency's own unless shared with the clinic.

Every existing row gets False, so the notes written before this are internal: they were
written with no word that the clinic reads them (some say "INTERNAL" and still reached the
portal), and which of them their writers meant for the clinic cannot be told afterwards.
Hiding one the clinic had read can be made good by sharing it again; showing one the agency
meant for itself cannot be undone. Other kinds of event ignore the column.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0008_detector_misinformation_min_reach"),
    ]

    operations = [
        # the default marks every existing note internal, in the same statement
        migrations.AddField(
            model_name="incidentevent",
            name="shared_with_clinic",
            field=models.BooleanField(default=False),
        ),
    ]
