"""The clinic's data export guards formulas by the one rule of every CSV file
(`core.csv_download.formula_guarded`): a cell that starts with a tab or a carriage return
before a formula too, as the downloads do (tests/core/test_csv_formula_guard.py)."""

from __future__ import annotations

import pytest

from core.csv_download import formula_guarded
from offboarding.exports import _cell


@pytest.mark.parametrize(
    "text",
    ["=HYPERLINK(1)", "+1", "-1", "@SUM(1)", "\t=HYPERLINK(1)", "\r=HYPERLINK(1)", "plain"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "plain"],
)
def test_an_export_cell_is_guarded_as_a_download_cell_is(text):
    assert _cell(text) == formula_guarded(text)
    assert _cell(text).startswith("'") == (text != "plain")
