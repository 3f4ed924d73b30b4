"""Walk 14: a confirmed fact with its source ("… (source: Riverside's infection-control policy;
NJ Board of Dentistry inspection, Oct 2026).") made every reply to an X mention 429 characters,
149 over X's 280: one answer for many could not cite the fact on X at all. Past a platform's
limit, a cited fact is quoted without its source; where it fits, with it."""

from __future__ import annotations

from django_tenants.utils import schema_context

from facts.models import Fact, FactStatus
from responses.services.replies import platform_limit
from responses.services.templating import text_render

STATEMENT = (
    "Every needle and syringe we use is single-use: opened in front of the patient and thrown "
    "away after that one use. Reusable instruments are sterilised after every use"
)
SOURCE = (
    "Riverside Family Dental infection-control policy; NJ Board of Dentistry inspection, "
    "October 2026, no findings"
)
TEXT = "Hello, this is not true. {fact:needles-checked} Questions? Call us any time."


def test_a_fact_cited_past_xs_limit_drops_its_source_and_fits(clinic_a):
    with schema_context(clinic_a.schema_name):
        Fact.objects.create(
            slug="needles-checked", title="Needles", statement=STATEMENT, source=SOURCE,
            status=FactStatus.CONFIRMED,
        )  # fmt: skip
        on_google = text_render(TEXT, clinic=clinic_a, limit=platform_limit("google"))
        on_x = text_render(TEXT, clinic=clinic_a, limit=platform_limit("x"))
        without = text_render(TEXT, clinic=clinic_a)

    assert f"(source: {SOURCE})." in on_google.text and on_google.text == without.text
    assert len(without.text) > 280
    assert "source:" not in on_x.text and STATEMENT in on_x.text
    assert len(on_x.text) <= 280 and on_x.facts == ["needles-checked"]
