"""Numbered pages of a page's list, read with Django's `Paginator` as the inbox, the incidents
and the approvals log read theirs, with the one rule for the `page` parameter: a value that is
not a page number is a 400 naming it (`core.http.int_param`), and a number past the last page
shows the last page, saying so (`Page.past_end`: the list shrank since the link was made, as a
queue does while people approve)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from core.http import int_param


class Chained:
    """Querysets read as one list, one after the other, for `Paginator`: counted with one
    COUNT each, a page read with one LIMIT/OFFSET query for each queryset it reaches (each
    with its own ordering and prefetches). Lets one numbered list hold two kinds of rows (a
    reply batch counts as one row, as a reply of its own does)."""

    def __init__(self, *parts: QuerySet):
        self.parts = parts
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        if self._counts is None:
            self._counts = [part.count() for part in self.parts]
        return self._counts

    def count(self) -> int:
        return sum(self.counts())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Chained reads pages: a slice without a step.")
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        rows: list = []
        offset = 0
        for part, size in zip(self.parts, self.counts(), strict=True):
            low, high = max(start - offset, 0), min(stop - offset, size)
            if low < high:
                rows.extend(part[low:high])
            offset += size
        return rows


def page_get(request, rows, per_page: int, *, param: str = "page") -> Page:
    """The page of `rows` (a queryset, a list or a `Chained`) that `request`'s `param` asks
    for, the first without one. Its `past_end` is the number asked for when that was past the
    last page (the last page is shown), else None. Raises `core.http.ParamRefused` (a 400
    naming `param`) for a value that is not a page number."""
    asked = int_param(request.GET, param) or 1
    page = Paginator(rows, per_page).get_page(asked)
    page.past_end = asked if asked != page.number else None
    return page
