"""The audit trail is append-only, enforced by PostgreSQL: a trigger on each clinic's
responses_auditentry refuses UPDATE and DELETE (whatever the client: ORM, raw SQL, admin).

The function lives in the public schema (one copy, shared by every clinic schema, created or
replaced idempotently as each schema migrates); the trigger is per table, and clinics cloned
from the template schema get it with the table (django-tenants' clone_schema copies triggers).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.responses_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'responses_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS responses_audit_append_only ON responses_auditentry;
CREATE TRIGGER responses_audit_append_only
    BEFORE UPDATE OR DELETE ON responses_auditentry
    FOR EACH ROW EXECUTE FUNCTION public.responses_audit_append_only();
"""

DROP_TRIGGER = "DROP TRIGGER IF EXISTS responses_audit_append_only ON responses_auditentry;"


class Migration(migrations.Migration):
    dependencies = [("responses", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION + TRIGGER, DROP_TRIGGER),
    ]
