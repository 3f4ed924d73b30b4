"""The batch page ("one answer for many") gets the single editor's help and hand-offs: its fixes
("Apply all fixes", "Fix this") work on the text with its variables; the replies posted by
hand are marked in one form, through the outbox's own service, all or none; its writer is
told what happened to them in words that say it. The agency's approval page shows the reply as
the first mention gets it, as the portal does. A reviewer named "Reviewer 1" is "Reviewer 1’s"
in notices, never "Reviewer 1.’s"."""

from __future__ import annotations

import json

from django_tenants.utils import schema_context

from clinics.models import Notification, clinic_zone
from feeds.models import Review
from responses.models import OutboxItem
from responses.selectors import review_named
from responses.services.delivery import reply_outcome_tell
from responses.services.outbox import WRITER_TASK
from tests.responses.conftest import review_in
from tests.responses.test_batches import _claim, approved_batch

BASE = "/clinics/clinic-a"
BLOCKED = (
    "{greeting} thank you for raising this. We reviewed your chart and everything was fine. "
    "Please call us at {contact_line}."
)


def _fix(client, bid: int, body) -> tuple[int, dict]:
    answer = client.post(
        f"{BASE}/replies/batches/{bid}/fix/",
        json.dumps(body) if not isinstance(body, bytes) else body,
        content_type="application/json",
    )
    return answer.status_code, answer.json()


def test_apply_all_fixes_on_the_batch_keeps_its_variables_and_passes_the_guard(
    clinic_a, as_user, login
):
    cluster_id, _ids = _claim(clinic_a, 3)
    bid = as_user("alpha_writer", clinic_a).post("reply-batches/", {"cluster_id": cluster_id})
    bid = bid.json()["id"]
    writer = login("alpha_writer")
    page = writer.get(f"{BASE}/replies/batches/{bid}/").content.decode()
    assert f'data-fix-url="{BASE}/replies/batches/{bid}/fix/"' in page

    status, fixed = _fix(writer, bid, {"text": BLOCKED})

    assert status == 200, fixed
    assert fixed["text"] == (
        "{greeting} thank you for raising this. Please call us at {contact_line}."
    )
    assert fixed["changes"] == ["took out “We reviewed your chart and everything was fine.”"]
    assert fixed["verdict"] != "block" and fixed["problems"] == []
    # "Fix this" on the finding's span fixes that sentence alone
    start = BLOCKED.index("We reviewed")
    status, one = _fix(writer, bid, {"text": BLOCKED, "start": start, "end": start + 30})
    assert status == 200 and one["text"] == fixed["text"]
    # nothing was stored
    assert as_user("alpha_writer", clinic_a).get(f"reply-batches/{bid}/").json()["version"] == 1


def test_the_batch_fix_refuses_what_it_cannot_use_with_a_400(clinic_a, as_user, login):
    cluster_id, _ids = _claim(clinic_a, 2)
    bid = as_user("alpha_writer", clinic_a).post("reply-batches/", {"cluster_id": cluster_id})
    bid = bid.json()["id"]
    writer = login("alpha_writer")
    for body, field in [
        (b"not json", "text"),
        ({"text": ""}, "text"),
        ({"text": BLOCKED, "start": 3}, "end"),
        ({"text": BLOCKED, "start": 9, "end": 2}, "end"),
        ({"text": BLOCKED, "start": 0, "end": 10_000}, "end"),
        ({"text": BLOCKED, "start": "a", "end": "b"}, "end"),
    ]:
        status, answer = _fix(writer, bid, body)
        assert (status, list(answer["fields"])) == (400, [field]), body
    # a person who may not write gets no fix
    analyst = login("alpha_analyst")
    assert analyst.post(f"{BASE}/replies/batches/{bid}/fix/", {"text": "x"}).status_code == 403


def test_the_replies_of_a_batch_are_marked_posted_by_hand_in_one_form_all_or_none(
    clinic_a, as_user, login, world, queued, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given a batch of three replies on a channel Carewatch cannot post to
    cluster_id, _ids = _claim(clinic_a, 3, kind="csv")
    bid, items = approved_batch(clinic_a, as_user, cluster_id)
    with schema_context(clinic_a.schema_name):
        assert set(OutboxItem.objects.filter(pk__in=items).values_list("status", flat=True)) == {
            "manual"
        }
    writer = login("alpha_writer")
    url = f"{BASE}/replies/batches/{bid}/"
    page = writer.get(url).content.decode()
    assert "Posted by hand (3 waiting)" in page and "I posted all 3" in page
    links = {f"url-{pk}": f"https://example.test/post/{pk}" for pk in items}

    # one link is not a web address: nothing is marked, and the page says which and why
    bad = writer.post(url, {"action": "mark_posted", "all": "1", **links,
                            f"url-{items[1]}": "not a link"})  # fmt: skip
    assert bad.status_code == 400
    html = bad.content.decode()
    assert f'id="posted-error-{items[1]}"' in html
    assert "Give the post&#x27;s web address (starting with https://)." in html
    assert f'value="https://example.test/post/{items[0]}"' in html  # what was typed stays
    with schema_context(clinic_a.schema_name):
        assert set(OutboxItem.objects.filter(pk__in=items).values_list("status", flat=True)) == {
            "manual"
        }

    # ticked with their links: each is marked through the outbox's service
    queued.clear()
    with capture(execute=True):
        done = writer.post(url, {"action": "mark_posted", "posted": items, **links})
    assert done.status_code == 302
    with schema_context(clinic_a.schema_name):
        marked = OutboxItem.objects.filter(pk__in=items).order_by("pk")
        assert [(i.status, i.external_url, i.done_by_name) for i in marked] == [
            ("posted_by_hand", f"https://example.test/post/{pk}", "Alpha Writer") for pk in items
        ]
    assert "Posted by hand (" not in writer.get(url).content.decode()

    # and the writer hears once what happened, in words that say it
    with capture(execute=True), schema_context(clinic_a.schema_name):
        for name, args in queued:
            if name == WRITER_TASK:
                reply_outcome_tell(item_id=args[0], outcome=args[1])
    [told] = Notification.objects.filter(user=world.users["alpha_writer"], kind="reply_published")
    assert told.title.startswith("Your 3 replies to the claim “")
    assert told.title.endswith("” were published: all 3 marked posted by hand")


def test_the_agency_approval_page_shows_the_batch_as_the_first_mention_gets_it(
    clinic_a, as_user, login
):
    cluster_id, _ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id}).json()["id"]
    assert writer.post(f"reply-batches/{bid}/submit/").json()["status"] == "pending_agency"
    page = login("alpha_manager").get(f"{BASE}/replies/").content.decode()
    card = page[page.index(f'id="batch-card-{bid}"') :]
    card = card[: card.index("</article>")]
    assert "The reply, as the first mention gets it" in card
    assert "{greeting}" not in card and "{contact_line}" not in card
    assert "Hello, thank you for raising this." in card and "+1 555 0100" in card


def test_a_reviewer_named_with_a_number_takes_no_stray_period(clinic_a):
    review = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        for name, said in [
            ("Reviewer 1", "Reviewer 1’s"),
            ("Harper Morales", "Harper M.’s"),
            ("Guest 42", "Guest 42’s"),
            ("James", "James’"),
        ]:
            Review.objects.filter(pk=review.pk).update(author_name=name)
            review.refresh_from_db()
            assert review_named(review, tz=clinic_zone(clinic_a)).startswith(
                f"{said} 2★ Google Business Profile review of "
            ), name
