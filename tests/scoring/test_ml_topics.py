"""Care topics: lexicon matches with their trigger words, word boundaries, both spellings."""

from __future__ import annotations

import pytest

from scoring.ml import data as D
from scoring.ml.topics import TOPIC_NAMES, TOPICS, _borrowed, _scan, find_topics


def topics_of(text: str) -> dict[str, list[str]]:
    return {t["name"]: t["triggers"] for t in find_topics(text)}


def test_at_least_twelve_topics():
    assert len(TOPIC_NAMES) >= 12
    for name in (
        "wait_time",
        "scheduling_access",
        "staff_attitude",
        "communication",
        "clinical_outcome",
        "billing_insurance",
        "cleanliness",
        "facilities_parking",
        "pain_safety",
        "privacy",
        "vaccines_misinformation",
        "medication_prescriptions",
    ):
        assert name in TOPIC_NAMES


def test_several_topics_with_their_triggers():
    found = topics_of(
        "Waited two hours past my appointment, the receptionist was rude, the car park was full "
        "and the toilets were filthy. Then they overcharged my insurance."
    )
    assert "two hours" in found["wait_time"] and "waited" in found["wait_time"]
    assert "scheduling_access" not in found  # the time the wait counts from, not scheduling
    assert found["staff_attitude"] == ["rude"]
    assert "car park" in found["facilities_parking"] and "toilets" in found["facilities_parking"]
    assert found["cleanliness"] == ["filthy"]
    assert set(found["billing_insurance"]) == {"overcharged", "insurance"}


@pytest.mark.parametrize(
    ("text", "topic", "trigger"),
    [
        ("The GP was patronising.", "staff_attitude", "patronising"),
        ("The doctor was patronizing.", "staff_attitude", "patronizing"),
        ("Paid a lot for the visit and my co-pay doubled.", "billing_insurance", "co-pay"),
        ("Hand sanitiser everywhere.", "cleanliness", "sanitiser"),
        ("Hand sanitizer everywhere.", "cleanliness", "sanitizer"),
        ("Had my flu jab today", "vaccines_misinformation", "flu jab"),
        ("They would not immunize my son", "vaccines_misinformation", "immunize"),
        ("They immunised my daughter", "vaccines_misinformation", "immunised"),
        (
            "My repeat prescription was lost by the chemist",
            "medication_prescriptions",
            "prescription",
        ),
        ("The nurse explained everything clearly", "communication", "explained"),
        ("I was treated with dignity and my privacy respected", "privacy", "dignity"),
        ("Still in pain after the operation", "pain_safety", "pain"),
        ("The treatment worked and I recovered quickly", "clinical_outcome", "recovered"),
        ("Dr. Wu finally got my asthma under control.", "clinical_outcome", "under control"),
        (
            "The steroid shot did absolutely nothing for my knee",
            "clinical_outcome",
            "did absolutely nothing",
        ),
        ("She is thorough and knowledgeable", "clinical_outcome", "thorough"),
        ("He left without any tests ordered", "clinical_outcome", "tests ordered"),
        ("The care here is top notch", "clinical_outcome", "the care here is"),
        ("Great aftercare once I was discharged", "discharge_follow_up", "discharged"),
        ("They were short-staffed all night", "staffing_continuity", "short-staffed"),
    ],
)
def test_topic_fires_with_trigger(text, topic, trigger):
    assert trigger in topics_of(text).get(topic, [])


@pytest.mark.parametrize(
    "text",
    [
        "The weather in Leeds was sunny and I bought a new bicycle.",
        "Sparking plugs and a parkinglot-free zone",  # no word-bounded match
        "",
    ],
)
def test_no_topic_on_unrelated_text(text):
    assert find_topics(text) == []


def test_word_boundaries():
    assert "facilities_parking" not in topics_of("sparking")
    assert "billing_insurance" not in topics_of("billboard and billion")
    assert "wait_time" not in topics_of("the waiter was chocolate")


def test_curly_apostrophes_and_case():
    found = topics_of("They NEVER TOLD me, and I couldn\u2019t get through on the PHONE LINE")
    assert "never told" in found["communication"]
    assert "phone line" in found["scheduling_access"]


def test_topic_matches_give_find_topics_answer_and_positions():
    from scoring.ml.topics import find_topics, topic_matches
    from scoring.ml.topics import topics_of as from_matches

    text = "The wait was long.\nThe receptionist was rude, the wait endless."
    matches = topic_matches(text)
    assert from_matches(matches) == find_topics(text)
    for _, a, b, trigger in matches:
        assert text[a:b].lower() == trigger
    # the topics of one sentence only
    assert [t["name"] for t in from_matches(matches, 0, 18)] == ["wait_time"]
    # a letter whose lower case is longer: no positions, find_topics still answers
    assert topic_matches("İ waited two hours") is None
    assert find_topics("İ waited two hours")[0]["name"] == "wait_time"


# ---------------------------------------------------------------- RE2 and re agree

SHARED_DATA = D.default_data_dir()


def python_scan(low: str) -> list[tuple]:
    found = [
        (k, m.start(), m.end(), m.group(0))
        for k, topic in enumerate(TOPICS)
        for m in topic.pattern.finditer(low)
    ]
    return [m for m in found if not _borrowed(low, m, found)]


