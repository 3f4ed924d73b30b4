"""A statement on a channel nobody could connect on this server goes to "To post by hand", as a
reply there does (the crisis-day walk: the statement to the demo's unconnected Facebook page
was listed as failed, the clinic was e-mailed "Not posted", the room's checklist said "1
failed", while the replies to the same page waited quietly to be posted by hand); once a person
marks it posted, the statement reads "pinned … (by hand)", never as a platform's confirmation."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.models import AuditEntry, OutboxItem, OutboxStatus, Statement
from responses.selectors import statement_pinned_on
from responses.services.outbox import outbox_deliver
from tests.responses.conftest import source_of

BODY = "Every needle we use is single-use and sealed. Questions: +1 555 0100."


def test_a_statement_on_a_page_nobody_could_connect_is_posted_by_hand(
    clinic_a, as_user, settings, mailoutbox
):
    settings.FACEBOOK_APP_ID = settings.FACEBOOK_APP_SECRET = ""  # connecting not set up here
    with schema_context(clinic_a.schema_name):
        page = source_of("facebook")  # no account: not connected
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post("statements/", {"title": "About needles", "body": BODY}).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic_a).post(f"statements/{sid}/approve/")
    as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/")
    assert writer.post(f"statements/{sid}/publish/").json()["is_pinned"] is True
    mailoutbox.clear()

    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(statement_id=sid, source=page)
        assert outbox_deliver(item_id=item.pk) == "manual"
        item.refresh_from_db()
        assert item.status == OutboxStatus.MANUAL
        assert item.manual_reason == (
            "Carewatch cannot post on Facebook here (connecting it is not set up on this "
            "server): copy the statement, post it there and pin it to the top of the page, "
            "then mark it posted."
        )
        # not a failure: nobody is told it failed
        assert not Notification.objects.filter(ref__contains=f"source:{page.pk}:").exists()
    assert [m.subject for m in mailoutbox if "Not posted" in m.subject] == []

    marked = writer.post(
        f"outbox/{item.pk}/mark-posted/", {"url": "https://facebook.com/riverside/posts/1"}
    )
    assert marked.status_code == 200, marked.content
    with schema_context(clinic_a.schema_name):
        actions = list(
            AuditEntry.objects.filter(object_type="statement", object_id=sid)
            .order_by("pk")
            .values_list("action", flat=True)
        )
        assert actions[-1] == "pinned_by_hand"
        assert "pinned_on_platform" not in actions
        statement = Statement.objects.prefetch_related("outbox_items").get(pk=sid)
        assert statement_pinned_on(statement) == [f"{page.name} (by hand)"]
