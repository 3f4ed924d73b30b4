"""The current clinic, the one way: the tenant whose schema this connection uses (in a request,
a task, or `schema_context`). Lives in core so every layer asks the same question the same way;
the model is django-tenants' TENANT_MODEL (`clinics.Clinic`), reached by its setting. And the
one way to read a table in every clinic's schema at once (`clinic_schemas_select`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model
from psycopg import sql


def current_clinic():
    """The clinic (with its agency) whose schema the connection is in. RuntimeError in the
    public schema or a schema that belongs to no clinic."""
    schema = connection.schema_name
    tenant = getattr(connection, "tenant", None)
    model = get_tenant_model()
    if isinstance(tenant, model) and tenant.schema_name == schema and tenant.pk is not None:
        return tenant
    if schema != get_public_schema_name():
        clinic = model.objects.select_related("agency").filter(schema_name=schema).first()
        if clinic is not None:
            return clinic
    raise RuntimeError(f"Not inside a clinic's schema (schema {schema!r}).")


def current_clinic_id() -> int | None:
    """The current clinic's id, or None outside a clinic's schema."""
    try:
        return current_clinic().pk
    except RuntimeError:
        return None


# A statement reads at most this many schemas: a UNION ALL over thousands of clinics would be
# megabytes of SQL, planned as one; chunks keep each statement small and its plan cheap.
SCHEMAS_PER_STATEMENT = 200


def clinic_schemas_select(
    select: str, params: Sequence = (), *, table: str, exclude: Iterable[str] = ()
) -> list[tuple]:
    """Rows of `select` read in every clinic's schema (but those of `exclude`), each row with
    its schema's name first. `select` is one SELECT over `{table}`, which becomes the quoted
    `"schema"."table"` (write any other brace doubled); its `%s` are bound to `params` in each
    schema. Only schemas of clinics that exist, and hold `table`, are read (never a spare
    copy, the template or a schema being dropped), joined by UNION ALL in statements of at
    most SCHEMAS_PER_STATEMENT schemas. Read-only: call it in a transaction (savepoint) when
    the caller goes on after a DatabaseError."""
    skip = {*exclude, get_public_schema_name()}
    named = [
        s for s in get_tenant_model().objects.values_list("schema_name", flat=True) if s not in skip
    ]
    if not named:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = %s AND n.nspname = ANY(%s) ORDER BY n.nspname",
            [table, named],
        )
        schemas = [row[0] for row in cursor.fetchall()]
    branch = sql.SQL("SELECT %s::text, t.* FROM ({select}) AS t")
    rows: list[tuple] = []
    for start in range(0, len(schemas), SCHEMAS_PER_STATEMENT):
        chunk = schemas[start : start + SCHEMAS_PER_STATEMENT]
        union = sql.SQL(" UNION ALL ").join(
            branch.format(select=sql.SQL(select).format(table=sql.Identifier(schema, table)))
            for schema in chunk
        )
        bound = [value for schema in chunk for value in (schema, *params)]
        with connection.cursor() as cursor:
            cursor.execute(union.as_string(connection.connection), bound)
            rows += cursor.fetchall()
    return rows
