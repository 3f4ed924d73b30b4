"""The fact sheet moves here from responses (it was responses.Fact): the state is created with
the old table, then the table is renamed. Existing clinic schemas keep their rows."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("responses", "0003_settings_steps_off_reason"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Fact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('slug', models.SlugField(max_length=80, unique=True)),
                ('title', models.CharField(max_length=200)),
                ('statement', models.TextField()),
                ('source', models.CharField(max_length=300)),
                ('source_url', models.URLField(blank=True, default='', max_length=1000)),
                ('verified_on', models.DateField()),
                ('topics', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=64), blank=True, default=list, size=None)),
                ('is_active', models.BooleanField(default=True)),
                ('updated_by', models.CharField(blank=True, default='', max_length=200)),
            ],
            options={
                'ordering': ['title'],
                'db_table': 'responses_fact',
            },
        ),
            ],
        ),
        migrations.AlterModelTable(name='fact', table=None),
    ]
