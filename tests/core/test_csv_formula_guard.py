"""One formula guard for every CSV file Carewatch writes: a text cell that starts with = + - @,
a tab or a carriage return gets a leading ' (a spreadsheet shows it, never runs it), in the
downloads (`csv_download`: approvals log, security log, privacy requests, settings history) as
in the clinic's data export (tests/offboarding/test_export_formula_guard.py)."""

from __future__ import annotations

import csv
import io

import pytest

from core.csv_download import FORMULA_STARTS, csv_download, formula_guarded


def _download(rows) -> list[list[str]]:
    response = csv_download(["cell"], rows, filename="x.csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))[1:]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=HYPERLINK(1)", "'\t=HYPERLINK(1)"),
        ("\r=HYPERLINK(1)", "'\r=HYPERLINK(1)"),
        ("Thanks = kind", "Thanks = kind"),
        ("", ""),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "inside", "empty"],
)
def test_a_download_guards_a_cell_that_starts_like_a_formula(cell, written):
    assert _download([[cell]]) == [[written]]


def test_numbers_and_empty_cells_are_written_as_they_are():
    assert _download([[-3], [None], [1.5]]) == [["-3"], [""], ["1.5"]]


def test_the_guard_is_the_stricter_rule():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}
    assert formula_guarded("\r\n=1") == "'\r\n=1"
