"""Risk flags: each fires on a realistic review with its evidence and stays quiet on a benign one."""

from __future__ import annotations

import pytest

from scoring.ml import data as D
from scoring.ml import flags
from scoring.ml.flags import find_flags
from scoring.ml.topics import rules_version


def flag(text: str, name: str) -> dict | None:
    return next((f for f in find_flags(text) if f["name"] == name), None)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        (
            "The pharmacy gave my father the wrong medication and he nearly died.",
            "wrong medication",
        ),
        ("I was misdiagnosed twice and sent home with a burst appendix.", "misdiagnosed"),
        (
            "The nurse dropped my mum while moving her and left her lying on the floor.",
            "dropped my mum",
        ),
        ("Botched filling, the dentist perforated my sinus.", "Botched"),
        (
            "They ignored my symptoms for weeks and it turned out to be sepsis.",
            "ignored my symptoms",
        ),
        pytest.param(
            "Heard from three parents that kids got sick after visiting this week. What is going on?",
            "got sick after visiting this week",
            id="sick-after-visiting",
        ),
        pytest.param(
            "My son caught something at the clinic, half the waiting room was coughing.",
            "caught something at the clinic",
            id="caught-at-the-clinic",
        ),
        pytest.param(
            "I got an infection after my appointment and nobody called back.",
            "infection after my appointment",
            id="infection-after-appointment",
        ),
        pytest.param(
            "Is it true there was an outbreak at this clinic? Nobody is telling us anything.",
            "outbreak at this clinic",
            id="outbreak-at-the-clinic",
        ),
        pytest.param(
            "I had a cleaning there last month and now I have hepatitis C.",
            "now I have hepatitis",
            id="infection-given",
        ),
        pytest.param(
            "Riverside Family Dental reuses needles. Saw it myself.",
            "reuses needles",
            id="reuses-needles",
        ),  # fmt: skip
        pytest.param(
            "Reused needles at this place. Unbelievable.", "Reused needles", id="reused-needles"
        ),  # fmt: skip
        pytest.param(
            "The syringes were reused, I saw the nurse do it.",
            "syringes were reused",
            id="syringes-were-reused",
        ),  # fmt: skip
        pytest.param(
            "Dirty instruments on the tray, never again.",
            "Dirty instruments",
            id="dirty-instruments",
        ),  # fmt: skip
        # the onboarding walk: an optometrist's 1-star review raised no flag
        pytest.param(
            "Got pink eye after my visit. I don't think they clean the equipment between patients.",
            "Got pink eye after my visit",
            id="pink-eye-after-visit",
        ),  # fmt: skip
        pytest.param(
            "I don't think they clean the equipment between patients.",
            "clean the equipment between patients",
            id="not-cleaned-between-patients",
        ),  # fmt: skip
        pytest.param(
            "My son picked up impetigo at the clinic.",
            "picked up impetigo at the clinic",
            id="impetigo-at-the-clinic",
        ),  # fmt: skip
    ],
)
def test_patient_safety_fires(text, evidence):
    found = flag(text, "patient_safety")
    assert found is not None
    assert any(evidence.lower() in e.lower() for e in found["evidence"])


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("I have instructed a solicitor and will be taking you to court.", "solicitor"),
        ("My attorney will be in touch. I am going to sue this practice.", "sue"),
        ("I have reported this surgery to the CQC.", "reported this surgery to the CQC"),
        ("We are pursuing legal action for the delay.", "legal action"),
    ],
)
def test_legal_threat_fires(text, evidence):
    found = flag(text, "legal_threat")
    assert found is not None
    assert any(evidence.lower() in e.lower() for e in found["evidence"])


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("I have type 2 diabetes and the nurse helped me with my insulin.", "diabetes"),
        ("After my hysterectomy the ward staff were wonderful.", "hysterectomy"),
        ("I'm on sertraline for my depression and the GP reviewed it kindly.", "sertraline"),
        ("I was diagnosed with bipolar disorder last year.", "bipolar"),
        ("When I was pregnant the midwives were brilliant.", "pregnant"),
    ],
)
def test_self_disclosed_health_fires(text, evidence):
    found = flag(text, "self_disclosed_health")
    assert found is not None
    assert any(evidence in e.lower() for e in found["evidence"])


