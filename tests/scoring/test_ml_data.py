"""The data loaders handle every trap in /work/shared/data/README.md."""

from __future__ import annotations

import pytest

from scoring.ml import data as D

DATA = D.default_data_dir()
pytestmark = pytest.mark.skipif(
    not (DATA / "reviews").is_dir(), reason="labelled data not on this machine"
)


def test_drugs_com_entities_and_quotes():
    rows = D.load_drugs_com(DATA, "train")
    assert len(rows) == 600
    assert not any("&#039;" in r.text or "&amp;" in r.text or "&quot;" in r.text for r in rows)
    assert not any(r.text.startswith('"') and r.text.endswith('"') for r in rows)
    assert {r.label for r in rows} == {"negative", "neutral", "positive"}


def test_druglib_joined_crlf_and_duplicates_dropped():
    train, test = D.load_druglib(DATA, "train"), D.load_druglib(DATA, "test")
    assert len(test) == 1036
    # the README's 14 reviews (15 rows) also in the test file, plus one differing in whitespace
    assert len(train) == 3107 - 16
    assert not {r.text for r in train} & {r.text for r in test}
    assert not any("\r" in r.text for r in train + test)
    assert any(r.meta["drug"] for r in test)  # the test file's urlDrugName column


def test_nhs_v6_cleaning_and_split():
    rows = D.load_nhs_v6(DATA, "all")
    assert not any(r.text.lower() == "did not answer" or not r.text for r in rows)
    assert not any(D.BARE_ANSWER.match(r.text) for r in rows)
    assert not any(
        r.meta["question"] in D.IMPROVEMENT_QUESTIONS and D.word_count(r.text) <= 3 for r in rows
    )
    train, held = D.load_nhs_v6(DATA, "train"), D.load_nhs_v6(DATA, "heldout")
    assert len(train) + len(held) == len(rows)
    assert 0.17 < len(held) / len(rows) < 0.23
    assert not {r.text.lower() for r in train} & {r.text.lower() for r in held}
    assert [r.text for r in D.load_nhs_v6(DATA, "heldout")] == [
        r.text for r in held
    ]  # deterministic


def test_nhs_phase1_trust_b_zeros_and_invalid_values_dropped():
    rows = D.load_nhs_phase1(DATA, "all")
    assert not any(r.meta["trust"] == "Trust B" and r.meta["criticality"] == 0 for r in rows)
    assert all(-5 <= r.meta["criticality"] <= 5 for r in rows)


def test_constraint_urls_removed():
    for split in ("train", "test"):
        rows = D.load_constraint(DATA, split)
        assert not any("http" in r.text or "t.co/" in r.text for r in rows)
        assert {r.label for r in rows} == {"fake", "real"}


def test_validation_split_is_carved_from_train_deterministically():
    rows = D.load_drugs_com(DATA, "train")
    fit, val = D.validation_split(rows, percent=10)
    assert len(fit) + len(val) == len(rows)
    assert D.validation_split(rows, percent=10)[1] == val


def test_ratemds_labels_dedup_language_and_doctor_split():
    train, held = D.load_ratemds(DATA, "train"), D.load_ratemds(DATA, "heldout")
    rows = train + held
    # 49,141 rows less 196 empty, the repeated texts and ~2 % French/Spanish
    assert 46_000 < len(rows) < 49_000
    assert len({D.normalise_for_hash(r.text) for r in rows}) == len(rows)
    assert not any(D.looks_non_english(r.text) for r in rows)
    for r in rows:
        stars = int(r.meta["average"] + 0.5)
        assert r.meta["stars"] == stars
        assert r.label == ("negative" if stars <= 2 else "neutral" if stars == 3 else "positive")
    # about 87 % five-star, as the README warns
    assert 0.8 < sum(r.meta["stars"] == 5 for r in rows) / len(rows) < 0.92
    # split by doctor: about 20 % held out, no text on both sides
    assert 0.15 < len(held) / len(rows) < 0.25
    assert not {r.text for r in train} & {r.text for r in held}


def test_healthgrades_truncation_marker_removed_and_provider_split():
    train, held = D.load_healthgrades(DATA, "train"), D.load_healthgrades(DATA, "heldout")
    rows = train + held
    assert 3_300 < len(rows) <= 3_523
    # the cut marker is gone (2 texts end in a longer run of dots of their own)
    assert sum(r.text.endswith("...") for r in rows) <= 2
    assert sum(r.meta["truncated"] for r in rows) > 900
    assert {r.meta["stars"] for r in rows} == {1, 2, 3, 4, 5}
    assert not {r.text for r in train} & {r.text for r in held}


def test_language_filter_keeps_english_and_drops_french():
    assert D.looks_non_english("Le docteur est très gentil et il prend le temps de nous écouter.")
    assert D.looks_non_english("El doctor es muy amable y me explicó todo con paciencia.")
    assert not D.looks_non_english("She is slow but very thorough, I love her.")
    assert not D.looks_non_english("Dr. La Rosa was great.")


def test_heldout_sets_come_per_source_and_training_never_sees_them():
    held = D.sentiment_heldout(DATA)
    assert list(held)[:2] == ["RateMDs held-out", "Healthgrades held-out"]
    train_texts = {r.text for r in D.sentiment_train(DATA)}
    for name in ("RateMDs held-out", "Healthgrades held-out", "NHS v6 held-out"):
        assert not train_texts & {r.text for r in held[name]}
