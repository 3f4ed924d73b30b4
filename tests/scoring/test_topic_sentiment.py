"""Per-topic sentiment: each topic gets the label of the sentences that mention it, so a
complaint inside a five-star review is counted where it belongs — when those sentences are
sure of it (ScorerConfig.topic_override_min); otherwise the review's overall label stands."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.ml.engine import Scorer, ScorerConfig, load_scorer
from scoring.ml.topics import TOPIC_LEXICON, rules_version


class _Stub(Scorer):
    """Negative when a text says 'hours' or 'rude' and not 'wonderful'; positive otherwise."""

    version = "stub"

    def __init__(self, **config):
        super().__init__(ScorerConfig(**config))
        self.calls: list[list[str]] = []

    def sentiment(self, texts):
        self.calls.append(list(texts))
        out = []
        for t in texts:
            low = t.lower()
            bad = ("hours" in low or "rude" in low) and "wonderful" not in low
            out.append([0.9, 0.05, 0.05] if bad else [0.05, 0.05, 0.9])
        return np.array(out)


MIXED = "The wait was over two hours. Dr Lee is wonderful and her nurse was friendly."


def test_a_complaint_inside_a_positive_review_is_a_negative_topic():
    scorer = _Stub()
    [result] = scorer.score([MIXED])
    assert result.label == "positive"
    topics = {t["name"]: t for t in result.topics}
    assert topics["wait_time"]["sentiment"] == "negative"
    assert topics["staff_attitude"]["sentiment"] == "positive"
    assert topics["wait_time"]["triggers"] == ["wait", "two hours"]
    # one model call for the reviews, one batch for all their topic sentences
    assert len(scorer.calls) == 2
    assert scorer.calls[1] == [
        "The wait was over two hours.",
        "Dr Lee is wonderful and her nurse was friendly.",
    ]


def test_one_sentence_reviews_reuse_the_overall_label_without_another_call():
    scorer = _Stub()
    results = scorer.score(["The receptionist was rude", "Lovely friendly staff", "", "Hello"])
    assert [t["sentiment"] for t in results[0].topics] == ["negative"]
    assert [t["sentiment"] for t in results[1].topics] == ["positive"]
    assert results[2].topics == [] and results[3].topics == []
    assert len(scorer.calls) == 1


def test_topic_sentiment_can_be_switched_off():
    [result] = _Stub(topic_sentiment=False).score([MIXED])
    assert result.topics and all("sentiment" not in t for t in result.topics)


def test_an_unsure_topic_sentence_keeps_the_reviews_label():
    class _Unsure(_Stub):
        def sentiment(self, texts):
            probs = super().sentiment(texts)
            if len(self.calls) == 2:  # the topic sentences: as sure as the shipped model often is
                probs = np.where(probs > 0.5, 0.72, 0.14)
            return probs

    # a wait said without its length: the model judges it (a stated length would decide)
    text = "The wait felt like hours. Dr Lee is wonderful and her nurse was friendly."
    [result] = _Unsure().score([text])
    assert {t["name"]: t["sentiment"] for t in result.topics}["wait_time"] == "positive"
    [result] = _Unsure(topic_override_min=0.7).score([text])
    assert {t["name"]: t["sentiment"] for t in result.topics}["wait_time"] == "negative"


def test_topic_sentences_are_capped_per_review():
    from scoring.ml.engine import MAX_TOPIC_SENTENCES

    scorer = _Stub()
    scorer.score([" ".join(["We waited two hours."] * 30)])
    assert len(scorer.calls[1]) == MAX_TOPIC_SENTENCES


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(ScorerConfig(model="default"))


def test_the_shipped_model_does_not_read_a_kind_wait_as_a_complaint(scorer):
    """RateMDs reviewers who write "no wait at all" or "worth the wait" rate punctuality high;
    sentence by sentence the model calls such a sentence negative (it learned "wait" from
    complaints), and is not sure of it, so the topic keeps the review's label
    (bench/sentiment/topics.py: with the sentences always deciding, the wait_time topic agreed
    with the punctuality rating 70 % of the time on the training doctors; with the floor, 93 %)."""
    for text in (
        "Dr. Patel is wonderful and thorough. It is worth the wait to see her.",
        "No wait at all. Everyone at the front desk was lovely and Dr. Kim listened.",
        "Love this clinic. I waited maybe five minutes and the nurse was lovely.",
    ):
        [result] = scorer.score([text])
        assert result.label == "positive", text
        topics = {t["name"]: t["sentiment"] for t in result.topics}
        assert topics["wait_time"] == "positive", text
        assert set(topics.values()) <= {"negative", "neutral", "positive"}


def test_a_long_wait_in_a_glowing_review_is_counted_against_the_wait(scorer):
    """The issue's own example. Reviewers rate punctuality 4-5 after such a wait, so the topic
    head alone said positive; a reader does not (bench/sentiment/topics_text.py), and a stated
    long wait decides the topic (scoring/ml/waits.py), forgiven or not."""
    for text in (
        "Dr Lee is wonderful. The wait was over two hours.",
        "Dr Lee is wonderful. We waited two hours past our appointment time.",
        "Dr. Patel is wonderful and thorough. It is worth the long wait to see her.",
        "Best pediatrician in town, we sat 50 minutes in the waiting room but she is worth it.",
    ):
        [result] = scorer.score([text])
        assert result.label == "positive", text
        assert {t["name"]: t["sentiment"] for t in result.topics}["wait_time"] == "negative", text
    [result] = scorer.score(["Dr Lee is wonderful. The wait was about 20 minutes, as expected."])
    assert {t["name"]: t["sentiment"] for t in result.topics}["wait_time"] == "neutral"


def test_the_shipped_topic_head_is_part_of_the_model_version(scorer):
    from scoring.ml.engine import default_model_version

    assert scorer.topic_head is not None
    assert scorer.version.endswith(f"/{scorer.topic_head.version}/{rules_version()}")
    assert scorer.version == default_model_version()
    assert scorer.topic_head.version.startswith("topics-")


def test_a_changed_rule_is_a_new_model_version(monkeypatch):
    """Stored scores carry the version; a new one makes the sweeper rescore. A hand-written
    rule (the topic lexicon, the wait rules) changes labels as much as a retrained head."""
    from scoring.ml import waits
    from scoring.ml.engine import default_model_version

    before, rules = default_model_version(), rules_version()
    monkeypatch.setattr(waits, "PATTERNS", (*waits.PATTERNS, r"\bqueue(?:d)? for ages\b"))
    assert rules_version() != rules
    assert default_model_version() == before.replace(rules, rules_version())
    monkeypatch.setitem(TOPIC_LEXICON, "parking", ("Parking", ["parking", "car park"]))
    assert default_model_version() != before


def _artifacts_with_topic_meta(folder, change) -> str:
    """A copy of the shipped artifacts in `folder` whose topic head's meta `change` altered."""
    import json
    import shutil

    from scoring.ml.engine import ARTIFACTS

    for f in ARTIFACTS.iterdir():
        if f.is_file():
            shutil.copy(f, folder / f.name)
    with np.load(folder / "topic_head.npz") as z:
        arrays = dict(z)
    meta = json.loads(bytes(arrays["meta"]).decode())
    change(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(folder / "topic_head.npz", **arrays)
    return str(folder)


def test_a_topic_head_trained_on_another_encoder_is_refused(tmp_path):
    from scoring.ml.engine import ModelLoadError

    folder = _artifacts_with_topic_meta(
        tmp_path, lambda meta: meta.update(encoder="carewatch-sentiment-0.9.0+feedbeef")
    )
    with pytest.raises(ModelLoadError, match="topic head was trained on"):
        load_scorer(ScorerConfig(model="default", artifacts_dir=folder))


def test_topic_sentences_are_found_in_the_masked_text_and_located_in_the_text():
    from scoring.ml.claims import mask_name, name_pattern
    from scoring.ml.engine import sentence_spans, topic_sentences
    from scoring.ml.topics import find_topics

    text = "Riverside Family Dental made us wait two hours! The hygienist was rude.\nNever again"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Riverside Family Dental made us wait two hours!",
        "The hygienist was rude.",
        "Never again",
    ]
    masked = mask_name(text, name_pattern("Riverside Family Dental"))
    plan = topic_sentences([text], [masked], [find_topics(masked)])
    assert plan.sentences[0] == "the clinic made us wait two hours!"
    assert [text[a:b] for a, b in plan.spans] == [
        "Riverside Family Dental made us wait two hours!",
        "The hygienist was rude.",
    ]
    assert plan.spans_of([0]) == [plan.spans]
    # a masked text whose sentences no longer line up is read sentence by sentence, alone
    plan = topic_sentences(
        ["Dr. Who made us wait. Rude staff."],
        ["the clinic made us wait. Rude staff."],
        [find_topics("made us wait. rude staff.")],
    )
    assert plan.spans == [None, None]


