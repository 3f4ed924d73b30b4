"""The approvals log in the portal: the clinic's approvers and legal people read, branded with
the agency's name and colours, every decision on what reached the clinic (also the agency's
approval of a text the clinic then rejected) and every decision of the clinic's own steps (never the agency's pages), filtered, with the CSV file; the viewer has
neither the tab nor the page. (The log itself, its filters and the access matrix:
tests/responses/test_approvals_log.py.)"""

from __future__ import annotations

import csv
import io

from django_tenants.utils import schema_context

from responses.models import AuditEntry
from responses.services import replies as reply_services
from tests.responses.approvals_log import access_in
from tests.responses.conftest import OK_TEXT, review_in
from tests.responses.test_approvals_log import CLIENT_NO, OVERRIDE, decide_everything

PORTAL = "/clinics/clinic-a/portal/approvals-log/"


def test_the_approver_reads_the_clinics_log_in_the_branded_portal(world, clinic_a, login):
    decided = decide_everything(world, clinic_a)

    page = login("a_approver", otp=False).get(PORTAL)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Alpha Agency" in html and "/clinics/clinic-a/portal/brand.css" in html
    assert f'href="{PORTAL}" aria-current="page">Approvals log</a>' in html
    # eight decisions, and the five submissions they decided on (three for approval, two to
    # legal's review of a privacy block)
    assert html.count('data-decision="') - html.count('data-decision="submitted"') == 8
    assert html.count('data-decision="submitted"') == 5
    # the clinic's own decisions, also those that sent a text back to the agency
    assert "Privacy block overridden</strong> by A Legal" in html and OVERRIDE in html
    assert "Rejected: sent back for changes</strong> by A Approver" in html
    assert "Approved as a batch of 3 replies</strong> by Alpha Owner" in html
    # the agency's approval of the statement the clinic then rejected: it reached the clinic
    assert (
        f'id="decision-{_entry(clinic_a, "statement", decided.statement.pk, "approved")}"' in html
    )
    # the agency's approval that sent a reply to legal, which the approver's step never saw
    assert (
        f'id="decision-{_entry(clinic_a, "reply", decided.sent_back.pk, "approved")}"' not in html
    )
    # links lead to the portal, never to the agency's pages
    assert "/clinics/clinic-a/replies/" not in html and "/clinics/clinic-a/statements/" not in html
    assert 'href="/clinics/clinic-a/portal/statements/">Open the statements</a>' in html


def test_every_decision_on_what_reached_the_clinic_is_listed(world, clinic_a, login):
    # given two replies the agency approved: the clinic approves one and rejects the other;
    # and a draft the agency sent back to its writer, which never reached the clinic
    with schema_context(clinic_a.schema_name):
        writer, manager, approver = (
            access_in(world, n, clinic_a) for n in ("alpha_writer", "alpha_manager", "a_approver")
        )
        drafts = []
        for _ in range(3):
            draft = reply_services.reply_draft_create(
                review_id=review_in(clinic_a).pk, access=writer, text=OK_TEXT
            )
            drafts.append(reply_services.reply_submit(draft_id=draft.pk, access=writer))
        approved, rejected, internal = drafts
        for draft in (approved, rejected):
            reply_services.reply_approve(draft_id=draft.pk, access=manager)
        reply_services.reply_approve(draft_id=approved.pk, access=approver)
        reply_services.reply_reject(draft_id=rejected.pk, access=approver, comment="Not like this.")
        reply_services.reply_reject(
            draft_id=internal.pk, access=manager, comment="Shorter, please."
        )

    html = login("a_approver", otp=False).get(PORTAL).content.decode()
    rows = login("a_approver", otp=False).get(PORTAL, {"format": "csv"})
    csv_file = list(csv.DictReader(io.StringIO(b"".join(rows.streaming_content).decode())))
    csv_file = [r for r in csv_file if r["step"]]  # decisions (a submission is at no step)

    # then each decision on the two that reached the clinic, and none on the agency's draft
    assert html.count('data-decision="') - html.count('data-decision="submitted"') == 4
    assert sorted(
        (r["reply_id"] == str(approved.pk), r["step"], r["decision"]) for r in csv_file
    ) == [
        (False, "Agency approval", "Approved"),
        (False, "Clinic approval", "Rejected: sent back for changes"),
        (True, "Agency approval", "Approved"),
        (True, "Clinic approval", "Approved"),
    ]
    assert str(internal.pk) not in {r["reply_id"] for r in csv_file}
    assert "Shorter, please." not in html


def _entry(clinic, object_type: str, object_id: int, action: str) -> int:
    with schema_context(clinic.schema_name):
        return AuditEntry.objects.get(
            object_type=object_type, object_id=object_id, action=action
        ).pk


def test_legal_filters_its_own_step_and_downloads_it(world, clinic_a, login):
    decide_everything(world, clinic_a)
    client = login("a_legal", otp=False)

    page = client.get(PORTAL, {"step": "legal"}).content.decode()
    response = client.get(PORTAL, {"step": "legal", "format": "csv"})

    assert page.count('data-decision="') == 3
    assert '<option value="legal" selected>Legal review (privacy blocks too)</option>' in page
    assert 'href="?step=legal&amp;format=csv"' in page
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["decision"] for r in rows) == [
        "Privacy block kept: sent back", "Privacy block overridden",
        "Rejected: sent back for changes",
    ]  # fmt: skip
    assert {r["person"] for r in rows} == {"A Legal"}


def test_a_bad_filter_is_shown_in_the_portal(world, clinic_a, login):
    page = login("a_approver", otp=False).get(PORTAL, {"decided_from": "yesterday"})

    assert page.status_code == 400
    html = page.content.decode()
    assert "Nothing is listed: a filter could not be used." in html and "“From”:" in html


def test_the_csv_of_the_portal_neutralises_formulas(world, clinic_a, login):
    decide_everything(world, clinic_a)

    response = login("a_approver", otp=False).get(PORTAL, {"kind": "statement", "format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    rows = [r for r in rows if r["step"]]  # decisions (a submission is at no step)
    # the clinic's rejection, then the agency's approval that sent the statement to it
    assert [r["reason"] for r in rows] == ["'" + CLIENT_NO, ""]


def test_the_viewer_has_no_log(world, clinic_a, login):
    viewer = login("a_viewer", otp=False)

    assert "approvals-log" not in viewer.get("/clinics/clinic-a/portal/").content.decode()
    assert viewer.get(PORTAL).status_code == 403
