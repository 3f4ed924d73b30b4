from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0007_source_replies_by_hand"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="redacted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