def test_the_shipped_model_reads_topic_sentences_in_the_reviews_own_pass(scorer):
    """One encoder pass gives the review's label and its topic sentences' vectors; only a
    sentence the review's token budget cut is encoded again."""
    calls = []
    encode, encode_spans = scorer.encoder.encode, scorer.encoder.encode_spans
    scorer.encoder.encode = lambda *a, **k: calls.append("encode") or encode(*a, **k)
    scorer.encoder.encode_spans = lambda *a, **k: calls.append("spans") or encode_spans(*a, **k)
    mixed = (
        "Great doctor, very thorough. The wait was ridiculous, almost 3 hours in the waiting room."
    )
    try:
        [result] = scorer.score([mixed])
    finally:
        del scorer.encoder.encode, scorer.encoder.encode_spans
    assert calls == ["spans"]
    topics = {t["name"]: t["sentiment"] for t in result.topics}
    assert result.label == "positive" and topics["wait_time"] == "negative"


def test_a_topic_head_for_other_features_is_refused(tmp_path):
    from scoring.ml.engine import ModelLoadError

    # topics 1.0.0 read each sentence encoded alone and named no features
    folder = _artifacts_with_topic_meta(tmp_path, lambda meta: meta.pop("features"))
    with pytest.raises(ModelLoadError, match="topic head reads"):
        load_scorer(ScorerConfig(model="default", artifacts_dir=folder))


