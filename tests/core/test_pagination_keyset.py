"""core.api.Pagination pages any ordering of a queryset by keyset, forwards and backwards,
including orderings on nullable fields (NULLs where PostgreSQL sorts them) and ties (broken by
the primary key), and refuses cursors it did not sign."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.credentials import api_key_create
from accounts.models import ApiKey
from core.api import Pagination

URL = "/api/v1/api-keys/"


@pytest.fixture
def keys(world, db):
    """Seven agency keys: three never used (NULL), four used, two of them at the same time."""
    now = timezone.now()
    used = [None, now - timedelta(hours=3), None, now, now - timedelta(hours=1), None, now]
    made = []
    for number, at in enumerate(used):
        key, _ = api_key_create(
            agency=world.agencies["alpha"], name=f"keyset-{number}", scopes=["read"]
        )
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=at)
        made.append(key.pk)
    return ApiKey.objects.filter(pk__in=made)


def _page(queryset, url: str, size: int):
    paginator = Pagination()
    request = Request(APIRequestFactory().get(url, {"page_size": size} if "?" not in url else {}))
    return paginator.paginate_queryset(queryset, request), paginator


def _walk(queryset, size: int) -> tuple[list[int], list]:
    ids, pages, url = [], [], f"{URL}?page_size={size}"
    while url:
        rows, paginator = _page(queryset, url, size)
        ids += [row.pk for row in rows]
        pages.append((rows, paginator))
        url = paginator.get_next_link()
    return ids, pages


@pytest.mark.parametrize(
    "ordering",
    [
        ("-last_used_at",),
        ("last_used_at",),
        (F("last_used_at").desc(nulls_last=True),),
        (F("last_used_at").asc(nulls_first=True),),
        ("name",),
        ("-created_at", "-id"),
    ],
    ids=["desc", "asc", "desc-nulls-last", "asc-nulls-first", "name", "created"],
)
@pytest.mark.parametrize("size", [1, 2, 3])
def test_every_row_once_in_the_database_order_and_back_again(keys, ordering, size):
    queryset = keys.order_by(*ordering)
    last = ordering[-1]
    descending = last.startswith("-") if isinstance(last, str) else last.descending
    tie = "-pk" if descending else "pk"  # ties: the primary key, in the last field's direction
    expected = list(queryset.order_by(*ordering, tie).values_list("pk", flat=True))

    ids, pages = _walk(queryset, size)

    assert ids == expected
    for (before, _), (_rows, paginator) in zip(pages, pages[1:], strict=False):
        back, _ = _page(queryset, paginator.get_previous_link(), size)
        assert [r.pk for r in back] == [r.pk for r in before]


def test_the_first_page_has_no_previous_and_the_last_no_next(keys):
    _, pages = _walk(keys.order_by("-last_used_at"), 3)

    assert pages[0][1].get_previous_link() is None
    assert pages[-1][1].get_next_link() is None
    assert len(pages) == 3


@pytest.mark.parametrize(
    "cursor",
    ["abc", "", "eyJrIjpbXX0:1vX:forged", "W10:1vXabc:abc"],
)
def test_a_cursor_it_did_not_sign_is_a_400(keys, cursor):
    with pytest.raises(ValidationError) as raised:
        _page(keys.order_by("name"), f"{URL}?cursor={cursor}", 2)

    assert list(raised.value.detail) == ["cursor"]
