"""The security log is append-only, enforced by PostgreSQL: a trigger refuses UPDATE and
DELETE on accounts_securityevent (whatever the client: ORM, raw SQL, admin). And every
personal token expires: those issued without an expiry get 30 days from their creation."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.accounts_securityevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'accounts_securityevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS accounts_securityevent_append_only ON accounts_securityevent;
CREATE TRIGGER accounts_securityevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_securityevent
    FOR EACH ROW EXECUTE FUNCTION public.accounts_securityevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_securityevent_append_only ON accounts_securityevent;
DROP FUNCTION IF EXISTS public.accounts_securityevent_append_only();
"""

TOKENS_EXPIRE = """
UPDATE accounts_personaltoken SET expires_at = created_at + interval '30 days'
WHERE expires_at IS NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_security_event")]

    operations = [
        migrations.RunSQL(FUNCTION, DROP),
        migrations.RunSQL(TOKENS_EXPIRE, migrations.RunSQL.noop),
    ]
