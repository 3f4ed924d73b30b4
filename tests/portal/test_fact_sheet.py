"""The portal's fact sheet (`portal/fact-sheet/`): every confirmed, active fact as the agency
may quote it, with its source and who confirmed it, read-only, for everyone of the clinic (the
onboarding walk: once the last fact was confirmed its tab went, and the clinic could no longer
read the words its agency cites in public). Drafts and facts taken out of use are not on it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from facts.models import Fact, FactStatus

URL = "/clinics/clinic-a/portal/fact-sheet/"


@pytest.fixture
def sheet(clinic_a) -> dict[str, Fact]:
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        Fact.objects.all().delete()  # the onboarding defaults (drafts); rolled back
        common = {"status": FactStatus.CONFIRMED, "confirmed_at": now}
        return {
            "clinic": Fact.objects.create(
                slug="hours", title="Opening hours", statement="Monday to Friday 8am-6pm.",
                confirmed_as="clinic", confirmed_by="A Approver", **common,
            ),
            "agency": Fact.objects.create(
                slug="needles", title="Single-use needles",
                statement="Every needle we use is single-use and sealed.",
                source="Infection-control policy", source_url="https://clinic-a.example/ic",
                confirmed_as="agency", confirmed_by="Alpha Manager", **common,
            ),
            "draft": Fact.objects.create(
                slug="prices", title="Prices", statement="A cleaning is $189.",
                status=FactStatus.DRAFT,
            ),
            "retired": Fact.objects.create(
                slug="parking", title="Parking", statement="Free parking behind the building.",
                is_active=False, **common,
            ),
        }  # fmt: skip


@pytest.mark.parametrize("who", ["a_approver", "a_viewer", "a_legal"])
def test_everyone_of_the_clinic_reads_the_confirmed_facts_only(who, sheet, login):
    page = login(who).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 confirmed facts: your agency" in html
    for key in ("clinic", "agency"):
        assert f'id="fact-{sheet[key].pk}"' in html and sheet[key].statement in html
    for key in ("draft", "retired"):
        assert f'id="fact-{sheet[key].pk}"' not in html
    assert "Confirmed by the clinic (A Approver) on " in html
    assert "Confirmed by your agency for the clinic (Alpha Manager) on " in html
    assert 'href="https://clinic-a.example/ic" rel="noopener noreferrer"' in html
    assert "<form" not in html[html.index('id="portal-lead"') :].split("</main>")[0]


def test_the_overview_links_it_and_an_empty_sheet_says_what_that_means(clinic_a, login):
    client = login("a_approver")
    home = client.get("/clinics/clinic-a/portal/").content.decode()
    assert f'href="{URL}" data-testid="fact-sheet-link">Your fact sheet</a>' in home
    with schema_context(clinic_a.schema_name):
        Fact.objects.update(status=FactStatus.DRAFT)  # rolled back
    html = client.get(URL).content.decode()
    assert "No fact is confirmed yet" in html


def test_another_clinics_person_gets_404(sheet, login):
    assert login("b_approver").get(URL).status_code == 404
