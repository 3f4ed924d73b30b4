"""Reading the fact sheet."""

from __future__ import annotations

from django.db.models import QuerySet

from facts.models import Fact


def facts_list(*, active_only: bool = False) -> QuerySet[Fact]:
    qs = Fact.objects.all()
    return qs.filter(is_active=True) if active_only else qs
