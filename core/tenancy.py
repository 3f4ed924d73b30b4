"""The current clinic, the one way: the tenant whose schema this connection uses (in a request,
a task, or `schema_context`). Lives in core so every layer asks the same question the same way;
the model is django-tenants' TENANT_MODEL (`clinics.Clinic`), reached by its setting."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model


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
