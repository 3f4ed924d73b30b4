"""core.api.query_params_validated: the fast path must answer exactly as the serializer."""

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api import query_params_validated
from inbox.apis import ReviewFilterSerializer


def _serializer_answer(query: str):
    checked = ReviewFilterSerializer(data=QueryDict(query))
    return ("ok", checked.validated_data) if checked.is_valid() else ("error", checked.errors)


def _fast_answer(query: str):
    try:
        return "ok", query_params_validated(ReviewFilterSerializer, QueryDict(query))
    except ValidationError as exc:
        return "error", exc.detail


@pytest.mark.parametrize(
    "query",
    [
        "",
        "rating=1",
        "rating=1&rating=5",  # the last one, as the serializer reads a QueryDict
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
    assert _fast_answer(query) == _serializer_answer(query)


def test_a_serializer_with_its_own_validation_is_refused():
    class WithHook(serializers.Serializer):
        a = serializers.IntegerField(required=False)

        def validate_a(self, value):
            return value

    with pytest.raises(AssertionError, match="validates beyond its fields"):
        query_params_validated(WithHook, QueryDict("a=1"))
