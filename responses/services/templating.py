"""Reply text variables: {clinic_name}, {clinic_phone}, {clinic_email}, {contact_url},
{contact_line}, {statement_url} (the current statement's own public address), {fact:<slug>}
and {relevant_facts}. A variable with nothing to put in (the
clinic has no e-mail, the fact does not exist) is left as it is: a text that still holds one
cannot be submitted."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from clinics.models import Clinic
from responses.models import Fact, Statement

VARIABLE_RE = re.compile(r"\{(fact:[a-z0-9][a-z0-9_-]*|[a-z][a-z_]*)\}")
VARIABLES = (
    "clinic_name",
    "clinic_phone",
    "clinic_email",
    "contact_url",
    "contact_line",
    "statement_url",
    "relevant_facts",
)


@dataclass
class Rendered:
    text: str
    unresolved: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


def contact_line(clinic: Clinic) -> str:
    parts = [p for p in (clinic.phone, clinic.email, clinic.contact_url) if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def fact_sentence(fact: Fact) -> str:
    """How a reply quotes a fact: its wording and its source. The date it was verified stays on
    the fact sheet: a date next to a mention of care reads like the date of someone's visit
    (the guard rightly questions it)."""
    return f"{fact.statement.strip().rstrip('.')} (source: {fact.source})."


def facts_for_topics(topics: Iterable[str]) -> list[Fact]:
    topics = [t for t in topics if t]
    if not topics:
        return []
    return list(Fact.objects.filter(is_active=True, topics__overlap=topics).order_by("title"))


def current_statement_url(clinic: Clinic) -> str:
    """The permalink of the clinic's current statement (the newest pinned one), or ""."""
    current = (
        Statement.objects.filter(is_pinned=True, published_version__isnull=False)
        .order_by("-published_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if current is None:
        return ""
    return f"{settings.PUBLIC_BASE_URL}/statements/{clinic.slug}/{current}/"


def text_render(text: str, *, clinic: Clinic, review_topics: Iterable[str] = ()) -> Rendered:
    """`text` with every variable that has a value filled in."""
    values = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "clinic_email": clinic.email,
        "contact_url": clinic.contact_url,
        "contact_line": contact_line(clinic),
    }
    if "{statement_url}" in text:
        values["statement_url"] = current_statement_url(clinic)
    wanted = {m.group(1)[5:] for m in VARIABLE_RE.finditer(text) if m.group(1).startswith("fact:")}
    facts = (
        {f.slug: f for f in Fact.objects.filter(slug__in=wanted, is_active=True)} if wanted else {}
    )
    rendered = Rendered(text="")
    relevant: list[Fact] | None = None

    def fill(match: re.Match) -> str:
        nonlocal relevant
        name = match.group(1)
        value = ""
        if name.startswith("fact:"):
            fact = facts.get(name[5:])
            if fact is not None:
                value = fact_sentence(fact)
                rendered.facts.append(fact.slug)
        elif name == "relevant_facts":
            if relevant is None:
                relevant = facts_for_topics(review_topics)
            value = " ".join(fact_sentence(f) for f in relevant)
            rendered.facts.extend(f.slug for f in relevant)
        else:
            value = values.get(name, "")
        if not value:
            rendered.unresolved.append(match.group(0))
            return match.group(0)
        return value

    rendered.text = VARIABLE_RE.sub(fill, text)
    return rendered


def placeholders_left(text: str) -> list[str]:
    return [m.group(0) for m in VARIABLE_RE.finditer(text)]
