"""The review page and the inbox show each topic's own sentiment (model 1.2.0 scores)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

TOPICS = [
    {"name": "wait_time", "triggers": ["wait", "two hours"], "sentiment": "negative"},
    {"name": "staff_attitude", "triggers": ["friendly"], "sentiment": "positive"},
]


def _review(score):
    return SimpleNamespace(
        pk=7, text="Dr Lee is wonderful. The wait was over two hours.", rating=5, likes=0,
        shares=0, replies=0, published_at=datetime(2026, 10, 1, tzinfo=UTC), edited_at=None,
        status="new", kind="review", url="", source=SimpleNamespace(name="Google", kind="google"),
        revisions=SimpleNamespace(all=list), score_list=[score], is_deleted=False,
        author_name="", parent=None, parent_id=None, external_id="x", sla_due_at=None,
    )  # fmt: skip


@pytest.mark.parametrize("topics", [TOPICS])
def test_the_review_page_shows_per_topic_sentiment(topics):
    score = SimpleNamespace(label="positive", score=0.8, model_version="m", topics=topics, flags=[])
    html = render_to_string(
        "feeds/review_detail.html",
        {"clinic": SimpleNamespace(slug="c", name="C"), "review": _review(score), "score": score},
    )
    # the topic in words, not its API name
    assert "Wait time" in html and "wait_time" not in html
    assert '<span class="pill negative"' in html
    assert '<span class="pill positive"' in html


def test_a_topic_without_sentiment_renders_as_before():
    score = SimpleNamespace(
        label="negative", score=-0.8, model_version="m", flags=[],
        topics=[{"name": "wait_time", "triggers": ["waited"]}],
    )  # fmt: skip
    html = render_to_string(
        "feeds/review_detail.html",
        {"clinic": SimpleNamespace(slug="c", name="C"), "review": _review(score), "score": score},
    )
    assert "Wait time" in html and "pill negative" in html  # the overall label only
    assert html.count("pill negative") == 1


def test_flags_are_named_in_words_on_the_review_page():
    score = SimpleNamespace(
        label="negative", score=-0.8, model_version="m", topics=[],
        flags=[{"name": "self_disclosed_health", "evidence": ["my diabetes"]},
               {"name": "patient_safety", "evidence": ["got sick after visiting"]}],
    )  # fmt: skip
    html = render_to_string(
        "feeds/review_detail.html",
        {"clinic": SimpleNamespace(slug="c", name="C"), "review": _review(score), "score": score},
    )
    assert "<strong>Health details shared by the writer</strong>" in html
    assert "<strong>Patient safety</strong>" in html
    assert "self_disclosed_health" not in html and "patient_safety" not in html


def test_a_false_claim_says_what_it_contradicts_and_the_model_version_is_tucked_away():
    version = "carewatch-sentiment-1.2.0+c325275a/misinfo-2.0.0+ba154989"
    fact = {"kind": "fact", "slug": "single-use-needles",
            "statement": "Every needle we use is single-use and sealed."}  # fmt: skip
    myth = {"kind": "myth", "slug": "vaccines-autism",
            "statement": "Large studies found no link between vaccines and autism."}  # fmt: skip
    score = SimpleNamespace(
        label="negative", score=-0.7, model_version=version, topics=[],
        created_at=datetime(2026, 10, 1, 9, 30, tzinfo=UTC),
        flags=[{"name": "misinformation", "evidence": ["reuses needles"], "contradicts": fact},
               {"name": "misinformation", "evidence": ["cause autism"], "contradicts": myth},
               {"name": "legal_threat", "evidence": ["lawyer"]}],
    )  # fmt: skip
    html = render_to_string(
        "feeds/review_detail.html",
        {"clinic": SimpleNamespace(slug="c", name="C"), "review": _review(score), "score": score},
    )
    assert (
        "It contradicts the clinic's fact sheet: “Every needle we use is single-use and sealed.”"
        in html
    )
    assert "It repeats a known health myth; the facts: “Large studies found no link" in html
    assert html.count('data-testid="contradicts"') == 2  # not under the legal threat
    # the version string is there for whoever asks, not beside the label
    assert "scored 2026-10-01 09:30" in html
    assert (
        f'<summary>Which models scored it</summary><code data-testid="model-version">{version}'
        in html
    )
    assert f"model {version}" not in html
