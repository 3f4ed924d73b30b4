"""The wording model (scoring/ml/wording.py) reads a text as the scikit-learn pair it was fitted
as (veracity_train.fit_wording): the same terms, weights and probability."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.ml import veracity_train as VT
from scoring.ml.wording import WordingModel, terms_of

ROWS = [
    ("5G towers spread the coronavirus, share before they delete this", 1),
    ("Drinking bleach cures COVID, doctors don't want you to know", 1),
    ("Vaccines cause autism, the CDC covered it up", 1),
    ("Hot water kills the virus in your throat, share share share", 1),
    ("The flu shot gives you the flu", 1),
    ("Garlic cures the coronavirus overnight", 1),
    ("Wash your hands for 20 seconds to stop the virus spreading", 0),
    ("The CDC recommends a flu vaccine every season for everyone 6 months and older", 0),
    ("Masks reduce the spread of respiratory droplets", 0),
    ("Vaccines are tested in clinical trials before approval", 0),
    ("The clinic opens at 8am on weekdays", 0),
    ("Dr Lee was kind and the wait was short", 0),
]


def test_the_wording_model_reads_a_text_as_scikit_learn_does(tmp_path):
    rows = [{"text": t, "y": y, "w": 1.0 + (i % 3)} for i, (t, y) in enumerate(ROWS * 2)]
    fitted = VT.fit_wording(rows)
    path = tmp_path / "wording.npz"
    WordingModel.save(path, fitted["terms"], fitted["idf"], fitted["coef"], fitted["intercept"])
    model = WordingModel.load(path)
    texts = [
        "SHARE before they DELETE: 5G spreads the virus!!",
        "Café owners say garlic cures the coronavirus, the coronavirus, the coronavirus",
        "nothing here is known",  # no known term: the intercept alone
        "",
        "The flu shot gives you the flu – the CDC covered it up",
    ]
    vec, lr = fitted["pipeline"]
    want = lr.predict_proba(vec.transform(texts))[:, 1]
    np.testing.assert_allclose(model.probabilities(texts), want, atol=1e-5)
    assert set(terms_of("Flu shot, flu!")) == {"flu", "shot", "flu shot", "shot flu"}


def test_a_term_with_a_line_break_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="line break"):
        WordingModel.save(tmp_path / "w.npz", ["a\nb"], [1.0], [1.0], 0.0)
