"""Templates and suggestions, the fact sheet, the compliance check (API and command), private
follow-up, the audit trail's append-only guarantee, and the reply pages."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import clinic_zone
from responses.models import AuditEntry
from responses.services.common import audit_record
from tests.facts.helpers import fill_in
from tests.fixtures.rows import score_add
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in

FACT = {
    "slug": "vaccine-storage",
    "title": "Vaccine storage",
    "statement": "Vaccines are kept in medical-grade refrigerators monitored around the clock.",
    "source": "State immunization program site visit",
    "verified_on": "2026-03-01",
    "topics": ["vaccines_misinformation"],
}


def test_facts_are_managed_by_managers_and_quoted_with_source_and_date(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    assert writer.post("facts/", FACT).status_code == 403
    created = manager.post("facts/", FACT)
    assert created.status_code == 201, created.json()
    assert created.json()["placeholder"] == "{fact:vaccine-storage}"
    assert manager.post("facts/", FACT).status_code == 409
    future = manager.post("facts/", {**FACT, "slug": "x", "verified_on": "2999-01-01"})
    assert future.status_code == 400
    assert "verified_on" in future.json()["fields"]
    listed = {f["slug"]: f["citable"] for f in writer.get("facts/").json()["results"]}
    assert listed["vaccine-storage"] is True
    assert listed["needles-single-use"] is False  # a default, to be confirmed

    # a draft quoting it gets the verified wording and its source
    review = review_in(clinic_a)
    draft = writer.post(
        "drafts/",
        {"review_id": review.pk, "text": "Thank you for asking. {fact:vaccine-storage}"},
    ).json()
    assert draft["text"] == (
        "Thank you for asking. Vaccines are kept in medical-grade refrigerators monitored "
        "around the clock (source: State immunization program site visit)."
    )
    fact_id = created.json()["id"]
    assert manager.patch(f"facts/{fact_id}/", {"title": "Storage"}).json()["title"] == "Storage"
    assert manager.client.delete(manager.url(f"facts/{fact_id}/")).status_code == 204


def test_unfilled_variables_are_refused_before_saving(clinic_b, as_user):
    # clinic B has no phone, e-mail nor contact page: {contact_line} has no value
    review = review_in(clinic_b)
    writer = as_user("alpha_writer", clinic_b)
    refused = writer.post(
        "drafts/", {"review_id": review.pk, "text": "Please contact us at {contact_line}."}
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "unfilled_variables"
    assert refused.json()["fields"]["text"] == [
        "{contact_line}: this clinic has no phone, e-mail or contact page (Settings → General)."
    ]
    # the factual correction with no confirmed fact to cite names {relevant_facts}
    refused = writer.post("drafts/", {"review_id": review.pk, "template_key": "factual-correction"})
    assert refused.status_code == 400
    assert any(m.startswith("{relevant_facts}: ") for m in refused.json()["fields"]["text"])
    assert writer.get("drafts/", review_id=review.pk).json()["results"] == []


def test_template_library_has_the_builtins_and_the_clinics_own(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    keys = [t["key"] for t in writer.get("reply-templates/").json()["results"]]
    assert keys == [
        "acknowledge", "thank", "thank-acknowledge", "move-private", "factual-correction",
        "apology",
    ]  # fmt: skip
    manager = as_user("alpha_manager", clinic_a)
    own = {
        "key": "thank",
        "name": "Thank (ours)",
        "category": "thank",
        "body": "Thank you! — {clinic_name}",
    }
    assert writer.post("reply-templates/", own).status_code == 403
    assert manager.post("reply-templates/", own).status_code == 201
    thanks = writer.get("reply-templates/", category="thank").json()["results"]
    assert [(t["key"], t["name"], t["builtin"]) for t in thanks] == [
        ("thank", "Thank (ours)", False),
        ("thank-acknowledge", "Thank and acknowledge", True),
    ]
    # a draft from a template has the clinic's details filled in
    review = review_in(clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "template_key": "thank"}).json()
    assert draft["text"] == "Thank you! — Clinic A"


@pytest.mark.parametrize(
    ("path", "query", "fields"),
    [
        ("reply-templates/", {"category": "thanks"},
         {"category": ['"thanks" is not a valid choice. Choose one of: acknowledge, thank, '
                       "move_private, factual_correction, apology."]}),
        ("reply-templates/", {"category": ["thank", "apology"]},
         {"category": ["Give one value."]}),
        ("drafts/", {"status": "sent"},
         {"status": ['"sent" is not a valid choice. Choose one of: draft, pending_agency, '
                     "pending_legal, pending_clinician, pending_client, changes_requested, "
                     "approved, published, unpinned, discarded."]}),
        ("drafts/", {"review_id": ["1", "2"]}, {"review_id": ["Give one value."]}),
        ("audit/", {"object_type": "replies"},
         {"object_type": ['"replies" is not a valid choice. Choose one of: reply, statement, '
                          "outbox, private_conversation, fact, template, settings."]}),
    ],
    ids=["template-category", "two-categories", "draft-status", "two-reviews", "audit-type"],
)  # fmt: skip
def test_a_filter_value_the_list_cannot_use_is_a_400_naming_the_choices(
    clinic_a, as_user, path, query, fields
):
    response = as_user("alpha_writer", clinic_a).get(path, **query)
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}


@pytest.mark.parametrize(
    ("label", "topics", "flags", "category"),
    [
        ("positive", (), (), "thank"),
        ("neutral", (), (), "acknowledge"),
        ("negative", ("wait_time",), (), "apology"),
        ("negative", ("clinical_outcome",), ("self_disclosed_health",), "move_private"),
        ("negative", ("vaccines_misinformation",), ("misinformation",), "factual_correction"),
        (None, (), (), "acknowledge"),
    ],
    ids=["positive", "neutral", "negative", "health-disclosure", "misinformation", "unscored"],
)
def test_suggestion_follows_sentiment_topics_and_flags(
    label, topics, flags, category, clinic_a, as_user
):
    manager = as_user("alpha_manager", clinic_a)
    manager.post("facts/", FACT)
    review = review_in(clinic_a)
    if label:
        with schema_context(clinic_a.schema_name):
            score_add(
                review=review,
                model_version="test",
                label=label,
                score=0.0,
                topics=[{"name": t, "triggers": [t]} for t in topics],
                flags=[{"name": f, "evidence": [f]} for f in flags],
            )
    suggestion = manager.get(f"reviews/{review.pk}/suggestion/").json()
    assert suggestion["category"] == category
    assert suggestion["unresolved"] == []
    assert "{" not in suggestion["text"]
    if category == "factual_correction":
        assert "medical-grade refrigerators" in suggestion["text"]
        assert suggestion["facts"] == ["vaccine-storage"]
    if category in ("move_private", "apology", "acknowledge"):
        assert "+1 555 0100" in suggestion["text"]  # the clinic's phone, to take it private
    # and a draft started without text or template starts from it
    draft = as_user("alpha_writer", clinic_a).post("drafts/", {"review_id": review.pk}).json()
    assert draft["text"] == suggestion["text"]
    assert draft["guard"]["verdict"] == "ok"


def test_a_claim_flagged_against_a_myth_still_gets_the_fact_that_answers_it(clinic_a, as_user):
    """The flag cited the shipped myth, not the clinic's fact, and no topic matched: the
    correction cites the confirmed fact sharing the claim's words ("needles"), instead of
    leaving {relevant_facts} for the writer to fill by hand."""
    manager = as_user("alpha_manager", clinic_a)
    with schema_context(clinic_a.schema_name):
        fill_in("needles-single-use")  # a default as suggested is never confirmed
    needles = next(
        f
        for f in manager.get("facts/", page_size=100).json()["results"]
        if f["slug"] == "needles-single-use"
    )
    manager.post(f"facts/{needles['id']}/confirm/")
    review = review_in(clinic_a, text="They reuse needles at Clinic A and nobody answers.")
    myth = {"kind": "myth", "slug": "needles-reused", "statement": "Needles are single-use."}
    with schema_context(clinic_a.schema_name):
        score_add(
            review=review, model_version="test", label="negative", score=-0.8, topics=[],
            flags=[{"name": "misinformation", "evidence": ["reuse needles"], "contradicts": myth}],
        )  # fmt: skip
    suggestion = manager.get(f"reviews/{review.pk}/suggestion/").json()
    assert suggestion["template_key"] == "factual-correction"
    assert suggestion["unresolved"] == [] and suggestion["facts"] == ["needles-single-use"]
    assert needles["statement"].rstrip(".") in suggestion["text"]
    # a text that shares no word with any confirmed fact still names the missing fact
    other = review_in(clinic_a, text="Terrible parking and rude receptionists.")
    from responses.services.templating import text_render

    with schema_context(clinic_a.schema_name):
        rendered = text_render("{relevant_facts}", clinic=clinic_a, about=other.text)
    assert rendered.unresolved == ["{relevant_facts}"]


def test_compliance_check_endpoint(clinic_a, as_user, api):
    review = review_in(clinic_a, text="My root canal hurt for a week.")
    viewer = as_user("a_viewer", clinic_a)
    ok = viewer.post("compliance/check", {"text": OK_TEXT})
    assert ok.status_code == 200
    assert ok.json() == {"verdict": "ok", "findings": []}
    echoed = viewer.post(
        "compliance/check", {"text": "Sorry your root canal hurt.", "review_id": review.pk}
    ).json()
    assert echoed["verdict"] == "block"
    finding = next(f for f in echoed["findings"] if f["kind"] == "health_detail")
    assert (finding["text"], finding["start"], finding["end"]) == ("root canal", 11, 21)
    assert finding["message"] and finding["suggestion"]
    assert viewer.post("compliance/check", {"text": "x", "review_id": 99999}).status_code == 404
    assert viewer.post("compliance/check", {}).json()["code"] == "invalid"
    assert api(None).post(f"/clinics/{clinic_a.slug}/api/v1/compliance/check").status_code == 401


def test_check_reply_command_reads_json_lines(monkeypatch, capsys):
    lines = [
        json.dumps({"text": OK_TEXT}),
        json.dumps({"text": "Sorry your root canal hurt.", "review": "My root canal hurt"}),
        "{not json",
        "",
        json.dumps({"review": "no text"}),
        json.dumps({"text": BLOCK_TEXT}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    call_command("check_reply")
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("verdict") or o.get("line") for o in out] == ["ok", "block", 3, 5, "block"]
    assert out[0] == {"verdict": "ok", "findings": []}
    assert {f["kind"] for f in out[1]["findings"]} >= {"health_detail"}
    assert out[2]["error"].startswith("Expecting property name")
    assert out[3] == {"line": 5, "error": '"text" must be a string'}


@pytest.mark.parametrize(
    "change",
    [
        lambda pk: AuditEntry.objects.filter(pk=pk).update(comment="rewritten"),
        lambda pk: AuditEntry.objects.filter(pk=pk).delete(),
        lambda pk: connection.cursor().execute(
            "DELETE FROM responses_auditentry WHERE id = %s", [pk]
        ),
    ],
    ids=["orm-update", "orm-delete", "sql-delete"],
)
def test_audit_trail_cannot_be_updated_or_deleted(change, clinic_a, clinic_b):
    for clinic in (clinic_a, clinic_b):  # clinic B's schema was cloned: the trigger came along
        with schema_context(clinic.schema_name):
            entry = audit_record(
                object_type="reply",
                object_id=1,
                action="created",
                who=Actor.of_system("test", "Someone"),
            )
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                change(entry.pk)
            assert AuditEntry.objects.get(pk=entry.pk).comment == ""


def test_editor_page_lists_findings_and_loads_the_live_check_script(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    page_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    # before any draft: the suggestion is in the editor, and a template can be loaded instead
    fresh = writer.client.get(page_url).content.decode()
    assert "Suggested: <strong>Acknowledge</strong>" in fresh and "+1 555 0100" in fresh
    loaded = writer.client.get(page_url, {"template": "thank"}).content.decode()
    assert "Thank you for your kind words!" in loaded
    # saving from the page makes version 1 and lists what the guard found
    saved = writer.client.post(page_url, {"action": "save", "text": BLOCK_TEXT})
    assert saved.status_code == 302
    html = writer.client.get(page_url).content.decode()
    assert '<label for="reply-text">' in html
    assert "/static/js/responses_editor.js" in html
    assert "<script>" not in html  # no inline scripts (CSP)
    assert "Says the clinic reviewed the reviewer&#x27;s chart, file or account." in html
    assert "<mark" in html and "reviewed your chart" in html
    # "check" shows findings without saving
    checked = writer.client.post(page_url, {"action": "check", "text": OK_TEXT})
    assert checked.status_code == 200
    assert 'pill positive">OK' in checked.content.decode()
    # an analyst sees the page but no form
    analyst_html = as_user("alpha_analyst", clinic_a).client.get(page_url).content.decode()
    assert 'id="reply-text"' not in analyst_html


def test_approval_queue_shows_the_diff_and_approves_from_a_phone(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()["id"]
    # the clinic was sent version 1; version 2 replaced it (the portal shows what changed
    # since the version the clinic was sent, never since an agency-internal draft)
    writer.post(f"drafts/{draft_id}/submit/")
    manager.post(f"drafts/{draft_id}/approve/")
    writer.patch(f"drafts/{draft_id}/", {"text": OK_TEXT.replace("help", "make it right")})
    writer.post(f"drafts/{draft_id}/submit/")
    manager.post(f"drafts/{draft_id}/approve/")
    approver = as_user("a_approver", clinic_a).client
    # the clinic's approver opening the agency's approvals lands on the portal's (walk 9 #31)
    page = approver.get(f"/clinics/{clinic_a.slug}/replies/", follow=True)
    assert page.redirect_chain == [(f"/clinics/{clinic_a.slug}/portal/approvals/", 302)]
    html = page.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<ins><span class="sr-only">added: </span>make it right.</ins>' in html
    assert '<del><span class="sr-only">removed: </span>help.</del>' in html
    assert "Approve<span" in html and "Reject with this comment" in html
    assert "<table" not in html  # cards, not wide tables: readable at 375 px
    # reject from the page, with a comment
    response = approver.post(
        f"/clinics/{clinic_a.slug}/portal/act/",
        {
            "kind": "reply",
            "id": draft_id,
            "action": "reject",
            "comment": "Please add our e-mail.",
            "expected_status": "pending_client",
            "expected_version": 2,
        },
    )
    assert response.status_code == 302
    assert writer.get(f"drafts/{draft_id}/").json()["last_comment"] == "Please add our e-mail."


def test_a_false_claim_gets_the_factual_correction_citing_the_contradicted_fact(clinic_a, as_user):
    manager = as_user("alpha_manager", clinic_a)
    with schema_context(clinic_a.schema_name):
        fill_in("needles-single-use")  # a default as suggested is never confirmed
    needles = next(
        f
        for f in manager.get("facts/", page_size=100).json()["results"]
        if f["slug"] == "needles-single-use"
    )
    review = review_in(clinic_a, text="Riverside reuses needles!! Do not go there.")
    with schema_context(clinic_a.schema_name):
        score_add(
            review=review,
            model_version="test",
            label="negative",
            score=-0.8,
            topics=[],
            flags=[
                {
                    "name": "misinformation",
                    "evidence": ["reuses needles"],
                    "claim": "Riverside reuses needles",
                    "contradicts": {
                        "kind": "fact",
                        "slug": "needles-single-use",
                        "statement": needles["statement"],
                        "similarity": 0.81,
                    },
                }
            ],
        )
    # while the fact is a draft, the correction cannot cite it and says so
    waiting = manager.get(f"reviews/{review.pk}/suggestion/").json()
    assert (waiting["template_key"], waiting["unresolved"]) == (
        "factual-correction",
        ["{relevant_facts}"],
    )
    assert "not confirmed" in waiting["reason"]
    # confirmed, the correction cites it (not "Apology without admission")
    manager.post(f"facts/{needles['id']}/confirm/")
    suggestion = manager.get(f"reviews/{review.pk}/suggestion/").json()
    assert suggestion["template_key"] == "factual-correction"
    assert suggestion["facts"] == ["needles-single-use"]
    assert needles["statement"].rstrip(".") in suggestion["text"]
    assert "{" not in suggestion["text"]
    draft = as_user("alpha_writer", clinic_a).post("drafts/", {"review_id": review.pk}).json()
    assert draft["text"] == suggestion["text"]


def test_a_reply_longer_than_its_platform_takes_is_not_submitted(clinic_a, as_user, login):
    # given a reply to an X post over X's 280 characters
    review = review_in(clinic_a, "x", text="Reused needles at this clinic. Unbelievable.")
    writer = as_user("alpha_writer", clinic_a)
    long_text = "Thank you for raising this. " + "We take safety seriously. " * 12
    draft = writer.post("drafts/", {"review_id": review.pk, "text": long_text}).json()
    assert len(long_text) > 280

    # then submitting it is a 400 naming the platform and the overrun, and nothing changes
    refused = writer.post(f"drafts/{draft['id']}/submit/")
    assert refused.status_code == 400 and refused.json()["code"] == "too_long"
    over = len(long_text.strip()) - 280
    assert f"too long for X by {over} characters" in refused.json()["detail"]
    assert writer.get(f"drafts/{draft['id']}/").json()["status"] == "draft"

    # the editor says so beside a Submit that is off, and marks it as one types (data-limit)
    page = login("alpha_writer").get(f"/clinics/clinic-a/replies/review/{review.pk}/").content
    html = page.decode()
    assert 'data-limit="280" data-platform="X"' in html
    assert f"Submit is off: The reply is too long for X by {over} characters" in html

    # a shorter text is submitted
    writer.patch(f"drafts/{draft['id']}/", {"text": "Thank you for raising this; please call us."})
    assert writer.post(f"drafts/{draft['id']}/submit/").status_code == 200


def test_the_reply_clock_stops_once_the_review_is_resolved_without_a_reply(
    clinic_a, as_user, login
):
    from feeds.models import Review

    review = review_in(clinic_a, "csv", text="The wait was long.")
    as_user("alpha_writer", clinic_a).post("drafts/", {"review_id": review.pk, "text": OK_TEXT})
    url = f"/clinics/clinic-a/replies/review/{review.pk}/"
    writer = login("alpha_writer")
    before = writer.get(url).content.decode()
    assert "Reply target: " in before and "(due <time" in before
    # the due time names the clinic's zone: two clinics' pages side by side are not ambiguous
    [(iso, shown)] = re.findall(r'\(due <time datetime="([^"]+)">([^<]+)</time>\)', before)
    local = datetime.fromisoformat(iso).astimezone(clinic_zone(clinic_a))
    assert shown == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    assert 'data-testid="sla-stopped"' not in before
    # when the review is settled in a private follow-up, no clock runs any more
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review.pk).update(status="resolved")
    html = writer.get(url).content.decode()
    assert 'data-testid="sla-stopped">Reply target: no clock runs, the review is resolved.' in html
    assert "(due <time" not in html
