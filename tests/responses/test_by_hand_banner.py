"""Right after "I posted it by hand" (one reply, or a batch's), the channel's "… to be posted by
hand" line of the banner counts what still waits, or leaves, on the very next page: the mark
settles it in its own transaction, before the notice's task (queued too) has run."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.models import OutboxItem
from responses.services.outbox import BY_HAND_TASK, by_hand_ref
from tests.responses.conftest import review_in
from tests.responses.test_batches import _claim, approved_batch
from tests.responses.test_by_hand import _approve, _run_notices

OUTBOX = "/clinics/clinic-a/outbox/"


@pytest.fixture
def not_set_up(settings):
    """A server where connecting Google is not set up: its replies go to "To post by hand"."""
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    settings.GOOGLE_OAUTH_CLIENT_SECRET = ""


def _banner(html: str) -> str:
    """The banner's "Waiting for you" lines, as the page renders them ("" when none)."""
    start = html.index('id="alert-banner"')
    region = html[start : html.index('<main id="main">', start)]
    return region[region.index("Waiting for you") :] if "Waiting for you" in region else ""


def test_one_reply_posted_by_hand_leaves_the_banner_on_the_next_page(
    not_set_up, clinic_a, as_user, world, login, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given two replies waiting to be posted by hand on a Google channel, and the notice out
    reviews = [review_in(clinic_a, "google") for _ in range(2)]
    ids = _approve(clinic_a, as_user, reviews, capture)
    _run_notices(clinic_a, queued, capture)
    # (they wait for their writer, the one person named to post them)
    owner = login("alpha_writer")
    assert "2 replies wait for you to post by hand on google source" in _banner(
        owner.get(OUTBOX).content.decode()
    )

    # when the writer marks one posted by hand, and reads the page it leads to (the notice's
    # task queued, not run yet)
    with capture(execute=True):
        page = owner.post(
            OUTBOX,
            {"item": ids[0], "action": "mark_posted", "url": "https://example.org/p/1"},
            follow=True,
        )

    # then the banner counts the one left
    assert page.status_code == 200
    banner = _banner(page.content.decode())
    assert "1 reply waits for you to post by hand on google source" in banner
    assert "2 replies wait" not in banner
    assert (BY_HAND_TASK, (ids[0],)) in queued

    # and once the last is posted, the line leaves at once
    with capture(execute=True):
        page = owner.post(
            OUTBOX,
            {"item": ids[1], "action": "mark_posted", "url": "https://example.org/p/2"},
            follow=True,
        )
    assert "to post by hand" not in _banner(page.content.decode())
    ref = by_hand_ref(reviews[0].source_id, world.users["alpha_writer"].pk)
    assert not Notification.objects.filter(clinic=clinic_a, ref=ref, open=True).exists()
    # the notice's task, run afterwards, finds nothing to change
    _run_notices(clinic_a, queued, capture)
    assert not Notification.objects.filter(clinic=clinic_a, ref=ref, open=True).exists()


def test_a_batch_posted_by_hand_leaves_the_banner_on_the_next_page(
    clinic_a, as_user, login, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given a batch's two replies on Yelp (replies there are always posted by hand)
    cluster_id, _ = _claim(clinic_a, 2, kind="yelp")
    with capture(execute=True):
        bid, ids = approved_batch(clinic_a, as_user, cluster_id)
    _run_notices(clinic_a, queued, capture)
    with schema_context(clinic_a.schema_name):
        assert (
            list(OutboxItem.objects.filter(pk__in=ids).values_list("status", flat=True))
            == ["manual"] * 2
        )
    owner = login("alpha_writer")  # the batch's writer, named to post them
    assert "2 replies wait for you to post by hand" in _banner(owner.get(OUTBOX).content.decode())

    # when both are marked posted at once on the batch's page
    page = owner.post(
        f"/clinics/clinic-a/replies/batches/{bid}/",
        {"action": "mark_posted", "all": "on",
         **{f"url-{pk}": f"https://example.org/b/{pk}" for pk in ids}},
        follow=True,
    )  # fmt: skip

    # then the next page's banner no longer asks for them
    assert page.status_code == 200
    assert "Marked posted by hand: 2 replies." in page.content.decode()
    assert "to post by hand" not in _banner(page.content.decode())
