"""An e-mail's link to a card (".../portal/approvals/#card-reply-5") that was handled since
lands on a line with the card's anchor saying what happened to it (approved, sent back,
withdrawn, published: by whom, when, and where it is now), not only "Nothing waits"."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.services import replies as reply_services
from tests.portal.helpers import access_for, reply_waiting_for_clinic
from tests.responses.conftest import review_in

TEXT = "Thank you for your feedback. Please contact us at +1 555 0100 so we can help."


def _waiting(world, clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return reply_waiting_for_clinic(
            clinic=clinic, review=review_in(clinic, "csv", text="The wait was long."),
            writer=world.users["alpha_writer"], manager=world.users["alpha_manager"], text=TEXT,
        )  # fmt: skip


def test_a_link_to_a_reply_withdrawn_since_says_so_at_its_anchor(
    world, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    draft = _waiting(world, clinic_a, django_capture_on_commit_callbacks)
    approver = world.users["a_approver"]
    [notice] = Notification.objects.filter(ref=f"reply:{draft.pk}", user=approver)
    anchor = f"card-reply-{draft.pk}"
    assert notice.url.endswith(f"/portal/approvals/?card=reply-{draft.pk}#{anchor}")
    mailed = [m for m in mailoutbox if m.to == [approver.email]]
    assert mailed and f"#{anchor}" in mailed[-1].body
    page = login("a_approver")
    url = f"/clinics/{clinic_a.slug}/portal/approvals/"
    # while it waits, it is a card, not a handled line
    assert 'data-testid="handled"' not in page.get(url).content.decode()

    # its writer discards it
    with schema_context(clinic_a.schema_name):
        reply_services.reply_discard(
            draft_id=draft.pk, access=access_for(world.users["alpha_writer"], clinic_a)
        )

    html = page.get(url).content.decode()
    assert "Nothing waits for your approval." in html
    line = html[html.index(f'<li id="{anchor}"') :].split("</li>", 1)[0]
    assert "The reply to Sam R." in line
    assert "Withdrawn (discarded) by Alpha Writer" in line
    assert "now “Discarded”" in line


def test_a_link_to_a_card_someone_approved_names_them_and_when(
    world, clinic_a, login, django_capture_on_commit_callbacks
):
    draft = _waiting(world, clinic_a, django_capture_on_commit_callbacks)
    with schema_context(clinic_a.schema_name):
        approved = reply_services.reply_approve(
            draft_id=draft.pk, access=access_for(world.users["a_approver"], clinic_a)
        )
    assert approved.status == "approved"

    html = login("a_approver").get(f"/clinics/{clinic_a.slug}/portal/approvals/").content.decode()

    line = html[html.index(f'<li id="card-reply-{draft.pk}"') :].split("</li>", 1)[0]
    assert "Approved at the clinic approval by A Approver, <time" in line
    assert "now “Approved”" in line
