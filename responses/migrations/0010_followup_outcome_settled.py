"""A private follow-up closed because its review was settled outside it (resolved or set aside
from the inbox, taken down) has its own outcome: "Settled with the review"."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('responses', '0009_legal_asked_version'),
    ]

    operations = [
        migrations.AlterField(
            model_name='privateconversation',
            name='outcome',
            field=models.CharField(blank=True, choices=[('', 'Not yet'), ('solved', 'Problem solved'), ('review_updated', 'Reviewer updated or removed the review'), ('explained', 'Explained; nothing more to do'), ('not_solved', 'Could not solve it'), ('no_answer', 'No answer'), ('settled', 'Settled with the review')], default='', max_length=16),
        ),
    ]
