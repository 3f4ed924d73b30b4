"""Updating an item by pushing it again: a field left out keeps its stored value (a re-push
that only updates the likes keeps the text), and a changed text is scored again (the old
text's score, claim-cluster place and scoring failure go with the edit)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review
from scoring.engine import get_scorer
from scoring.models import ClaimCluster, ClaimMention, ReviewScore
from scoring.selectors import reviews_unscored_ids
from scoring.services import reviews_score
from tests.feeds.test_ingest_api import item, post


def test_a_re_push_without_text_updates_the_likes_and_keeps_everything_else(api, clinic_a):
    client = api("key_a")
    first = item(
        source="facebook", external_id="fb-1", text="This clinic reuses needles, avoid!",
        rating=None, likes=10, url="https://facebook.com/p/1", author="Sam",
    )  # fmt: skip
    review_id = post(client, first).json()["results"][0]["id"]

    # when only the engagement is pushed again
    again = post(
        client,
        {"source": "facebook", "external_id": "fb-1", "published_at": first["published_at"],
         "likes": 500, "shares": 40},
    )  # fmt: skip

    # then it is updated, and the text, author, link and kind are what they were
    assert again.json()["results"][0]["status"] == "updated"
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(pk=review_id)
        assert (review.text, review.author_name, review.url, review.kind) == (
            "This clinic reuses needles, avoid!", "Sam", "https://facebook.com/p/1", "mention",
        )  # fmt: skip
        assert (review.likes, review.shares) == (500, 40)
        assert not review.revisions.exists()  # the text did not change: no revision
    # and the same partial push again changes nothing
    assert post(
        client,
        {"source": "facebook", "external_id": "fb-1", "published_at": first["published_at"],
         "likes": 500, "shares": 40},
    ).json()["results"][0]["status"] == "unchanged"  # fmt: skip

    # a field sent empty is changed: an author who asked to be anonymous
    post(client, {"source": "facebook", "external_id": "fb-1",
                  "published_at": first["published_at"], "author": ""})  # fmt: skip
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(pk=review_id)
        assert (review.author_name, review.text, review.likes) == (
            "", "This clinic reuses needles, avoid!", 500,
        )  # fmt: skip


@pytest.fixture(scope="module")
def scorer():
    return get_scorer()


def test_an_edited_text_is_scored_again(api, clinic_a, scorer, django_capture_on_commit_callbacks):
    client = api("key_a")
    praise = item(external_id="g-edit-1", text="Lovely staff, great visit, thank you!", rating=5)
    review_id = post(client, praise).json()["results"][0]["id"]
    with schema_context(clinic_a.schema_name):
        reviews_score(review_ids=[review_id], scorer=scorer)
        assert ReviewScore.objects.get(review_id=review_id).label == "positive"
        # as if it had been put in a claim cluster
        cluster = ClaimCluster.objects.create(
            title="x", last_joined_at=Review.objects.get(pk=review_id).published_at
        )
        ClaimMention.objects.create(review_id=review_id, cluster=cluster, claim="x", similarity=1.0)

    # when the reviewer edits it into a complaint
    with django_capture_on_commit_callbacks(execute=False) as queued:
        edited = post(
            client,
            {**praise, "rating": 1,
             "text": "Horrible. The dentist was rude and hurt me, I am reporting them."},
        )  # fmt: skip
    assert edited.json()["results"][0]["status"] == "updated"
    # scoring is asked for after commit (beside the dashboard's refresh request, core.rollup)
    assert len([c for c in queued if c.__module__ != "core.rollup"]) == 1

    # then the old text's score and cluster place are gone: the sweeper would find it too
    with schema_context(clinic_a.schema_name):
        assert not ReviewScore.objects.filter(review_id=review_id).exists()
        assert not ClaimMention.objects.filter(review_id=review_id).exists()
        later = timezone.now() + timedelta(minutes=2)
        assert review_id in reviews_unscored_ids(version=scorer.version, changed_before=later)
        # and scoring it reads the new text
        assert reviews_score(review_ids=[review_id], scorer=scorer) == 1
        assert ReviewScore.objects.get(review_id=review_id).label == "negative"

    # an edit of the likes alone keeps the score
    post(client, {**praise, "rating": 1, "likes": 3,
                  "text": "Horrible. The dentist was rude and hurt me, I am reporting them."})  # fmt: skip
    with schema_context(clinic_a.schema_name):
        assert ReviewScore.objects.filter(review_id=review_id).count() == 1
