"""core.api.query_params_validated: the fast path answers as the serializer (a choice it
cannot read also names the choices), and beyond it refuses an unknown parameter, a
single-valued one given twice and a date range whose end comes before its start."""

from datetime import date

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api import query_params_validated
from inbox.apis import ReviewFilterSerializer


def _serializer_answer(query: str):
    checked = ReviewFilterSerializer(data=QueryDict(query))
    return ("ok", checked.validated_data) if checked.is_valid() else ("error", checked.errors)


def _fast_answer(query: str, serializer=ReviewFilterSerializer, **options):
    try:
        return "ok", query_params_validated(serializer, QueryDict(query), **options)
    except ValidationError as exc:
        return "error", exc.detail


@pytest.mark.parametrize(
    "query",
    [
        "",
        "rating=1",
        "q=&rating=",  # empty optional values count as absent
        "q=%20parking%20",
        "include_deleted=true",
        "include_deleted=0",
        "include_deleted=maybe",
        "source=google&published_from=2026-01-20T00:00:00Z&published_to=2026-02-10",
        "rating=9&rating_max=0&source=fax&published_from=soon&status=gone&sentiment=meh",
        "source_id=-3&q=" + "x" * 201,
        "cursor=abc&page_size=10&unknown=1",
    ],
)
def test_the_fast_path_answers_as_the_serializer(query):
    fast, slow = _fast_answer(query, also=None), _serializer_answer(query)
    assert fast[0] == slow[0]
    if fast[0] == "ok":
        assert fast == slow
    else:  # the same fields, each with the serializer's message (a choice's names the choices)
        assert list(fast[1]) == list(slow[1])
        for name, messages in fast[1].items():
            assert [m.code for m in messages] == [m.code for m in slow[1][name]]
            for own, serializers_own in zip(messages, slow[1][name], strict=True):
                assert own.startswith(serializers_own)


def test_a_choice_it_cannot_read_names_the_choices():
    assert _fast_answer("sentiment=meh&order=worst") == (
        "error",
        {
            "sentiment": ['"meh" is not a valid choice. Choose one of: negative, neutral, '
                          "positive, unscored."],
            "order": ['"worst" is not a valid choice. Choose one of: newest, oldest, rating, '
                      "reach."],
        },
    )  # fmt: skip


class _Filters(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["a", "b"], required=False, error_messages={"invalid_choice": "Choose a or b."}
    )
    ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    date_ranges = (("since", "until"),)


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("", ("ok", {})),
        ("kind=a&cursor=x&page_size=2&page=1&format=json", ("ok", {"kind": "a"})),
        ("kind=c", ("error", {"kind": ["Choose a or b."]})),  # its own message stays
        ("nope=1&kind=c", ("error", {"nope": ["Unknown parameter."], "kind": ["Choose a or b."]})),
        ("kind=a&kind=b", ("error", {"kind": ["Give one value."]})),
        ("kind=a&kind=a", ("error", {"kind": ["Give one value."]})),
        ("ids=1&ids=2", ("ok", {"ids": [1, 2]})),  # a list takes many
        ("since=2026-03-01&until=2026-03-01", ("ok", {"since": date(2026, 3, 1),
                                                       "until": date(2026, 3, 1)})),
        ("since=2026-03-02&until=2026-03-01",
         ("error", {"until": ["The end of the date range is before its start."]})),
        ("since=2026-03-02&until=soon",  # a day it cannot read says so, nothing more
         ("error", {"until": ["Date has wrong format. Use one of these formats instead: "
                              "YYYY-MM-DD."]})),
        ("since=2026-03-02&until=2026-03-01&until=2026-03-03",
         ("error", {"until": ["Give one value."]})),
    ],
)  # fmt: skip
def test_beyond_the_serializer(query, answer):
    assert _fast_answer(query, _Filters) == answer


def test_unknown_parameters_are_refused_unless_told_otherwise():
    assert _fast_answer("nope=1", _Filters, also=("nope",)) == ("ok", {})
    assert _fast_answer("nope=1&format=json", _Filters, also=None) == ("ok", {})
    assert _fast_answer("format=json", _Filters, also=()) == (
        "error",
        {"format": ["Unknown parameter."]},
    )


def test_a_serializer_with_its_own_validation_is_refused():
    class WithHook(serializers.Serializer):
        a = serializers.IntegerField(required=False)

        def validate_a(self, value):
            return value

    with pytest.raises(AssertionError, match="validates beyond its fields"):
        query_params_validated(WithHook, QueryDict("a=1"))
