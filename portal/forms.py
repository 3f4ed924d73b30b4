"""Forms of the portal's pages: they check shape; the selectors and services decide."""

from core.days import DayFilterForm, day_filter_field


class IncidentDaysForm(DayFilterForm):
    """The portal incidents page's filters (a GET form): the days the incidents opened, whole
    days in the clinic's time zone with both ends included, under the names the agency's
    incidents page and the API give them (`opened_from`, `opened_to`). Both may stay empty; a
    date that is not one, a start after the end, or a filter the page does not have is
    refused with a message."""

    opened_from = day_filter_field("From")
    opened_to = day_filter_field("To")

    date_ranges = (("opened_from", "opened_to"),)  # date_ranges_reversed
    OTHER_PARAMS = ("page",)  # what the page's address carries besides the filters
    WHAT = "the incidents page"