def test_a_topic_sentence_the_token_budget_cut_is_read_on_its_own(scorer):
    calls = []
    encode_spans = scorer.encoder.encode_spans
    scorer.encoder.encode_spans = lambda *a, **k: calls.append(k) or encode_spans(*a, **k)
    filler = " ".join(["The clinic is on the high street next to the library."] * 12)
    text = (
        f"Great doctor. {filler} The wait was three hours and the receptionist was rude. {filler}"
    )
    try:
        [result] = scorer.score([text])
    finally:
        del scorer.encoder.encode_spans
    # the review's pass, then the cut sentence alone on the sentence budget
    assert len(calls) == 2 and calls[1] == {"max_tokens": 48}
    assert {t["name"] for t in result.topics} >= {"wait_time", "staff_attitude"}
    assert all(t["sentiment"] in ("negative", "neutral", "positive") for t in result.topics)


def test_a_match_across_a_sentence_break_is_not_read_off_the_reviews_matches():
    from scoring.ml.engine import _inside_sentences

    bounds = [(0, 10), (11, 30)]
    assert _inside_sentences([(0, 2, 6, "wait"), (3, 12, 20, "rude")], bounds)
    assert not _inside_sentences([(0, 8, 14, "wait. rude")], bounds)  # crosses the break
    assert not _inside_sentences([(0, 25, 34, "tail")], bounds)  # runs past the last


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great therapists, but the wait at check-in was long.", {"wait_time": "negative"}),
        (
            "Super friendly team but parking is impossible.",
            {"staff_attitude": "positive", "facilities_parking": "negative"},
        ),
        (
            "Wonderful results, billing was a mess though.",
            {"clinical_outcome": "positive", "billing_insurance": "negative"},
        ),
        (
            "Five stars for the therapy itself; the waiting room wait is ridiculous.",
            {"wait_time": "negative"},
        ),
        (
            "Good results, parking is a nightmare though.",
            {"clinical_outcome": "positive", "facilities_parking": "negative"},
        ),
        (
            "Lovely therapists, but I always wait 30 minutes past my appointment.",
            {"staff_attitude": "positive", "wait_time": "negative"},
        ),
        ("Loved the staff. The wait was long though.", {"wait_time": "negative"}),
    ],
    ids=["check-in-wait", "parking", "billing-mess", "waiting-room", "parking-though",
         "past-appointment", "own-sentence"],
)  # fmt: skip
def test_a_complaint_in_a_contrasting_clause_is_counted_where_it_belongs(scorer, text, expected):
    """The usual mixed review: praise and complaint in one sentence. Each topic reads the clause
    that mentions it (clauses.py), not the sentence, so it no longer takes the praise's label;
    and a word said of another topic ("billing was a mess", "the waiting room wait", "past my
    appointment") does not add a topic of its own."""
    [result] = scorer.score([text])
    assert {t["name"]: t["sentiment"] for t in result.topics} == expected


def test_a_consistent_one_sentence_review_keeps_its_overall_label(scorer):
    text = "Friendly staff and great results, parking was easy."
    [result] = scorer.score([text])
    assert result.label == "positive"
    assert {t["name"]: t["sentiment"] for t in result.topics} == {
        "staff_attitude": "positive",
        "clinical_outcome": "positive",
        "facilities_parking": "positive",
    }


def test_a_contrasting_clause_other_than_the_wait_is_read_on_its_own(scorer):
    """The review's pass, then the non-wait clauses alone on the sentence budget; a wait clause
    is read in the review's pass (the review head takes "wait" alone for a complaint)."""
    from scoring.ml.engine import topic_sentences
    from scoring.ml.topics import find_topics

    text = "Great therapists, but the wait was long. Super friendly team but parking is impossible."
    plan = topic_sentences([text], [text], [find_topics(text)])
    assert plan.sentences == [
        "but the wait was long.",
        "Super friendly team",
        "but parking is impossible.",
    ]
    assert plan.clauses == [True, True, True]
    calls = []
    encode = scorer.encoder.encode
    scorer.encoder.encode = lambda texts, **k: calls.append(list(texts)) or encode(texts, **k)
    try:
        scorer.score([text])
    finally:
        del scorer.encoder.encode
    assert calls == [["Super friendly team", "but parking is impossible."]]
