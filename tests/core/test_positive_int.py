"""`core.http.positive_int`: the one reading of an id typed in a query or form value. Only ASCII
digits make a number: `str.isdigit()` is also true for "²" or "①", which `int()` and the ORM
refuse with a ValueError (the 500s of review 13, #1)."""

from __future__ import annotations

import pytest

from core.http import positive_int


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("007", 7),
        ("9" * 18, int("9" * 18)),
        ("²", None),
        ("①", None),
        ("١٢", None),  # Arabic-Indic digits: int() reads them, an id never has them
        ("9" * 19, None),
        ("0", None),
        ("-3", None),
        ("+3", None),
        ("1_000", None),
        ("1.5", None),
        ("", None),
        (None, None),
        (5, None),
    ],
    ids=lambda v: repr(v)[:12],
)
def test_a_positive_id_or_none(value, number):
    assert positive_int(value) == number
