"""Days that people and integrators give to filter a list or a log by (`changed_from`,
`decided_to`, a page's "From" and "To"): one range and one set of messages for every one.

A day is turned into the instants where it starts and ends in a time zone (the next day's
start is its end), so a day at the edge of what a `date` can hold (0001-01-01, 9999-12-31)
would overflow: `day_in_range` refuses days outside FIRST_DAY..LAST_DAY with a message before
anything computes with them. It is a Django validator, so a DRF field (the API's filters) and
a form field (the pages' filters) take it alike."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from django import forms
from django.core.exceptions import ValidationError

FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
DAY_OUT_OF_RANGE = f"Give a day from {FIRST_DAY} to {LAST_DAY}."
# a range whose end comes before its start (days or instants)
RANGE_REVERSED = "The end of the date range is before its start."
DATE_HELP = "Write a date like 2026-03-01."


def day_in_range(day: date) -> None:
    """Refuses a day outside FIRST_DAY..LAST_DAY (DAY_OUT_OF_RANGE)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(DAY_OUT_OF_RANGE, code="day_out_of_range")


def day_filter_field(label: str) -> forms.DateField:
    """A page filter's day ("From", "To"): optional, written as ISO dates, within range, with the
    one message for a date it cannot read."""
    return forms.DateField(
        label=label, required=False, input_formats=["%Y-%m-%d"], validators=[day_in_range],
        widget=forms.DateInput(attrs={"type": "date"}), error_messages={"invalid": DATE_HELP},
    )  # fmt: skip


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant `day` starts in `zone` (a clinic's: `clinics.models.clinic_zone`)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def is_day(value) -> bool:
    """Whether a filter's value is a day (a `date`) rather than an instant."""
    return isinstance(value, date) and not isinstance(value, datetime)


def range_instants(
    start, end, zone: tzinfo, *, end_inclusive: bool = False
) -> tuple[datetime | None, datetime | None]:
    """A range filter's bounds (each a day, an instant or None) as instants. A day is the whole
    day in `zone`, both ends inclusive: as a start, its first instant; as an end, the next
    day's start — or, for a filter whose end instant is inclusive (`end_inclusive`), the
    last microsecond before it (PostgreSQL's precision). An instant stays exactly as given."""
    if is_day(start):
        start = day_start(start, zone)
    if is_day(end):
        end = day_start(end + timedelta(days=1), zone)
        if end_inclusive:
            end -= timedelta(microseconds=1)
    return start, end


def date_ranges_reversed(serializer_class, data: dict, *, errors=()) -> dict[str, list[str]]:
    """The serializer's `date_ranges` (start, end) whose end comes before its start in the
    values read (`data`), refused on the end (RANGE_REVERSED): the API's filters
    (`query_params_validated`) and the pages with the same filters read them alike. A range
    with a field in `errors`, or a day against an instant (their order depends on the
    clinic's time zone), is left alone."""
    reversed_ends: dict[str, list[str]] = {}
    for start, end in getattr(serializer_class, "date_ranges", ()):
        if start in errors or end in errors:
            continue
        first, last = data.get(start), data.get(end)
        if first is None or last is None or is_day(first) != is_day(last):
            continue
        if last < first:
            reversed_ends[end] = [RANGE_REVERSED]
    return reversed_ends


class DayFilterForm(forms.Form):
    """A page's filter form (a GET form) with From/To days: a range whose end comes before its
    start is refused on the end (`date_ranges`, as the API's filters refuse it), and a
    parameter the page neither filters by nor carries (`OTHER_PARAMS`: paging, a download) is
    named, "“x”: <WHAT> has no such filter."."""

    date_ranges: tuple[tuple[str, str], ...] = ()
    OTHER_PARAMS: tuple[str, ...] = ()
    WHAT = "the page"

    def clean(self):
        data = super().clean()
        for name, problems in date_ranges_reversed(type(self), data, errors=self.errors).items():
            self.add_error(name, problems)
        known = {*self.fields, *self.OTHER_PARAMS}
        for name in self.data:
            if name not in known:
                self.add_error(None, f"“{name[:40]}”: {self.WHAT} has no such filter.")
        return data


def zone_words(zone: tzinfo, at: datetime | None = None) -> str:
    """A time zone as people say it: "New York time (EST)" for America/New_York (its
    abbreviation at `at`, else now), "UTC" for UTC; never the database name alone, which a
    clinic's people do not read as a time zone."""
    name = str(zone)
    when = (at or datetime.now(zone)).astimezone(zone)
    short = when.tzname() or ""
    if name in ("UTC", "Etc/UTC", "GMT") or "/" not in name:
        return short or name
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    if not short or short[0] in "+-":  # zones without an abbreviation: the offset
        offset = when.strftime("%z")
        short = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    return f"{city} time ({short})" if short else f"{city} time"
