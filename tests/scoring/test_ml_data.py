"""The data loaders handle every trap in /work/shared/data/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.ml import data as D

DATA = Path("/work/shared/data")
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
