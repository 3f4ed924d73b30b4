"""The fact sheet: default clinic-safety facts to confirm, versions with who/when/what,
restore, deactivation, bad input (400/409, nothing stored), who may change it, and the page."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from facts.defaults import DEFAULT_FACTS
from facts.models import Fact, FactVersion
from tests.responses.conftest import review_in

DEFAULT_SLUGS = sorted(d["slug"] for d in DEFAULT_FACTS)
NEEDLES = "Every needle we use is single-use and sealed until it is opened in front of you."


def _fact(api, slug: str) -> dict:
    return next(f for f in api.get("facts/", page_size=100).json()["results"] if f["slug"] == slug)


def _counts(clinic) -> tuple[int, int]:
    with schema_context(clinic.schema_name):
        return Fact.objects.count(), FactVersion.objects.count()


def test_every_clinic_starts_with_the_default_facts_as_drafts_never_cited(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    facts = manager.get("facts/", page_size=100).json()["results"]
    drafts = sorted(f["slug"] for f in facts if f["status"] == "draft")
    assert drafts == DEFAULT_SLUGS
    needles = _fact(manager, "needles-single-use")
    assert (needles["citable"], needles["version"], needles["prompt"] != "") == (False, 1, True)
    assert [
        v["action"] for v in manager.get(f"facts/{needles['id']}/versions/").json()["results"]
    ] == ["created"]

    # a draft is never cited: a reply quoting it is refused before saving, naming it
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    text = "This is false. {fact:needles-single-use}"
    refused = writer.post("drafts/", {"review_id": review.pk, "text": text})
    assert refused.status_code == 400
    assert refused.json()["fields"]["text"] == [
        "{fact:needles-single-use}: no confirmed fact on the fact sheet has this slug."
    ]

    # filled in and confirmed, it is cited
    confirmed = manager.post(
        f"facts/{needles['id']}/confirm/", {"statement": NEEDLES, "expected_version": 1}
    )
    assert confirmed.status_code == 200, confirmed.json()
    body = confirmed.json()
    assert (body["status"], body["citable"], body["version"]) == ("confirmed", True, 2)
    assert body["confirmed_by"] and body["verified_on"]
    draft = writer.post("drafts/", {"review_id": review.pk, "text": text})
    assert draft.status_code == 201, draft.json()
    assert draft.json()["text"] == f"This is false. {NEEDLES}"
    history = manager.get(f"facts/{needles['id']}/versions/").json()["results"]
    assert [(v["number"], v["action"], v["changed"]) for v in history] == [
        (2, "confirmed", ["statement"]),
        (1, "created", ["title", "statement", "topics"]),
    ]
    assert history[0]["actor_name"] and history[0]["statement"] == NEEDLES


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "Parking", "statement": ""}, 400, "statement"),
        ({"title": "Parking", "statement": "   "}, 400, "statement"),
        ({"title": "Parking", "statement": "Call {clinic_phone} to park."}, 400, "statement"),
        ({"title": "Parking", "statement": "x" * 501}, 400, "statement"),
        ({"title": "", "statement": "Free parking behind the building."}, 400, "title"),
        ({"title": "P", "statement": "Free parking.", "source_url": "ftp://x"}, 400, "source_url"),
        ({"title": "P", "statement": "Free parking.", "slug": "has spaces"}, 400, "slug"),
        ({"title": "P", "statement": "Free parking.", "slug": "licences"}, 409, "slug"),
        ({"title": "Licences", "statement": "Free parking."}, 409, "slug"),
        ({"title": "<script>x</script>", "statement": "We are open."}, 400, "title"),
        ({"title": "Hours", "statement": "<b>We</b> are open."}, 400, "statement"),
        ({"title": "Hours", "statement": "We are open.</p>"}, 400, "statement"),
        ({"title": "Hours", "statement": "Open.", "source": "<a href=x>site</a>"}, 400, "source"),
    ],
    ids=[
        "empty-statement",
        "blank-statement",
        "variable-in-statement",
        "long-statement",
        "no-title",
        "bad-link",
        "bad-slug",
        "duplicate-slug",
        "duplicate-slug-from-title",
        "script-in-title",
        "tag-in-statement",
        "closing-tag-in-statement",
        "link-in-source",
    ],
)
def test_bad_facts_are_refused_with_field_messages_and_nothing_stored(
    body, status, field, clinic_a, as_user
):
    manager = as_user("alpha_manager", clinic_a)
    before = _counts(clinic_a)
    answer = manager.post("facts/", body)
    assert answer.status_code == status, answer.json()
    assert field in answer.json()["fields"]
    assert _counts(clinic_a) == before


MARKUP_REFUSED = "Write plain text: HTML tags such as <b> or <script> are not allowed."


def test_markup_in_a_fact_is_refused_and_never_reaches_a_reply(clinic_a, as_user, login):
    manager = as_user("alpha_manager", clinic_a)
    before = _counts(clinic_a)
    answer = manager.post(
        "facts/", {"title": "<script>x</script>", "statement": "<b>We</b> are open."}
    )
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"title": [MARKUP_REFUSED], "statement": [MARKUP_REFUSED]}
    # the page's form is refused the same way
    page = login("alpha_manager").post(
        f"/clinics/{clinic_a.slug}/facts/",
        {"title": "Hours", "statement": "<b>We</b> are open.", "confirm": "on"},
    )
    assert page.status_code == 400
    assert "Write plain text: HTML tags such as &lt;b&gt;" in page.content.decode()
    assert _counts(clinic_a) == before
    # an edit cannot add it either; plain text with < and > stays plain text
    fid = manager.post("facts/", {"title": "Hours", "statement": "Open 8 to 6."}).json()["id"]
    edited = manager.patch(f"facts/{fid}/", {"statement": "<i>Open</i> 8 to 6."})
    assert edited.status_code == 400
    assert edited.json()["fields"] == {"statement": [MARKUP_REFUSED]}
    fine = manager.patch(f"facts/{fid}/", {"statement": "Waits < 10 min, ages 2 -> 12 <3."})
    assert fine.status_code == 200, fine.json()
    review = review_in(clinic_a)
    draft = manager.post("drafts/", {"review_id": review.pk, "text": "{fact:hours}"})
    assert draft.json()["text"] == "Waits < 10 min, ages 2 -> 12 <3."


def test_edits_are_versions_that_can_be_restored(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    created = manager.post(
        "facts/",
        {"slug": "parking", "title": "Parking", "statement": "Free parking behind the building."},
    ).json()
    fid = created["id"]
    assert (created["status"], created["citable"], created["source"]) == ("confirmed", True, "")

    edited = manager.patch(
        f"facts/{fid}/", {"statement": "Free parking on Elm Street.", "expected_version": 1}
    )
    assert edited.json()["version"] == 2
    # an edit of an older version is a conflict, and changes nothing
    stale = manager.patch(f"facts/{fid}/", {"statement": "Paid parking.", "expected_version": 1})
    assert stale.status_code == 409
    assert stale.json()["fields"]["expected_version"] == ["The current version is 2."]
    # an empty statement is refused and changes nothing
    empty = manager.patch(f"facts/{fid}/", {"statement": ""})
    assert empty.status_code == 400 and "statement" in empty.json()["fields"]
    assert manager.get(f"facts/{fid}/").json()["statement"] == "Free parking on Elm Street."

    restored = manager.post(f"facts/{fid}/versions/1/restore/", {"expected_version": 2})
    assert restored.status_code == 200, restored.json()
    assert restored.json()["statement"] == "Free parking behind the building."
    assert manager.post(f"facts/{fid}/versions/9/restore/").status_code == 404
    history = manager.get(f"facts/{fid}/versions/").json()["results"]
    assert [(v["number"], v["action"], v["restored_from"]) for v in history] == [
        (3, "restored", 1),
        (2, "updated", None),
        (1, "created", None),
    ]


def test_delete_deactivates_and_keeps_the_history(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    fid = manager.post("facts/", {"title": "Hours", "statement": "Open 8 to 6."}).json()["id"]
    assert manager.client.delete(manager.url(f"facts/{fid}/")).status_code == 204
    fact = manager.get(f"facts/{fid}/").json()
    assert (fact["is_active"], fact["citable"]) == (False, False)
    review = review_in(clinic_a)
    refused = manager.post("drafts/", {"review_id": review.pk, "text": "{fact:hours}"})
    assert refused.status_code == 400
    back = manager.patch(f"facts/{fid}/", {"is_active": True}).json()
    assert back["citable"] is True
    actions = [v["action"] for v in manager.get(f"facts/{fid}/versions/").json()["results"]]
    assert actions == ["reactivated", "deactivated", "created"]


def test_only_managers_change_the_fact_sheet_everyone_reads_it(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    fid = _fact(manager, "licences")["id"]
    before = _counts(clinic_a)
    assert writer.post("facts/", {"title": "X", "statement": "Y."}).status_code == 403
    assert writer.patch(f"facts/{fid}/", {"statement": "Y."}).status_code == 403
    assert writer.post(f"facts/{fid}/confirm/").status_code == 403
    assert writer.post(f"facts/{fid}/versions/1/restore/").status_code == 403
    assert writer.client.delete(writer.url(f"facts/{fid}/")).status_code == 403
    assert _counts(clinic_a) == before
    assert writer.get(f"facts/{fid}/versions/").status_code == 200
    assert writer.get(f"facts/{fid}/").json()["slug"] == "licences"


def test_fact_sheet_page_lists_drafts_and_refuses_an_empty_statement(clinic_a, login):
    client = login("alpha_manager")
    page = client.get(f"/clinics/{clinic_a.slug}/facts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"To be confirmed ({len(DEFAULT_FACTS)})" in html
    before = _counts(clinic_a)
    refused = client.post(
        f"/clinics/{clinic_a.slug}/facts/", {"title": "Parking", "statement": "", "confirm": "on"}
    )
    assert refused.status_code == 400
    assert "State the fact: a statement cannot be empty." in refused.content.decode()
    assert _counts(clinic_a) == before


def test_facts_defaults_command_adds_only_the_missing_defaults(clinic_a, capsys):
    from django.core.management import call_command

    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="licences").delete()
        Fact.objects.filter(slug="opening-hours").update(statement="Open 9 to 5.")
    call_command("facts_defaults", "--clinic", clinic_a.slug)
    assert capsys.readouterr().out == f"{clinic_a.slug}: 1 added (licences)\n"
    with schema_context(clinic_a.schema_name):
        assert Fact.objects.get(slug="licences").status == "draft"
        assert Fact.objects.get(slug="opening-hours").statement == "Open 9 to 5."
        assert FactVersion.objects.filter(fact__slug="licences").count() == 1
