"""The inbox and `GET reviews/` filter by care topic (and the topic's own sentiment), sort by
rating (lowest first) and oldest first, and never answer a misleading list: an unknown value or
parameter is named (a 400 in the API, a message and nothing listed on the page)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from scoring.models import ReviewScore
from scoring.services import latest_scores_refresh

T0 = datetime(2026, 10, 1, tzinfo=UTC)
API = "/clinics/clinic-a/api/v1/reviews/"
INBOX = "/clinics/clinic-a/inbox/"
WAIT_NEG = {"name": "wait_time", "triggers": ["wait"], "sentiment": "negative"}
WAIT_POS = {"name": "wait_time", "triggers": ["no wait"], "sentiment": "positive"}
STAFF_NEG = {"name": "staff_attitude", "triggers": ["rude"], "sentiment": "negative"}
# scored before topics had a sentiment
BILLING = {"name": "billing_insurance", "triggers": ["bill"]}


@pytest.fixture
def topics(clinic_a):
    """e-id -> review: (rating, day, topics of the latest score; None: unscored)."""
    rows = {
        "w5": (5, 0, [WAIT_NEG]),  # a five-star review complaining about the wait
        "w1": (1, 1, [WAIT_NEG, STAFF_NEG]),
        "p4": (4, 2, [WAIT_POS]),
        "s2": (2, 3, [STAFF_NEG]),
        "b3": (3, 4, [BILLING]),
        "m": (None, 5, None),  # a mention: no rating, not scored
    }
    made = {}
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for eid, (rating, day, found) in rows.items():
            made[eid] = Review.objects.create(
                source=source, external_id=eid, rating=rating, text=f"{eid} text",
                published_at=T0 + timedelta(days=day),
            )  # fmt: skip
            if found is not None:
                ReviewScore.objects.create(review=made[eid], model_version="t", label="neutral",
                                           score=0.0, topics=found)  # fmt: skip
        # an older score named wait_time; the latest does not: only the latest counts
        ReviewScore.objects.filter(review=made["s2"]).update(created_at=T0)
        ReviewScore.objects.create(review=made["s2"], model_version="t0", label="neutral",
                                   score=0.0, topics=[WAIT_NEG])  # fmt: skip
        ReviewScore.objects.filter(review=made["s2"], model_version="t0").update(
            created_at=T0 - timedelta(days=1)
        )
        latest_scores_refresh(review_ids=[r.pk for r in made.values()])  # as scores_write
    return made


def _ids(client, query: str) -> list[str]:
    body = client.get(f"{API}?{query}").json()
    return [r["external_id"] for r in body["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("topic=wait_time", ["p4", "w1", "w5"], id="topic"),
        pytest.param("topic=wait_time&topic_sentiment=negative", ["w1", "w5"], id="topic-neg"),
        pytest.param("topic=wait_time&topic_sentiment=positive", ["p4"], id="topic-pos"),
        pytest.param("topic_sentiment=negative", ["s2", "w1", "w5"], id="any-topic-neg"),
        pytest.param("topic=billing_insurance", ["b3"], id="topic-without-sentiment"),
        pytest.param(
            "topic=billing_insurance&topic_sentiment=negative", [], id="no-sentiment-no-match"
        ),
        pytest.param("topic=staff_attitude&rating_max=2", ["s2", "w1"], id="with-other-filters"),
        pytest.param("order=rating", ["w1", "s2", "b3", "p4", "w5", "m"], id="rating-lowest"),
        pytest.param("order=oldest", ["w5", "w1", "p4", "s2", "b3", "m"], id="oldest"),
        pytest.param("order=oldest&topic=wait_time", ["w5", "w1", "p4"], id="oldest-topic"),
    ],
)
def test_the_api_filters_by_topic_and_sorts(topics, api, query, expected):
    assert _ids(api("key_a"), query) == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("topic=waiting", "topic", "is not a valid choice"),
        ("topic=wait_time&topic_sentiment=bad", "topic_sentiment", "is not a valid choice"),
        ("order=worst", "order", "is not a valid choice"),
        ("sla=yes", "sla", "is not a valid choice"),
        ("topics=wait_time", "topics", "Unknown parameter."),
        ("sort=rating&source=google", "sort", "Unknown parameter."),
    ],
)
def test_an_unknown_value_or_parameter_is_a_400_naming_it(topics, api, query, field, message):
    response = api("key_a").get(f"{API}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == [field]
    assert message in body["fields"][field][0]


def test_documented_paging_and_format_parameters_are_accepted(topics, api):
    client = api("key_a")
    first = client.get(f"{API}?page_size=2&format=json&topic=wait_time").json()
    assert [r["external_id"] for r in first["results"]] == ["p4", "w1"]
    assert "topic=wait_time" in first["next"]  # the filter is kept in the links
    assert [r["external_id"] for r in client.get(first["next"]).json()["results"]] == ["w5"]
    assert client.get(f"{API}?page=1").status_code == 200  # deprecated, still answered


@pytest.mark.parametrize("order", ["rating", "oldest", "newest", "reach"])
def test_cursor_pages_walk_every_order_forward_and_back(topics, api, order):
    client = api("key_a")
    everything = _ids(client, f"order={order}")
    pages, url, body = [], f"{API}?order={order}&page_size=2", None
    while url:
        body = client.get(url).json()
        pages.append([r["external_id"] for r in body["results"]])
        url = body["next"]
    assert [eid for page in pages for eid in page] == everything
    back, url = [], body["previous"]
    while True:
        body = client.get(url).json()
        if not body["results"]:
            break
        back.append([r["external_id"] for r in body["results"]])
        url = body["previous"]
    assert back == pages[-2::-1]


def _listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="review" value="(\d+)"', html)]


def test_the_inbox_filters_by_topic_in_words_and_keeps_it(topics, login):
    client = login("alpha_writer")
    html = client.get(f"{INBOX}?topic=wait_time&topic_sentiment=negative").content.decode()
    assert _listed(html) == [topics["w1"].pk, topics["w5"].pk]
    # the filter bar names the topics in words, the chosen one selected
    assert '<option value="wait_time" selected>Wait time</option>' in html
    assert '<option value="staff_attitude" >Staff attitude</option>' in html
    assert '<option value="negative" selected>Negative</option>' in html


def test_the_inbox_sorts_by_rating_and_oldest(topics, login):
    client = login("alpha_writer")
    html = client.get(f"{INBOX}?order=rating").content.decode()
    assert _listed(html) == [topics[e].pk for e in ("w1", "s2", "b3", "p4", "w5", "m")]
    assert '<option value="rating" selected>Lowest rating first</option>' in html
    html = client.get(f"{INBOX}?order=oldest").content.decode()
    assert _listed(html)[0] == topics["w5"].pk


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("topic=waiting", "“Topic”: “waiting” is not a valid choice."),
        ("order=worst", "“Sort”: “worst” is not a valid choice."),
        ("topics=wait_time", "“topics”: Unknown filter: the inbox has no such filter."),
    ],
)
def test_the_inbox_names_what_it_cannot_read_and_lists_nothing(topics, login, query, named):
    response = login("alpha_writer").get(f"{INBOX}?{query}")
    html = response.content.decode()
    assert response.status_code == 400
    assert _listed(html) == []
    assert 'data-testid="filter-errors">Nothing is listed: a filter could not be read.' in html
    assert named in html.replace("&quot;", "“", 1).replace("&quot;", "”", 1)


def test_the_topic_is_kept_in_the_paging_links(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        for n in range(51):
            review = Review.objects.create(source=source, external_id=f"x{n}", rating=2,
                                           text="wait", published_at=T0 + timedelta(hours=n))  # fmt: skip
            ReviewScore.objects.create(review=review, model_version="t", label="negative",
                                       score=-0.5, topics=[WAIT_NEG])  # fmt: skip
            latest_scores_refresh(review_ids=[review.pk])
    html = login("alpha_writer").get(f"{INBOX}?topic=wait_time&order=oldest").content.decode()
    assert '<a href="?topic=wait_time&amp;order=oldest&amp;page=2">Next</a>' in html
