"""The client portal in-process: the approval queue (what changed, the guard's verdict,
approve, reject with a comment — through the responses services), statements, incidents,
the report page, the brand colours."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from portal.branding import brand_palette, contrast
from responses.models import AuditEntry, OutboxItem, ReplyDraft
from responses.services import replies as reply_services
from tests.portal.helpers import (
    REPLIES,
    access_for,
    reply_waiting_for_clinic,
    statement_waiting_for_clinic,
)
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, review_in


@pytest.fixture
def waiting(world, clinic_a):
    """Three replies at the clinic's step in clinic A (the first and third edited once)."""
    drafts = []
    for i, (text, edit) in enumerate(REPLIES):
        review = review_in(clinic_a, "csv", text=f"Review number {i}: the wait was long.")
        drafts.append(
            reply_waiting_for_clinic(
                clinic=clinic_a,
                review=review,
                writer=world.users["alpha_writer"],
                manager=world.users["alpha_manager"],
                text=text,
                edit_to=edit,
            )  # fmt: skip
        )
    return drafts


def _url(clinic, path=""):
    return f"/clinics/{clinic.slug}/portal/{path}"


def test_the_queue_shows_each_reply_with_what_changed_and_the_guard_verdict(
    waiting, clinic_a, login
):
    page = login("a_approver").get(_url(clinic_a, "approvals/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 replies wait for your approval." in html
    for draft in waiting:
        assert f'id="card-reply-{draft.pk}"' in html
    # the edited ones show the words that changed, the other says it is the first version
    assert '<ins><span class="sr-only">added: </span>call</ins>' in html
    assert '<del><span class="sr-only">removed: </span>contact</del>' in html
    assert html.count("What changed: this is the first version.") == 1
    assert html.count("Privacy check:") == 3 and html.count("pill-ok") == 3
    assert html.count(">Approve<span") == 3
    assert html.count('name="csrfmiddlewaretoken"') >= 6
    # branded: the agency's name and the portal's colours
    assert "Alpha Agency" in html and _url(clinic_a, "brand.css") in html


def test_a_card_compares_only_with_the_version_the_clinic_was_sent_before(world, clinic_a, login):
    # an agency-internal first draft the privacy check flagged, replaced before submission
    users = world.users
    internal = reply_waiting_for_clinic(
        clinic=clinic_a, review=review_in(clinic_a, "csv"), writer=users["alpha_writer"],
        manager=users["alpha_manager"], text=BLOCK_TEXT, internal_edit_to=OK_TEXT,
    )  # fmt: skip
    # the clinic was sent version 1; the agency withdrew it with version 2, then 3 internally
    sent = reply_waiting_for_clinic(
        clinic=clinic_a, review=review_in(clinic_a, "csv"), writer=users["alpha_writer"],
        manager=users["alpha_manager"], text=OK_TEXT,
        edit_to=OK_TEXT.replace("contact", "phone"),
    )  # fmt: skip
    writer = access_for(users["alpha_writer"], clinic_a)
    manager = access_for(users["alpha_manager"], clinic_a)
    with schema_context(clinic_a.schema_name):
        reply_services.reply_draft_update(
            draft_id=sent.pk, access=writer, text=OK_TEXT.replace("contact", "call")
        )
        reply_services.reply_submit(draft_id=sent.pk, access=writer)
        reply_services.reply_approve(draft_id=sent.pk, access=manager)
    html = login("a_approver").get(_url(clinic_a, "approvals/")).content.decode()
    first = html[html.index(f'id="card-reply-{internal.pk}"') :]
    first = first[: first.index("</article>")]
    # version 2 is the first the clinic sees: no words of the internal draft, no diff
    assert (
        'data-version="2">New to you<' in first
        and "chart" not in first
        and 'class="diff"' not in first
    )
    assert "What changed: this is the first version you are sent" in first
    # version 4 is compared with version 2, the one the clinic was sent (not 3)
    card = html[html.index(f'id="card-reply-{sent.pk}"') :]
    card = card[: card.index("</article>")]
    assert "What changed since version 2, the one you were sent before" in card
    assert '<del><span class="sr-only">removed: </span>phone</del>' in card
    assert '<ins><span class="sr-only">added: </span>call</ins>' in card


def test_approve_and_reject_with_a_comment_go_through_the_workflow(waiting, world, clinic_a, login):
    client = login("a_approver")
    first, second, third = waiting

    def act(draft, action, comment="", **headers):
        return client.post(
            _url(clinic_a, "act/"),
            {"kind": "reply", "id": draft.pk, "action": action, "comment": comment,
             "expected_status": "pending_client", "expected_version": draft.version},
            **headers,
        )  # fmt: skip

    # approve without htmx: a redirect back to the queue with a message
    response = act(first, "approve")
    assert response.status_code == 302 and response["Location"] == _url(clinic_a, "approvals/")
    # approve with htmx: the card comes back as its outcome, focusable
    response = act(second, "approve", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    # (its source is a CSV import: the approver is told the agency posts it by hand, not
    # "published", and not "to post by hand" as if it were theirs to do)
    assert (
        "Approved. csv source takes no replies posted automatically. Your agency posts it "
        "there by hand; nothing is needed from you." in fragment
    )
    assert f'id="card-reply-{second.pk}"' in fragment and "data-focus-after-swap" in fragment
    # a rejection without a comment is refused and changes nothing
    response = act(third, "reject", "   ", HTTP_HX_REQUEST="true")
    assert "A rejection needs a comment." in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=third.pk).status == "pending_client"
    response = act(third, "reject", "Please do not mention our scheduling.")
    assert response.status_code == 302
    with schema_context(clinic_a.schema_name):
        statuses = dict(
            ReplyDraft.objects.filter(pk__in=[d.pk for d in waiting]).values_list("pk", "status")
        )
        assert statuses == {first.pk: "approved", second.pk: "approved",
                            third.pk: "changes_requested"}  # fmt: skip
        assert ReplyDraft.objects.get(pk=third.pk).last_comment == (
            "Please do not mention our scheduling."
        )
        # the approved ones are queued for publishing, once each; the rejected one not at all
        assert sorted(OutboxItem.objects.values_list("draft_id", flat=True)) == sorted(
            [first.pk, second.pk]
        )
        rejected = AuditEntry.objects.get(object_id=third.pk, action="rejected")
        assert rejected.comment == "Please do not mention our scheduling."
        assert rejected.actor_label == f"user:{world.users['a_approver'].pk}"
    # acting again on an approved one: a clear refusal, nothing changes
    again = act(first, "approve", HTTP_HX_REQUEST="true").content.decode()
    assert "You approved it at " in again and "(on another device or tab): it is now" in again


def test_a_viewer_sees_the_queue_but_cannot_approve(waiting, clinic_a, login):
    client = login("a_viewer")
    html = client.get(_url(clinic_a, "approvals/")).content.decode()
    assert html.count(">Approve<span") == 0
    assert "waiting for the clinic approval from A Approver." in html
    response = client.post(
        _url(clinic_a, "act/"),
        {"kind": "reply", "id": waiting[0].pk, "action": "approve"},
        HTTP_HX_REQUEST="true",
    )
    assert "cannot give the Clinic approval" in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=waiting[0].pk).status == "pending_client"
        assert not OutboxItem.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "nope", "id": "1", "action": "approve"},
        {"kind": "reply", "id": "x", "action": "approve"},
        {"kind": "reply", "id": "1", "action": "publish"},
        {"kind": "reply", "id": "999999", "action": "approve"},
    ],
    ids=["unknown-kind", "bad-id", "unknown-action", "missing-item"],
)
def test_bad_actions_are_refused_with_a_message(data, waiting, clinic_a, login):
    response = login("a_approver").post(_url(clinic_a, "act/"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert set(ReplyDraft.objects.values_list("status", flat=True)) == {"pending_client"}


def test_statements_waiting_and_their_approval(world, clinic_a, login):
    statement = statement_waiting_for_clinic(
        clinic=clinic_a, writer=world.users["alpha_writer"], manager=world.users["alpha_manager"],
        title="About the delays", body="Our phone lines were overloaded this week. Call us.",
    )  # fmt: skip
    client = login("a_approver")
    html = client.get(_url(clinic_a, "statements/")).content.decode()
    assert "1 statement waits for your approval." in html and "About the delays" in html
    response = client.post(
        _url(clinic_a, "act/"),
        {"kind": "statement", "id": statement.pk, "action": "approve"},
        HTTP_HX_REQUEST="true",
    )
    # no channel of the clinic can pin it: the approver is told so, not "pinned"
    assert (
        "Approved. The agency publishes it next: no connected channel can pin it, only the "
        "public page will show it." in response.content.decode()
    )
    with schema_context(clinic_a.schema_name):
        statement.refresh_from_db()
        assert statement.status == "approved"


def test_home_incidents_and_report_pages_render(clinic_a, login):
    client = login("a_approver")
    for path, text in [
        ("", "This month so far"),
        ("incidents/", "No open incident."),
        ("report/", "Per week"),
        ("report/?month=2026-01", "Monthly report · January 2026"),
    ]:
        response = client.get(_url(clinic_a, path))
        assert response.status_code == 200, path
        assert text in response.content.decode(), path
    assert client.get(_url(clinic_a, "incidents/999999/")).status_code == 404


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-13", "Use the form YYYY-MM"), ("nov", "Use the form YYYY-MM"),
     ("1999-12", "Choose 2000-01 or later."), ("2999-01", "That month has not started yet.")],
    ids=["month-13", "words", "too-early", "future"],
)  # fmt: skip
def test_report_page_bad_month_is_400_with_the_reason(month, message, clinic_a, login):
    response = login("a_approver").get(_url(clinic_a, "report/"), {"month": month})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_brand_colours_are_readable():
    for colour in ("#1F6FEB", "#FFD700", "#7A1FA2", "#FFFFFF", "#000000", "#0B6E4F"):
        palette = brand_palette(colour)
        rgb = lambda h: tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))  # noqa: E731
        assert contrast(rgb(palette["brand"]), rgb(palette["on_brand"])) >= 4.5, colour
        assert contrast(rgb(palette["brand_text"]), (255, 255, 255)) >= 4.5, colour


