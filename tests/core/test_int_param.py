"""`core.http.int_param` / `int_params`: the one rule for a number a page's query or form
carries. Absent or blank is "none given"; a value that is not a number is refused with a 400
naming the field (`ParamRefused`), never read as "none given" (review: `?clinic=abc`,
`?page=-1`, a posted `reply_id=x`)."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from core.errors import ValidationFailed
from core.http import ParamRefused, int_param, int_params


@pytest.mark.parametrize(
    ("query", "number"),
    [("", None), ("id=", None), ("id=%20", None), ("id=12", 12), ("id=%207%20", 7)],
    ids=["absent", "blank", "spaces", "a-number", "padded"],
)
def test_a_number_or_none_given(query, number):
    assert int_param(QueryDict(query), "id") == number


@pytest.mark.parametrize(
    "raw",
    ["abc", "-1", "0", "1.5", "²", "9" * 19],
    ids=["word", "negative", "zero", "decimal", "superscript", "too-long"],
)
def test_a_value_that_is_not_a_number_is_refused_naming_the_field(raw):
    with pytest.raises(ParamRefused) as refused:
        int_param({"reply_id": raw}, "reply_id")

    exc = refused.value
    assert isinstance(exc, ValidationFailed) and exc.status_code == 400
    assert exc.detail == "Invalid input."
    assert exc.fields == {"reply_id": ["A number."]}
    assert exc.text() == "Invalid input. “reply_id”: A number."


def test_zero_is_a_number_where_it_may_be_one():
    # a reply's or a statement's version starts at 0
    assert int_param(QueryDict("expected_version=0"), "expected_version", zero=True) == 0
    with pytest.raises(ParamRefused):
        int_param(QueryDict("expected_version=-1"), "expected_version", zero=True)


def test_ticked_numbers_are_read_blanks_skipped_and_one_typed_wrong_refuses_them_all():
    assert int_params(QueryDict("posted=3&posted=&posted=5"), "posted") == [3, 5]
    assert int_params(QueryDict(""), "posted") == []
    with pytest.raises(ParamRefused) as refused:
        int_params(QueryDict("posted=3&posted=x"), "posted")
    assert refused.value.fields == {"posted": ["A number."]}
