"""A new clinic's default facts read as a suggested wording with an internal "To fill in"
hint: until the agency writes the clinic's own statement, such a fact is never sent to the
clinic to confirm (API 400 naming it; "ask all" leaves it out and says how many and why), never
confirmed as it reads (by the clinic: 409; by the agency: 400 on the statement), and the
clinic never sees the hint."""

from __future__ import annotations

from html import unescape

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Notification
from facts.defaults import DEFAULT_FACTS, TEMPLATE_STATEMENTS
from facts.models import Fact, FactVersion
from facts.services import CLINIC_REF
from tests.facts.helpers import fill_in

LICENCES = next(d for d in DEFAULT_FACTS if d["slug"] == "licences")
PORTAL = "/clinics/clinic-a/portal/facts/"


def _state(clinic) -> tuple:
    with schema_context(clinic.schema_name):
        return (
            list(
                Fact.objects.order_by("pk").values_list("pk", "version", "status", "clinic_review")
            ),
            FactVersion.objects.count(),
            Notification.objects.filter(clinic=clinic).count(),
        )


def _fact(clinic, slug: str) -> Fact:
    with schema_context(clinic.schema_name):
        return Fact.objects.get(slug=slug)


def test_a_default_as_it_reads_is_an_unfilled_default_and_an_edited_one_is_not(clinic_a):
    with schema_context(clinic_a.schema_name):
        assert all(f.is_unfilled_default for f in Fact.objects.filter(status="draft"))
        fill_in("licences")
        assert not Fact.objects.get(slug="licences").is_unfilled_default
    # the wording written before the US rewording counts as the template too
    assert "We are open Monday to Friday, 8 am to 6 pm." in TEMPLATE_STATEMENTS["opening-hours"]


def test_the_api_refuses_to_ask_about_an_unfilled_default_naming_it(clinic_a, as_user, mailoutbox):
    licences = _fact(clinic_a, "licences")
    before = _state(clinic_a)
    answer = as_user("alpha_manager", clinic_a).post(
        "facts/ask-clinic/", {"fact_ids": [licences.pk]}
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["detail"] == "The clinic was not asked: nothing was changed."
    assert body["fields"]["fact_ids"] == [
        f"Fact {licences.pk}: “Licenses” still reads as the suggested wording of a default fact "
        f"(to fill in: {LICENCES['prompt']}): write the clinic's own statement first."
    ]
    assert _state(clinic_a) == before and mailoutbox == []


def test_ask_all_leaves_the_unfilled_defaults_out_and_says_how_many_and_why(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        fill_in("licences")
    client = login("alpha_manager")
    url = "/clinics/clinic-a/facts/"
    page = client.get(url).content.decode()
    left = len(DEFAULT_FACTS) - 1
    assert "Ask the clinic to confirm all drafts (1)" in page
    assert f"{left} default facts still read as the suggested wording" in page
    assert client.post(url, {"action": "ask_all"}).status_code == 302
    page = unescape(client.get(url).content.decode())
    assert (
        f"The clinic was asked to confirm “Licenses”; 1 person was told. {left} default facts "
        "were left out: they still read as the suggested wording; fill in the clinic's own "
        "statement first."
    ) in page
    with schema_context(clinic_a.schema_name):
        assert list(
            Fact.objects.filter(clinic_review="waiting").values_list("slug", flat=True)
        ) == ["licences"]


def test_the_clinic_cannot_confirm_an_unfilled_default_nor_see_the_hint(clinic_a, login):
    # given a default asked before the rule (still as suggested, waiting for the clinic)
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="licences").update(
            clinic_review="waiting", clinic_asked_at=timezone.now(), clinic_asked_by="Max"
        )
    licences = _fact(clinic_a, "licences")
    client = login("a_approver")
    page = client.get(PORTAL).content.decode()
    assert LICENCES["statement"] in page
    assert LICENCES["prompt"] not in page and "To fill in" not in page
    assert ">Confirm<span" not in page
    assert "Your agency has not filled this fact in yet" in page
    before = _state(clinic_a)

    refused = client.post(
        PORTAL, {"fact": licences.pk, "action": "confirm", "expected_version": licences.version}
    )
    assert refused.status_code == 409
    assert "“Licenses” cannot be confirmed: your agency has not filled it in yet" in (
        refused.content.decode()
    )
    assert _state(clinic_a) == before


def test_a_filled_in_fact_shows_no_hint_to_the_clinic(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        fill_in("licences")
        Fact.objects.filter(slug="licences").update(
            clinic_review="waiting", clinic_asked_at=timezone.now()
        )
    page = login("a_approver").get(PORTAL).content.decode()
    assert ">Confirm<span" in page and LICENCES["prompt"] not in page
    assert Notification.objects.filter(ref=CLINIC_REF).count() == 0


def test_the_agency_cannot_confirm_an_unfilled_default_as_it_reads(clinic_a, as_user):
    licences = _fact(clinic_a, "licences")
    manager = as_user("alpha_manager", clinic_a)
    before = _state(clinic_a)
    refused = manager.post(f"facts/{licences.pk}/confirm/", {})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "unfilled_default"
    assert body["fields"]["statement"][0].startswith(
        "“Licenses” still reads as the suggested wording of a default fact"
    )
    assert _state(clinic_a) == before
    # with the clinic's own words it is confirmed
    done = manager.post(
        f"facts/{licences.pk}/confirm/",
        {"statement": "Our dentists are licensed by the Ontario board; see cdso.ca."},
    )
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
