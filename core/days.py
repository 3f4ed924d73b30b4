"""Days that people and integrators give to filter a list or a log by (`changed_from`,
`decided_to`, a page's "From" and "To"): one range and one set of messages for every one.

A day is turned into the instants where it starts and ends in a time zone (the next day's
start is its end), so a day at the edge of what a `date` can hold (0001-01-01, 9999-12-31)
would overflow: `day_in_range` refuses days outside FIRST_DAY..LAST_DAY with a message before
anything computes with them. It is a Django validator, so a DRF field (the API's filters) and
a form field (the pages' filters) take it alike."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
DAY_OUT_OF_RANGE = f"Give a day from {FIRST_DAY} to {LAST_DAY}."
# a range whose end comes before its start (days or instants)
RANGE_REVERSED = "The end of the date range is before its start."


def day_in_range(day: date) -> None:
    """Refuses a day outside FIRST_DAY..LAST_DAY (DAY_OUT_OF_RANGE)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(DAY_OUT_OF_RANGE, code="day_out_of_range")