def test_every_topic_pattern_runs_on_re2():
    """A lexicon change RE2 cannot compile falls back to `re` silently (still correct, three
    times slower): this names the topic that did."""
    assert [t.name for t in TOPICS if t.ascii_pattern is t.pattern] == []


@pytest.mark.parametrize(
    "text",
    [
        "The front desk staff were rude and we waited 2 hours in the waiting room.",
        "Overstaffed? Understaffed! The receptionist-nurse was great; parking was a nightmare.",
        "Billing charged my insurance twice (co-pay $40) and nobody called back re: my refund.",
        "dr. smith's bedside manner: 10/10. no wait at all; clean, friendly, on time",
        "waitwait staffstaff re-scheduled rescheduled vaccine-hesitant anti-vax",
        "",
    ],
)
def test_re2_finds_what_re_finds(text):
    low = text.lower()
    assert _scan(low) == python_scan(low)


def test_a_text_with_other_letters_is_read_by_re():
    """RE2's \\b is ASCII-only: inside "élovely" it sees a word start that `re` does not."""
    low = "the nurse was élovely and rude"
    staff = TOPIC_NAMES.index("staff_attitude")
    assert [m.group(0) for m in TOPICS[staff].ascii_pattern.finditer(low)] == ["lovely", "rude"]
    assert _scan(low) == python_scan(low) == [(staff, 26, 30, "rude")]


@pytest.mark.skipif(
    not (SHARED_DATA / "reviews").is_dir(),
    reason="needs the labelled data (scoring.ml.data.default_data_dir)",
)
def test_re2_and_re_agree_on_every_held_out_review_site_text():
    from scoring.ml.topics import _normalise

    texts = [e.text for e in D.load_ratemds(SHARED_DATA, "heldout")]
    lows = [low for low in (_normalise(t).lower() for t in texts) if low.isascii()]
    assert len(lows) > 5000
    assert [low for low in lows if _scan(low) != python_scan(low)] == []


# ---------------------------------------------------------------- borrowed trigger words


@pytest.mark.parametrize(
    ("text", "topic", "absent"),
    [
        ("Wonderful results, billing was a mess though.", "billing_insurance", "cleanliness"),
        ("The scheduling people are a complete mess.", "scheduling_access", "cleanliness"),
        ("They made a mess of my insurance claim.", "billing_insurance", "cleanliness"),
        (
            "Five stars for the therapy itself; the waiting room wait is ridiculous.",
            "wait_time",
            "facilities_parking",
        ),
        ("We waited two hours in the waiting room.", "wait_time", "facilities_parking"),
        ("I always wait 30 minutes past my appointment.", "wait_time", "scheduling_access"),
        ("Seen 10 minutes after my appointment time.", None, "scheduling_access"),
    ],
    ids=["billing-mess", "scheduling-mess", "mess-of", "waiting-room-wait", "wait-in-room",
         "past-appointment", "after-appointment-time"],
)  # fmt: skip
def test_a_word_said_of_another_topic_is_not_its_own_topic(text, topic, absent):
    found = topics_of(text)
    assert absent not in found
    if topic:
        assert topic in found


@pytest.mark.parametrize(
    ("text", "topic", "trigger"),
    [
        ("The bathroom was a mess.", "cleanliness", "mess"),
        ("The waiting room was lovely.", "facilities_parking", "waiting room"),
        ("After my appointment was cancelled twice I gave up.", "scheduling_access", "appointment"),
        ("Easy to get an appointment.", "scheduling_access", "appointment"),
    ],
)
def test_the_same_words_keep_their_topic_elsewhere(text, topic, trigger):
    assert trigger in topics_of(text)[topic]


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("Great therapists, but the wait was long.", ["Great therapists,", "but the wait was long."]),
        ("Super friendly team but parking is impossible.",
         ["Super friendly team", "but parking is impossible."]),
        ("Wonderful results, billing was a mess though.",
         ["Wonderful results,", "billing was a mess though."]),
        ("Five stars for the therapy; the wait is ridiculous.",
         ["Five stars for the therapy;", "the wait is ridiculous."]),
        ("Even though the wait was long, the doctor was great.",
         ["Even though the wait was long,", "the doctor was great."]),
        ("Staff were great, however, the wait was long.",
         ["Staff were great,", "however, the wait was long."]),
        ("Everything was great except the parking.", ["Everything was great", "except the parking."]),
        ("The wait, though, was 2 hours.", ["The wait, though, was 2 hours."]),
        ("The wait, however, was long.", ["The wait, however, was long."]),
        ("The staff were anything but friendly.", ["The staff were anything but friendly."]),
        ("Friendly staff and great results, parking was easy.",
         ["Friendly staff and great results, parking was easy."]),
    ],
    ids=["comma-but", "but", "closing-though", "semicolon", "opening-though", "however",
         "except", "parenthetical-though", "parenthetical-however", "anything-but", "no-contrast"],
)  # fmt: skip
def test_a_sentence_is_cut_into_its_contrasting_clauses(text, clauses):
    from scoring.ml.clauses import clause_spans

    assert [text[a:b] for a, b in clause_spans(text, 0, len(text))] == clauses
