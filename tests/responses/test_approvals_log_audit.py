"""What an auditor needs of the approvals log: a filtered log with nothing in it says so and
still offers its (empty) CSV file; each person carries their e-mail (API, CSV), and two people
of one name are told apart on the pages; who submitted each version is listed (`submitted`),
and a privacy block overridden or kept carries the privacy check's findings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.services import clinic_member_add
from responses.services import replies as reply_services
from responses.services.common import audit_record
from responses.services.workflow import Waiting
from tests.responses.approvals_log import API, PAGE, PORTAL, access_in, api_rows, csv_rows
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in

OVERRIDE = "The patient published these details themselves on the same page."
BLOCK_KEPT = "Take the chart out: we never confirm a visit."


@pytest.mark.parametrize(("reader", "where"), [("alpha_owner", PAGE), ("a_approver", PORTAL)])
def test_a_filtered_log_with_nothing_in_it_says_so_and_offers_its_csv(
    login, clinic_a, reader, where
):
    response = login(reader).get(where, {"decision": "overridden"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "No decisions match these filters." in html
    assert 'data-testid="csv-link"' in html
    assert "(0 decisions matching these filters)" in html
    assert 'href="?decision=overridden&amp;format=csv"' in html
    # and the file it offers is the header alone
    assert csv_rows(login(reader).get(where, {"decision": "overridden", "format": "csv"})) == []


def _approved_by_agency_and_clinic(world, clinic):
    with schema_context(clinic.schema_name):
        writer = access_in(world, "alpha_writer", clinic)
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        reply_services.reply_approve(
            draft_id=draft.pk, access=access_in(world, "alpha_manager", clinic)
        )
        return reply_services.reply_approve(
            draft_id=draft.pk, access=access_in(world, "a_approver", clinic)
        )


def test_each_person_carries_their_email_in_the_api_and_the_csv(world, clinic_a, login):
    _approved_by_agency_and_clinic(world, clinic_a)
    users = world.users

    rows = api_rows(login("alpha_manager"))

    assert [(r["decision"], r["person"]["name"], r["person"]["email"]) for r in rows] == [
        ("approved", "A Approver", users["a_approver"].email),
        ("approved", "Alpha Manager", users["alpha_manager"].email),
        ("submitted", "Alpha Writer", users["alpha_writer"].email),
    ]
    file = csv_rows(login("alpha_manager").get(PAGE, {"format": "csv"}))
    assert [(r["person"], r["email"]) for r in file] == [
        ("A Approver", users["a_approver"].email),
        ("Alpha Manager", users["alpha_manager"].email),
        ("Alpha Writer", users["alpha_writer"].email),
    ]
    # the clinic's own people read their own people's e-mails; the agency's staff are the
    # agency to them (as an incident's roles are in the clinic's copy)
    clinic_rows = api_rows(login("a_approver"))
    assert [(r["person"]["name"], r["person"]["email"]) for r in clinic_rows] == [
        ("A Approver", users["a_approver"].email),
        ("Alpha Manager", None),
        ("Alpha Writer", None),
    ]
    portal_file = csv_rows(login("a_approver").get(PORTAL, {"format": "csv"}))
    assert [r["email"] for r in portal_file] == [users["a_approver"].email, "", ""]


def test_two_people_of_one_name_are_told_apart_by_their_email_on_the_pages(world, clinic_a, login):
    # given two of the clinic's approvers called Lee Legal, who each approved a reply
    lees = [
        clinic_member_add(
            clinic=clinic_a, email=f"lee{n}@clinics.test", full_name="Lee Legal", role="approver"
        ).user
        for n in (1, 2)
    ]
    with schema_context(clinic_a.schema_name):
        draft = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk,
            access=access_in(world, "alpha_writer", clinic_a),
            text=OK_TEXT,
        )
        for lee in lees:
            audit_record(object_type="reply", object_id=draft.pk, review_id=draft.review_id,
                         action="approved", who=Actor(user=lee), version=1,
                         detail={"step": "client", "role": "approver"})  # fmt: skip

    for reader, where in (("alpha_owner", PAGE), ("a_approver", PORTAL)):
        html = login(reader).get(where).content.decode()
        # each decision, and the person filter's choices
        assert html.count("Lee Legal (lee1@clinics.test)") == 2, reader
        assert html.count("Lee Legal (lee2@clinics.test)") == 2, reader
        assert "Lee Legal<" not in html and "Lee Legal," not in html
    # the API and the CSV keep the name as it is, with the e-mail beside it
    rows = api_rows(login("alpha_owner"), decision="approved")
    assert {(r["person"]["name"], r["person"]["email"]) for r in rows} == {
        ("Lee Legal", "lee1@clinics.test"),
        ("Lee Legal", "lee2@clinics.test"),
    }


def test_submissions_are_listed_and_a_block_carries_the_findings(world, clinic_a, login):
    with schema_context(clinic_a.schema_name):
        writer = access_in(world, "alpha_writer", clinic_a)
        legal = access_in(world, "a_legal", clinic_a)
        blocked = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=blocked.pk, access=writer)  # to legal's review
        reply_services.reply_override(draft_id=blocked.pk, access=legal, reason=OVERRIDE)
        kept = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=BLOCK_TEXT
        )
        reply_services.reply_submit(draft_id=kept.pk, access=writer)  # to legal's review
        reply_services.reply_override_refuse(draft_id=kept.pk, access=legal, comment=BLOCK_KEPT)
        ok = reply_services.reply_draft_create(
            review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=ok.pk, access=writer)

    rows = api_rows(login("alpha_manager"))

    got = [(r["decision"], r["reply_id"], r["person"]["name"], r["decision_words"])
           for r in reversed(rows)]  # fmt: skip
    assert got == [
        ("submitted", blocked.pk, "Alpha Writer",
         "Submitted to legal review: the privacy check blocks it"),
        ("overridden", blocked.pk, "A Legal", "Privacy block overridden"),
        ("submitted", kept.pk, "Alpha Writer",
         "Submitted to legal review: the privacy check blocks it"),
        ("block_kept", kept.pk, "A Legal", "Privacy block kept: sent back"),
        ("submitted", ok.pk, "Alpha Writer", "Submitted for approval"),
    ]  # fmt: skip
    by_decision = {r["decision"]: r for r in rows}
    for decision in ("overridden", "block_kept"):
        findings = by_decision[decision]["findings"]
        assert findings, decision
        chart = [f for f in findings if f["severity"] == "block"]
        assert chart, findings
        for f in chart:
            assert BLOCK_TEXT[f["start"] : f["end"]] == f["text"]
            assert f["kind"] and f["subtype"]
    assert by_decision["submitted"]["findings"] == []
    assert by_decision["submitted"]["step"] == ""
    # the filter's value, in the API, on the page and in its CSV file
    assert [r["reply_id"] for r in api_rows(login("alpha_manager"), decision="submitted")] == [
        ok.pk,
        kept.pk,
        blocked.pk,
    ]
    file = csv_rows(login("alpha_manager").get(PAGE, {"decision": "submitted", "format": "csv"}))
    assert [(r["decision"], r["person"]) for r in file] == [
        ("Submitted for approval", "Alpha Writer"),
        ("Submitted to legal review: the privacy check blocks it", "Alpha Writer"),
        ("Submitted to legal review: the privacy check blocks it", "Alpha Writer"),
    ]
    file = csv_rows(login("alpha_manager").get(PAGE, {"format": "csv"}))
    [overridden] = [r for r in file if r["decision"] == "Privacy block overridden"]
    assert overridden["findings"].startswith("block ")
    assert f"“{by_decision['overridden']['findings'][0]['text']}”" in overridden["findings"]
    assert all(r["findings"] == "" for r in file if r["decision"].startswith("Submitted"))
    response = login("alpha_manager").get(API, {"decision": "submitted"})
    assert response.status_code == 200


def test_whom_a_text_waits_for_tells_two_people_of_one_name_apart():
    # "Lee Legal or Lee Legal decides" named no one: the same rule as the log's pages
    lees = [SimpleNamespace(pk=n, full_name="Lee Legal", email=f"lee{n}@clinics.test",
                            has_usable_password=lambda: True) for n in (1, 2)]  # fmt: skip
    waiting = Waiting(step="legal", people=lees, barred=[], told_at=None, reminded_at=None,
                      reminded_by="")  # fmt: skip

    assert waiting.names == "Lee Legal (lee1@clinics.test) or Lee Legal (lee2@clinics.test)"
