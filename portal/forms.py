"""Forms of the portal's pages: they check shape; the selectors and services decide."""

from django import forms

from core.api import date_ranges_reversed
from core.days import day_filter_field


class IncidentDaysForm(forms.Form):
    """The portal incidents page's filters (a GET form): the days the incidents opened, whole
    days in the clinic's time zone with both ends included, under the names the agency's
    incidents page and the API give them (`opened_from`, `opened_to`). Both may stay empty; a
    date that is not one, a start after the end, or a filter the page does not have is
    refused with a message."""

    opened_from = day_filter_field("From")
    opened_to = day_filter_field("To")

    date_ranges = (("opened_from", "opened_to"),)  # date_ranges_reversed
    OTHER_PARAMS = ("page",)  # what the page's address carries besides the filters

    def clean(self):
        data = super().clean()
        # From after To lists nothing: said on the To field, as the agency's page says it
        for name, problems in date_ranges_reversed(type(self), data, errors=self.errors).items():
            self.add_error(name, problems)
        known = {*self.fields, *self.OTHER_PARAMS}
        for name in self.data:
            if name not in known:
                self.add_error(None, f"“{name[:40]}”: the incidents page has no such filter.")
        return data
