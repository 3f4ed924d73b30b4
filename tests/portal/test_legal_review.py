"""Legal's portal page: the texts the privacy check blocks, the override with a reason (400
without one), the reason shown to the clinic's approver instead of "Blocked"; the portal's
counts are per person."""

from __future__ import annotations

from django_tenants.utils import schema_context

from responses.models import ReplyDraft
from responses.services import replies as reply_services
from tests.portal.helpers import access_for
from tests.responses.conftest import BLOCK_TEXT, review_in

REASON = "The reviewer published their own chart details; approved by counsel."


def _url(clinic, path=""):
    return f"/clinics/{clinic.slug}/portal/{path}"


def _blocked_draft(clinic, world):
    """A reply the privacy check blocks, which its writer submitted: it waits for legal."""
    review = review_in(clinic, "csv", text="They lost my chart.")
    with schema_context(clinic.schema_name):
        w = access_for(world.users["alpha_writer"], clinic)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=w, text=BLOCK_TEXT)
        return reply_services.reply_submit(draft_id=draft.pk, access=w)


def test_legal_overrides_in_the_portal_and_the_approver_sees_the_reason(clinic_a, world, login):
    draft = _blocked_draft(clinic_a, world)
    legal = login("a_legal")
    # legal's page shows the blocked reply with the override form; its badge counts it
    html = legal.get(_url(clinic_a, "review/")).content.decode()
    assert "1 item waits for you." in html
    assert f'id="reason-reply-{draft.pk}"' in html and "Blocked" in html
    assert "the writer can submit it once you lift the block with a reason" in html
    assert "nothing to do here" not in html
    assert f'href="/clinics/{clinic_a.slug}/portal/review/"' in html
    # its tab says what legal does there ("Review" read as the clinic's reviews)
    assert f'href="/clinics/{clinic_a.slug}/portal/review/" aria-current="page">Legal check' in html
    # legal is not told that replies wait for an approval they cannot give
    approvals = legal.get(_url(clinic_a, "approvals/")).content.decode()
    assert "wait for your approval" not in approvals
    # a short reason is refused with 400 and changes nothing
    bad = legal.post(_url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk, "reason": "ok"})
    assert bad.status_code == 400 and "10 characters or more" in bad.content.decode()
    # what legal typed stays in the box, to be corrected rather than retyped
    assert f'aria-describedby="reason-help-reply-{draft.pk}">ok</textarea>' in bad.content.decode()
    assert legal.post(_url(clinic_a, "override/"), {"kind": "x", "id": "a"}).status_code == 400
    with schema_context(clinic_a.schema_name):
        assert not ReplyDraft.objects.get(pk=draft.pk).is_overridden
    # the override
    ok = legal.post(
        _url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk, "reason": REASON}
    )
    assert ok.status_code == 302
    assert "Nothing waits for you." in legal.get(_url(clinic_a, "review/")).content.decode()
    # the reply goes to the clinic; its approver reads legal's reason, not the red block
    with schema_context(clinic_a.schema_name):
        w = access_for(world.users["alpha_writer"], clinic_a)
        m = access_for(world.users["alpha_manager"], clinic_a)
        reply_services.reply_submit(draft_id=draft.pk, access=w)
        reply_services.reply_approve(draft_id=draft.pk, access=m)
    page = login("a_approver").get(_url(clinic_a, "approvals/")).content.decode()
    assert "1 reply waits for your approval." in page
    assert "Overridden by legal" in page and REASON in page
    assert "unless legal overrides it" not in page
    # and the card's way so far names legal's lifting of the block, before the agency step
    steps = page[
        page.index('<ol class="steps-done"') : page.index("</ol>", page.index("steps-done"))
    ]
    assert (
        steps.index("Written")
        < steps.index("Privacy block lifted")
        < steps.index("Agency approval")
    )
    assert "<strong>Privacy block lifted</strong>: A Legal, " in steps
    # legal's reason once on the card, with the privacy check's verdict
    assert page.count(REASON) == 1 and REASON not in steps


def test_only_legal_may_override_in_the_portal(clinic_a, world, login):
    draft = _blocked_draft(clinic_a, world)
    approver = login("a_approver")
    html = approver.get(_url(clinic_a, "review/")).content.decode()
    assert f'id="reason-reply-{draft.pk}"' not in html
    refused = approver.post(
        _url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk, "reason": REASON}
    )
    assert refused.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert not ReplyDraft.objects.get(pk=draft.pk).is_overridden


