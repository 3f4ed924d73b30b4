"""A standing banner on every page of a clinic (its agency pages and its client portal) while
any approval step is switched off: what is off, who switched it off, when and why."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name

from responses.models import ResponseSettings


def approval_steps_off(request) -> dict:
    if connection.schema_name == get_public_schema_name():
        return {}
    row = ResponseSettings.objects.filter(pk=1).first()
    if row is None or not row.steps_off:
        return {}
    return {"steps_off_banner": row}
