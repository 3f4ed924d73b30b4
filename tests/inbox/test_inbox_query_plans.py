"""The inbox and the reviews API stay fast with a large clinic (bench/inbox): the reply-state
filters are plain EXISTS / NOT EXISTS (the CASE that names the state is read for the rows
shown only), and each sort and the text search has an index matching its exact expression."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from inbox.selectors import reply_state_is, reviews_matching, reviews_page_json, with_reply_state
from responses.models import ReplyDraft
from scoring.selectors import latest_score_field, scores_newest_first
from tests.fixtures.rows import score_add

T0 = datetime(2026, 9, 1, tzinfo=UTC)
INBOX = "/clinics/clinic-a/inbox/"


@pytest.fixture
def replies(clinic_a):
    """external id -> review, each with the replies named (statuses, oldest first)."""
    rows = {
        "posted-then-drafted": ["published", "draft"],
        "discarded-only": ["discarded"],
        "approved": ["discarded", "approved"],
        "in-progress": ["pending_legal"],
        "posted": ["published"],
        "none": [],
    }
    made = {}
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for n, (eid, statuses) in enumerate(rows.items()):
            made[eid] = Review.objects.create(
                source=source, external_id=eid, rating=2, text=f"Dr. Okafor {eid}",
                published_at=T0 + timedelta(hours=n),
            )  # fmt: skip
            for status in statuses:
                ReplyDraft.objects.create(review=made[eid], status=status, author_label="user:1")
    return made


def test_each_reply_state_filter_lists_what_the_state_shown_says(clinic_a, replies):
    with schema_context(clinic_a.schema_name):
        mine = Review.objects.filter(pk__in=[r.pk for r in replies.values()])
        shown = dict(with_reply_state(mine).values_list("external_id", "reply_state"))
        assert shown == {
            "posted-then-drafted": "published",
            "discarded-only": "none",
            "approved": "approved",
            "in-progress": "drafted",
            "posted": "published",
            "none": "none",
        }
        for state in ("none", "drafted", "approved", "published"):
            listed = set(mine.filter(reply_state_is(state)).values_list("external_id", flat=True))
            assert listed == {eid for eid, s in shown.items() if s == state}, state


def test_the_inbox_counts_and_narrows_claims_without_the_case_of_reply_states(
    clinic_a, replies, login
):
    # given a writer filtering the inbox by reply state
    writer = login("alpha_writer")
    with CaptureQueriesContext(connection) as ctx:
        page = writer.get(f"{INBOX}?reply=none&q=okafor")
    # then it lists the two with no reply...
    assert page.status_code == 200
    body = page.content.decode()
    listed = [eid for eid, r in replies.items() if f'id="r{r.pk}"' in body]
    assert listed == ["discarded-only", "none"]
    # ...and only the query of the rows shown (the page's LIMIT) names each row's reply state
    with_case = [q["sql"] for q in ctx.captured_queries if "CASE WHEN" in q["sql"]]
    assert len(with_case) == 1 and " LIMIT " in with_case[0], with_case


def _plan(sql: str, params=(), *, off=("seqscan", "bitmapscan", "sort")) -> str:
    """The plan of `sql` with the scans a few rows would rather use turned off (without a sort,
    an ordered read needs an index on its exact expression)."""
    with connection.cursor() as cursor:
        for name in off:
            cursor.execute(f"SET LOCAL enable_{name} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for name in off:
            cursor.execute(f"SET LOCAL enable_{name} = on")
    return plan


@pytest.mark.parametrize(
    ("order", "index"),
    [
        pytest.param("reach", "review_reach_order", id="reach"),
        pytest.param("rating", "review_rating_order", id="rating"),
    ],
)
def test_the_inbox_and_the_api_sorts_read_their_index(clinic_a, replies, order, index):
    with schema_context(clinic_a.schema_name):
        # the inbox (the ORM)
        inbox = reviews_matching(order=order)[:50].query.sql_with_params()
        assert index in _plan(*inbox)
        assert "Sort" not in _plan(*inbox)
        # the API (its own SQL, keyset pages)
        with CaptureQueriesContext(connection) as ctx:
            reviews_page_json({"order": order}, after=None, newer=False, limit=50)
        assert index in _plan(ctx.captured_queries[-1]["sql"])


def test_the_text_search_reads_the_trigram_index(clinic_a, replies):
    with schema_context(clinic_a.schema_name):
        # GIN is read by bitmap only; deleted ones too, so no partial index offers the rows
        sql = reviews_matching(q="okafor", include_deleted=True).query.sql_with_params()
        assert "review_text_trgm" in _plan(*sql, off=("seqscan", "indexscan"))
        found = set(reviews_matching(q="OKAFOR Discarded").values_list("external_id", flat=True))
        assert found == {"discarded-only"}  # still a substring, whatever the case


def test_the_latest_score_is_the_first_entry_of_an_index(clinic_a, replies):
    with schema_context(clinic_a.schema_name):
        review = replies["none"]
        score_add(review=review, model_version="a", label="neutral", score=0)
        # one review's latest score looked up (`latest_score`, the prefetch, the API's LATERAL)
        qs = scores_newest_first().filter(review=review)[:1]
        plan = _plan(*qs.query.sql_with_params())
        assert "score_review_latest" in plan
        assert "Sort" not in plan


def test_a_list_reads_the_latest_score_through_the_pointer_by_key(clinic_a, replies):
    # given a scored review
    with schema_context(clinic_a.schema_name):
        review = replies["none"]
        score_add(review=review, model_version="a", label="neutral", score=0.25, flags=[])
        # when a list reads its latest score's fields (as the export, the report and the
        # dashboard do)
        qs = (
            Review.objects.filter(pk=review.pk)
            .annotate(label=latest_score_field("label"), value=latest_score_field("score"))
            .order_by()
        )
        plan = _plan(*qs.query.sql_with_params())
        # then it joins the stored pointer and its score by their keys: no subquery per review,
        # no sort of a review's scores. (Which of the pointer's two keys leads, its review or its
        # score, is the planner's choice from the tables' statistics, which committed tests of
        # the same process change.)
        assert re.search(r"Index Scan using scoring_latestscore_\w+ on scoring_latestscore", plan)
        assert "scoring_reviewscore_pkey" in plan
        assert "SubPlan" not in plan and "score_review_latest" not in plan
        assert list(qs.values_list("label", "value")) == [("neutral", 0.25)]