def test_self_disclosure_ignores_relatives_and_general_statements():
    assert (
        flag("My husband has diabetes and the nurse was lovely.", "self_disclosed_health") is None
    )
    assert flag("They treat a lot of cancer patients here.", "self_disclosed_health") is None


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("If that receptionist speaks to me like that again I'll kill her.", "I'll kill her"),
        ("Watch your back, I know where you live.", "Watch your back"),
        ("The doctor is a fucking idiot and the receptionist a stupid cow.", "stupid cow"),
        ("You'll regret this, I will burn the place down.", "burn the place down"),
    ],
)
def test_threat_abuse_fires(text, evidence):
    found = flag(text, "threat_abuse")
    assert found is not None
    assert any(evidence.lower() in e.lower() for e in found["evidence"])


BENIGN = [
    "Lovely practice, the receptionist was kind and the doctor explained everything.",
    "Quick appointment, clean waiting room, no complaints at all.",
    "The nurse took my blood pressure and everything was fine. Killer parking though!",
    "Staff were courteous and the court yard garden is pretty.",
    "Sue on reception was lovely and sorted my appointment.",
]


@pytest.mark.parametrize("text", BENIGN)
def test_no_flags_on_benign_reviews(text):
    assert find_flags(text) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I was sick so I went in the same day and they saw me at once.", id="sick-so"),
        pytest.param("Got a sick note in five minutes, very efficient.", id="sick-note"),
        pytest.param("I am sick of waiting an hour past my appointment time.", id="sick-of"),
        pytest.param("I was sick after visiting my gran, so I rebooked.", id="visiting-a-relative"),
    ],
)
def test_ordinary_sickness_words_raise_no_patient_safety_flag(text):
    assert flag(text, "patient_safety") is None


@pytest.mark.parametrize(
    "text",
    [
        "They never reuse needles, everything comes sealed.",
        "No dirty instruments here, and they don't reuse gloves.",
        "Immaculate rooms, you don't have to worry about reused needles in this office.",
        "Great dentist, now I have a great smile.",
        "They always clean the equipment between patients, very reassuring.",
        "I got an eye infection, went in and they treated it fast.",
    ],
)
def test_a_denied_or_harmless_instrument_mention_raises_no_patient_safety_flag(text):
    assert flag(text, "patient_safety") is None


def test_a_changed_flag_rule_is_a_new_rules_version(monkeypatch):
    before = rules_version()
    monkeypatch.setattr(flags, "PATTERNS", (*flags.PATTERNS, r"\bnew rule\b"))
    assert rules_version() != before


# ---------------------------------------------------------------- RE2 twins (fastre.py)

SHARED_DATA = D.default_data_dir()
LEXICON = (flags.PATIENT_SAFETY, flags.LEGAL_THREAT, flags.THREAT_ABUSE, flags.SELF_HEALTH)


def test_every_flag_pattern_has_an_re2_twin():
    assert [p.pattern[:40] for p in LEXICON if flags._twin(p) is p] == []


@pytest.mark.parametrize(
    ("text", "name", "evidence"),
    [
        ("My LAWYER will SUE you", "legal_threat", "LAWYER"),
        ("İ am reporting you to the MEDICAL BOARD", "legal_threat", "MEDICAL BOARD"),
        ("I HAVE DIABETES and they ignored it", "self_disclosed_health", "I HAVE DIABETES"),
    ],
)
def test_evidence_is_cut_from_the_text_as_written(text, name, evidence):
    """The patterns run on the lower-cased text (or with re.IGNORECASE where lower-casing
    changes the length, as "İ" does); the evidence keeps the reviewer's own letters."""
    found = flag(text, name)
    assert found is not None and evidence in found["evidence"][0]


@pytest.mark.skipif(
    not (SHARED_DATA / "reviews").is_dir(),
    reason="needs the labelled data (scoring.ml.data.default_data_dir)",
)
def test_re2_and_re_agree_on_every_held_out_review_site_text():

    texts = [e.text for e in D.load_ratemds(SHARED_DATA, "heldout")]
    lows = [low for low in (flags._normalise(t).lower() for t in texts) if low.isascii()]
    assert len(lows) > 5000
    for pattern in LEXICON:
        twin = flags._twin(pattern)
        assert [low for low in lows if [m.span() for m in twin.finditer(low)]
                != [m.span() for m in pattern.finditer(low)]] == []  # fmt: skip
