"""A review's sentiment as pages name it, one rule (`scoring.models.review_sentiment`): "Mixed"
where the review both praises and complains, else the model's overall label, in words."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import Context, Template

from scoring.models import ReviewSentiment, review_sentiment


def _topic(name: str, sentiment: str | None) -> dict:
    topic = {"name": name, "triggers": ["x"]}
    if sentiment:
        topic["sentiment"] = sentiment
    return topic


@pytest.mark.parametrize(
    ("label", "topics", "expected"),
    [
        ("positive", [_topic("staff_attitude", "positive"), _topic("billing_insurance", "negative")],
         ReviewSentiment.MIXED),
        ("neutral", [_topic("staff_attitude", "positive"), _topic("billing_insurance", "negative")],
         ReviewSentiment.MIXED),
        ("negative", [_topic("staff_attitude", "positive"), _topic("billing_insurance", "negative")],
         ReviewSentiment.MIXED),
        ("positive", [_topic("wait_time", "negative")], ReviewSentiment.MIXED),
        ("negative", [_topic("staff_attitude", "positive")], ReviewSentiment.MIXED),
        ("neutral", [_topic("billing_insurance", "negative")], ReviewSentiment.NEUTRAL),
        ("neutral", [_topic("billing_insurance", "neutral")], ReviewSentiment.NEUTRAL),
        ("positive", [_topic("staff_attitude", "positive")], ReviewSentiment.POSITIVE),
        ("negative", [_topic("wait_time", None)], ReviewSentiment.NEGATIVE),
        ("negative", [], ReviewSentiment.NEGATIVE),
        ("positive", None, ReviewSentiment.POSITIVE),
        (None, [], None),
    ],
    ids=["praise-and-complaint", "neutral-overall-both-sides", "negative-overall-both-sides",
         "complaint-in-a-positive-review", "praise-in-a-negative-review", "neutral-complaint-only",
         "neutral", "positive", "topic-without-sentiment", "negative", "no-topics", "unscored"],
)  # fmt: skip
def test_the_rule(label, topics, expected):
    assert review_sentiment(label, topics) == expected


def _pill(score, args: str = "") -> str:
    return Template("{% load scoring_tags %}{% sentiment s " + args + " %}").render(
        Context({"s": score})
    )


def test_the_pill_says_mixed_in_words_with_what_was_said_of_each_side():
    score = SimpleNamespace(
        label="positive", score=0.62,
        topics=[_topic("staff_attitude", "positive"), _topic("billing_insurance", "negative")],
    )  # fmt: skip
    assert _pill(score, "number=True aspects=True") == (
        '<span class="pill mixed" title="Praise and complaint in one review; read as a whole, '
        'positive">Mixed 0.62</span> <span class="muted">· Billing and insurance negative</span>'
    )
    assert _pill(score) == (
        '<span class="pill mixed" title="Praise and complaint in one review; read as a whole, '
        'positive">Mixed</span>'
    )


def test_a_plain_review_reads_its_label_in_words():
    score = SimpleNamespace(
        label="neutral", score=0.05, topics=[_topic("billing_insurance", "neutral")]
    )
    assert _pill(score, "number=True aspects=True") == (
        '<span class="pill neutral">Neutral 0.05</span>'
    )
    assert _pill(None) == ""