def test_the_checks_tab_shows_for_the_people_who_check(clinic_a, world, login):
    from clinics.models import ClinicMembership

    tab = f'href="/clinics/{clinic_a.slug}/portal/review/"'
    # a viewer without a crisis role, and the comms person: nothing to check, no tab
    for who in ("a_viewer", "a_approver"):
        assert tab not in login(who, otp=False).get(_url(clinic_a, "approvals/")).content.decode()
    # a clinician's tab, and both roles'
    membership = ClinicMembership.objects.filter(user=world.users["a_viewer"], clinic=clinic_a)
    membership.update(crisis_roles=["clinician"])
    html = login("a_viewer", otp=False).get(_url(clinic_a, "approvals/")).content.decode()
    assert f"{tab}>Clinical check</a>" in html
    membership.update(crisis_roles=["clinician", "legal"])
    html = login("a_viewer", otp=False).get(_url(clinic_a, "approvals/")).content.decode()
    assert f"{tab}>Legal &amp; clinical checks</a>" in html


def test_legal_keeps_the_block_and_sends_the_text_back_to_its_writer(clinic_a, world, login):
    from clinics.models import Notification
    from responses.models import AuditEntry

    draft = _blocked_draft(clinic_a, world)
    legal = login("a_legal")
    page = legal.get(_url(clinic_a, "review/")).content.decode()
    assert f'id="send-back-reply-{draft.pk}"' in page
    assert "Send version 1 back with this comment" in page

    # without a comment: 400, what was typed kept, nothing changed
    bad = legal.post(_url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk,
                                                    "action": "send_back", "comment": "  "})  # fmt: skip
    assert bad.status_code == 400 and "Sending it back needs a comment" in bad.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft.pk).status == "draft"

    # with one: sent back, the block kept, off legal's list, its writer told why
    comment = "Do not mention the chart at all; invite them to call the office."
    sent = legal.post(_url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk,
                                                     "action": "send_back", "comment": comment,
                                                     "expected_version": 1})  # fmt: skip
    assert sent.status_code == 302
    with schema_context(clinic_a.schema_name):
        kept = ReplyDraft.objects.get(pk=draft.pk)
        assert (kept.status, kept.last_comment) == ("changes_requested", comment)
        assert kept.is_blocked and not kept.is_overridden and kept.is_override_refused
        entry = AuditEntry.objects.get(object_type="reply", object_id=draft.pk,
                                       action="override_refused")  # fmt: skip
        assert entry.comment == comment and entry.actor_name == "A Legal"
    assert "Nothing waits for you." in legal.get(_url(clinic_a, "review/")).content.decode()
    told = Notification.objects.get(user=world.users["alpha_writer"], kind="sent_back")
    assert told.title == (
        "A Legal kept the privacy block on your reply to a 2★ CSV import review: change the text"
    )
    assert told.open
    assert not Notification.objects.filter(
        user=world.users["a_legal"], ref=f"reply:{draft.pk}", open=True
    ).exists()
    editor = (
        login("alpha_writer")
        .get(f"/clinics/{clinic_a.slug}/replies/review/{draft.review_id}/")
        .content.decode()
    )
    assert f"Sent back: “{comment}”" in editor

    # a second send-back of the same version is a 409
    again = legal.post(_url(clinic_a, "override/"), {"kind": "reply", "id": draft.pk,
                                                      "action": "send_back", "comment": comment})  # fmt: skip
    assert again.status_code == 409

    # a new version, still blocked, asks legal again once its writer submits it
    with schema_context(clinic_a.schema_name):
        w = access_for(world.users["alpha_writer"], clinic_a)
        reply_services.reply_draft_update(draft_id=draft.pk, access=w, text=BLOCK_TEXT + " Again.")
    assert "Nothing waits for you." in legal.get(_url(clinic_a, "review/")).content.decode()
    with schema_context(clinic_a.schema_name):
        reply_services.reply_submit(draft_id=draft.pk, access=w)
    assert (
        f'id="send-back-reply-{draft.pk}"' in legal.get(_url(clinic_a, "review/")).content.decode()
    )


def test_only_legal_may_send_a_block_back_and_not_on_their_own_text(clinic_a, world, login):
    draft = _blocked_draft(clinic_a, world)
    body = {"kind": "reply", "id": draft.pk, "action": "send_back", "comment": "Change it."}
    assert login("a_approver").post(_url(clinic_a, "override/"), body).status_code == 403
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft.pk).status == "draft"
