"""The "Start here" panel counts what waits for the person whatever channels they keep, as
their queue lists it: a manager who takes e-mails only (no messages on the pages) was told
"Nothing waits for your approval" while the Approvals tab held a reply for them to approve
(the panel counted the banner's open messages only)."""

from __future__ import annotations

import html as htmllib
import re

from django_tenants.utils import schema_context

from clinics.notifications import preference_set
from responses.services import replies as reply_services
from tests.portal.helpers import access_for
from tests.responses.conftest import review_in


def _approvals_step(client) -> tuple[str, str, str]:
    html = client.get("/agency/").content.decode()
    found = re.search(r'<li data-key="approvals" data-done="([01])".*?</li>', html, re.S)
    href = re.search(r'<a href="([^"]+)">', found.group(0)).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()
    return found.group(1), href, htmllib.unescape(text)


def _submitted(world, clinic, n: int):
    review = review_in(clinic, "csv", text=f"Review {n}: the wait was long.")
    with schema_context(clinic.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic)
        draft = reply_services.reply_draft_create(
            review_id=review.pk, access=writer,
            text="Thank you for telling us. Please call the front desk so we can help.",
        )  # fmt: skip
        return reply_services.reply_submit(draft_id=draft.pk, access=writer)


def _can_approve_in_queue(client, clinic) -> int:
    html = client.get(f"/clinics/{clinic.slug}/replies/").content.decode()
    return len(re.findall(r'name="action" value="approve"', html))


def test_an_email_only_manager_is_counted_what_their_queue_holds_for_them(
    world, clinic_a, login, mailoutbox
):
    manager = world.users["alpha_manager"]
    preference_set(user=manager, email=True, in_app=False, digest="immediate")
    client = login("alpha_manager")
    drafts = [_submitted(world, clinic_a, n) for n in range(2)]
    assert {d.status for d in drafts} == {"pending_agency"}

    done, href, text = _approvals_step(client)

    # the panel's count is the queue's: two replies this manager may approve
    assert _can_approve_in_queue(client, clinic_a) == 2
    assert done == "0"
    assert "2 texts wait for your approval in Clinic A." in text
    assert href == "/clinics/clinic-a/replies/"  # no message on the pages to lead to

    # when one is approved, one is left, as in the queue
    with schema_context(clinic_a.schema_name):
        reply_services.reply_approve(draft_id=drafts[0].pk, access=access_for(manager, clinic_a))
    assert _can_approve_in_queue(client, clinic_a) == 1
    assert "1 text waits for your approval in Clinic A." in _approvals_step(client)[2]

    with schema_context(clinic_a.schema_name):
        reply_services.reply_approve(draft_id=drafts[1].pk, access=access_for(manager, clinic_a))
    done, _, text = _approvals_step(client)
    assert done == "1" and "Nothing waits for your approval." in text
