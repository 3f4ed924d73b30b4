"""The reply editor shows the reply clock from its first open, before anyone wrote a draft, and
it is the clock the agency's "Waiting for a reply" shows for the same review (one rule,
`inbox.selectors.reply_clock`): a late review says the same minutes past the target on both
pages, before and after a version exists; a negative mention without a rating (the reply
target counts it by its score) has a clock on both; a 5★ review has none on either."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.text import duration_words
from dashboard.services import clinic_snapshot_refresh
from feeds.models import ItemKind, Review
from tests.fixtures.rows import score_add
from tests.responses.conftest import OK_TEXT, source_of

pytestmark = pytest.mark.django_db

WAITING = "/agency/waiting/"


def _item(clinic, external_id: str, *, past_target: timedelta, rating, kind, label) -> Review:
    """A review published the clinic's reply target plus `past_target` ago (half a minute
    more, so a page read a few seconds later says the same minutes)."""
    ago = timedelta(minutes=clinic.reply_target_minutes, seconds=30) + past_target
    with schema_context(clinic.schema_name):
        review = Review.objects.create(
            source=source_of("google"), external_id=external_id, kind=kind, rating=rating,
            text="Nobody called me back about the bill.", published_at=timezone.now() - ago,
        )  # fmt: skip
        score_add(review=review, model_version="t", label=label, score=-0.8)
    return review


def _waiting_words(html: str, clinic_slug: str, pk: int) -> str:
    row = html[html.index(f'id="awaiting-{clinic_slug}-{pk}"') :]
    row = row[: row.index("</tr>")]
    return re.search(r'data-testid="past-target">([^<]+)<', row).group(1)


def _editor_clock(html: str) -> str | None:
    found = re.search(r"<p>Reply target: (?:<strong>)?([^<(]+?)(?:</strong>)? \(due <time", html)
    return found.group(1) if found else None


@pytest.mark.parametrize(
    ("kind", "rating"),
    [(ItemKind.REVIEW, 1), (ItemKind.MENTION, None)],
    ids=["one-star-review", "negative-mention-without-rating"],
)
def test_the_editor_shows_the_waiting_pages_clock_before_any_draft(clinic_a, login, kind, rating):
    # given a negative item 26 min past the clinic's reply target, nobody has drafted a reply
    late = _item(
        clinic_a, f"late-{kind}", past_target=timedelta(minutes=26), rating=rating, kind=kind,
        label="negative",
    )  # fmt: skip
    clinic_snapshot_refresh(clinic=clinic_a)
    writer = login("alpha_writer")
    target = duration_words(clinic_a.reply_target_minutes)

    # when the writer reads "Waiting for a reply", then opens its reply editor
    waiting = writer.get(WAITING).content.decode()
    editor = writer.get(f"/clinics/clinic-a/replies/review/{late.pk}/").content.decode()

    # then both say it is 26 min past the target, from the first open
    assert _waiting_words(waiting, "clinic-a", late.pk) == f"26 min past the {target} target"
    assert 'id="draft-h">New reply<' in editor
    assert _editor_clock(editor) == "overdue by 26 min"

    # and once a version exists the editor's clock is the same one
    saved = writer.post(
        f"/clinics/clinic-a/replies/review/{late.pk}/", {"action": "save", "text": OK_TEXT}
    )
    assert saved.status_code == 302
    after = writer.get(f"/clinics/clinic-a/replies/review/{late.pk}/").content.decode()
    assert 'id="draft-h">Draft — version 1' in after
    assert _editor_clock(after) == "overdue by 26 min"


def test_a_review_the_target_does_not_count_has_no_clock_on_either_page(clinic_a, login):
    # given a 5★ review long past the target (the reply target counts only negative or 1-2★)
    happy = _item(
        clinic_a, "happy", past_target=timedelta(hours=3), rating=5, kind=ItemKind.REVIEW,
        label="positive",
    )  # fmt: skip
    clinic_snapshot_refresh(clinic=clinic_a)
    writer = login("alpha_writer")

    # then neither the waiting page nor its editor shows a clock
    assert f'id="awaiting-clinic-a-{happy.pk}"' not in writer.get(WAITING).content.decode()
    editor = writer.get(f"/clinics/clinic-a/replies/review/{happy.pk}/").content.decode()
    assert "Reply target:" not in editor
