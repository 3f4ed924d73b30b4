from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm in the public schema, which every clinic's search_path holds (django-tenants:
    "<clinic schema>, public"), so that the reviews' trigram index (feeds 0011) resolves
    `gin_trgm_ops` in every clinic, the template and clinics made later. Made here, in the
    public schema's migrations, which migrate_schemas runs before any clinic's: clinics
    migrated in parallel never race to create it."""

    dependencies = [
        ("clinics", "0007_notice_told"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
