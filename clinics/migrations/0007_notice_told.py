"""`NoticeTold`: whom `people_notify` told what waits for them, whatever their channels. What
waits now (an open message, or one owed to the hourly digest) is carried over, so nobody is
told it again after the upgrade."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def told_from_waiting(apps, schema_editor):
    Notification = apps.get_model("clinics", "Notification")
    NoticeTold = apps.get_model("clinics", "NoticeTold")
    waiting = (
        Notification.objects.filter(models.Q(open=True) | models.Q(email_pending=True), waits=True)
        .order_by()
        .values_list("clinic_id", "ref", "user_id")
        .distinct()
    )
    NoticeTold.objects.bulk_create(
        [NoticeTold(clinic_id=c, ref=r, user_id=u) for c, r, u in waiting.iterator()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0006_chat_webhook_last_test'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NoticeTold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ref', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinics.clinic')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('clinic', 'ref', 'user'), name='notice_told_once')],
            },
        ),
        migrations.RunPython(told_from_waiting, migrations.RunPython.noop),
    ]