def test_brand_css_is_the_clinics_agency_colour(clinic_c, login):
    css = login("beta_owner").get("/clinics/clinic-c/portal/brand.css")
    assert css["Content-Type"] == "text/css"
    assert css.content.decode().startswith(":root{--brand:#7a1fa2;--on-brand:#ffffff;")


def test_portal_forms_need_the_csrf_token(waiting, world, clinic_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["a_approver"])
    page = client.get(_url(clinic_a, "approvals/")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') == 1 + 2 * len(waiting)  # sign-out + 2 each
    response = client.post(
        _url(clinic_a, "act/"), {"kind": "reply", "id": waiting[0].pk, "action": "approve"}
    )
    assert response.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=waiting[0].pk).status == "pending_client"


def test_a_card_shows_how_its_version_got_here(waiting, clinic_a, login):
    # the approver deciding on a phone sees who wrote it and who gave the agency's approval
    html = login("a_approver").get(_url(clinic_a, "approvals/")).content.decode()
    card = html[html.index(f'id="card-reply-{waiting[1].pk}"') :]
    steps = card[card.index('<ol class="steps-done"') : card.index("</ol>")]
    assert "<strong>Written</strong>: Alpha Writer, " in steps
    assert "<strong>Agency approval</strong>: Alpha Manager, " in steps
    assert steps.index("Written") < steps.index("Agency approval")
