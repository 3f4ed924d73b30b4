"""The approvals log says, by one rule in every output (staff page, portal page, CSV file, API),
that a version a later edit withdrew while it waited was withdrawn (by whom, when), and where,
when and how the version decided on was published, in the outbox's words."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from agency.branding import brand_name
from clinics.models import clinic_zone
from responses.models import OutboxItem
from responses.services import replies as reply_services
from responses.services.outbox import outbox_mark_posted
from tests.responses.approvals_log import PAGE, PORTAL, access_in, api_rows, csv_rows
from tests.responses.conftest import OK_TEXT, deliver_in, review_in

STEPS = (
    ("pending_agency", "alpha_manager"),
    ("pending_legal", "a_legal"),
    ("pending_clinician", "a_clinician"),
    ("pending_client", "a_approver"),
)
EDITED = "Thank you for telling us. Please contact us at +1 555 0100 so we can help you."


def _at(value):
    return parse_datetime(value) if value else None


def _through(world, clinic, draft):
    for status, name in STEPS:
        draft.refresh_from_db()
        if draft.status == status:
            reply_services.reply_approve(draft_id=draft.pk, access=access_in(world, name, clinic))
    draft.refresh_from_db()
    assert draft.status == "approved", draft.status


@pytest.fixture
def decided(world, clinic_a, platforms):
    """Reply 1 (Yelp: posted by hand): version 1 approved by the agency, then edited while
    it waited for the clinic; version 2 approved and marked posted by hand. Reply 2 (Google):
    approved and posted by Carewatch."""
    with schema_context(clinic_a.schema_name):
        writer = access_in(world, "alpha_writer", clinic_a)
        manager = access_in(world, "alpha_manager", clinic_a)
        by_hand = reply_services.reply_draft_create(
            review_id=review_in(clinic_a, "yelp").pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=by_hand.pk, access=writer)
        reply_services.reply_approve(draft_id=by_hand.pk, access=manager)
        by_hand.refresh_from_db()
        assert by_hand.status != "pending_agency"
        reply_services.reply_draft_update(draft_id=by_hand.pk, access=writer, text=EDITED)
        reply_services.reply_submit(draft_id=by_hand.pk, access=writer)
        _through(world, clinic_a, by_hand)
        posted = reply_services.reply_draft_create(
            review_id=review_in(clinic_a, fake=platforms).pk, access=writer, text=OK_TEXT
        )
        reply_services.reply_submit(draft_id=posted.pk, access=writer)
        _through(world, clinic_a, posted)
        items = {i.draft_id: i for i in OutboxItem.objects.filter(draft__in=[by_hand, posted])}
    assert items[by_hand.pk].status == "manual"  # Yelp takes no replies: posted by hand
    assert deliver_in(clinic_a, items[posted.pk].pk) == "sent"
    with schema_context(clinic_a.schema_name):
        outbox_mark_posted(
            item_id=items[by_hand.pk].pk, access=manager, url="https://www.yelp.com/biz/x#r1"
        )
        edit = by_hand.versions.get(number=2).created_at
        hand = OutboxItem.objects.get(pk=items[by_hand.pk].pk)
        sent = OutboxItem.objects.get(pk=items[posted.pk].pk)
    tz = clinic_zone(clinic_a)
    return {
        "by_hand": by_hand.pk,
        "posted": posted.pk,
        "withdrawn": "Version 1 withdrawn by an edit (version 2) — Alpha Writer, "
        + timezone.localtime(edit, tz).strftime("%Y-%m-%d %H:%M"),
        "hand": hand,
        "sent": sent,
        "tz": tz,
        "brand": brand_name(clinic_a.agency),
    }


def test_every_output_says_the_edit_and_the_publication_alike(decided, login):
    hand, sent, tz = decided["hand"], decided["sent"], decided["tz"]
    rows = api_rows(login("alpha_manager"))
    first = [r for r in rows if r["reply_id"] == decided["by_hand"]]
    # the agency's approval of version 1 is marked withdrawn; version 2's decisions are not
    assert {(r["version"], r["withdrawn_by_edit"]) for r in first} == {
        (1, decided["withdrawn"]),
        (2, ""),
    }
    # version 2 went out by hand, version 1 never did
    hand_at = timezone.localtime(hand.sent_at, tz)
    assert {
        (r["version"], _at(r["published_at"]), r["published_on"], r["published_how"]) for r in first
    } == {
        (1, None, "", ""),
        (2, hand.sent_at, "yelp source", "Marked posted by hand by Alpha Manager"),
    }
    second = [r for r in rows if r["reply_id"] == decided["posted"]]
    assert second and {
        (_at(r["published_at"]), r["published_on"], r["published_how"]) for r in second
    } == {(sent.sent_at, "google source", "Posted by Carewatch")}
    # the CSV file: the same, the time as the decisions' own
    lines = csv_rows(login("alpha_manager").get(PAGE, {"format": "csv"}))
    assert {
        (r["version"], r["withdrawn_by_edit"], r["published_at"], r["published_how"])
        for r in lines
        if r["reply_id"] == str(decided["by_hand"])
    } == {
        ("1", decided["withdrawn"], "", ""),
        ("2", "", hand_at.isoformat(timespec="seconds"), "Marked posted by hand by Alpha Manager"),
    }
    # the pages, as the outbox writes it ("done 2026-12-05 20:13 by Alpha Manager")
    at = hand_at.strftime("%Y-%m-%d %H:%M")
    line = f"Published on yelp source {at} — marked posted by hand by Alpha Manager"
    outbox = login("alpha_manager").get("/clinics/clinic-a/outbox/").content.decode()
    assert f"done {at} by Alpha Manager" in outbox
    for name, url in (("alpha_manager", PAGE), ("a_approver", PORTAL)):
        html = login(name).get(url).content.decode()
        # the decision on version 1, and who submitted it
        assert html.count(decided["withdrawn"]) == 2, name
        assert html.count(line) == len([r for r in first if r["version"] == 2]), name
    # the clinic's people read the agency's brand for Carewatch
    portal_rows = api_rows(login("a_approver"))
    assert {r["published_how"] for r in portal_rows if r["reply_id"] == decided["posted"]} == {
        f"Posted by {decided['brand']}"
    }
