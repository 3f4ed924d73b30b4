"""The agency dashboard's address: what it may carry (name search, status, sort, page, agency)
and the words for each value it cannot read. A parameter it does not know, one given twice or
a value it cannot read is named on the page, never dropped while the rest is listed."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from dashboard.selectors import DASHBOARD_STATUSES, dashboard_sort_values

Q_MAX = 100
# The dashboard's own parameters, and what it may carry besides: `agency` (the staff pages'
# agency choice, read by `agency.views.StaffView`).
DASHBOARD_PARAMS_OTHER = ("agency",)
UNKNOWN_PARAM = "Unknown filter: the dashboard has no such filter."
REPEATED_PARAM = "Given more than once: choose one value."


class DashboardFilterForm(forms.Form):
    q = forms.CharField(
        label="Clinic name",
        required=False,
        max_length=Q_MAX,
        error_messages={"max_length": f"At most {Q_MAX} characters."},
    )
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "Every active clinic"), *((k, v[0]) for k, v in DASHBOARD_STATUSES.items())],
        error_messages={
            "invalid_choice": "“%(value)s” is not a status the dashboard knows: choose one of "
            "the list."
        },
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[(v, v) for v in dashboard_sort_values()],
        error_messages={
            "invalid_choice": "“%(value)s” is not a column the dashboard sorts by: use the "
            "column headings' links."
        },
    )
    page = forms.IntegerField(
        label="Page",
        required=False,
        min_value=1,
        error_messages={
            "invalid": "Give a page number: 1, 2, 3…",
            "min_value": "Give a page number: 1, 2, 3…",
        },
    )

    def __init__(self, params: QueryDict, **kwargs):
        super().__init__(params, **kwargs)
        self.params = params

    def problems(self) -> list[tuple[str, str]]:
        """(what, why) for each parameter the page cannot read: the field's label (the
        parameter's own name when the dashboard has no such field), and the message."""
        out: list[tuple[str, str]] = []
        known = {*self.fields, *DASHBOARD_PARAMS_OTHER}
        for name in self.params:
            if name not in known:
                out.append((name, UNKNOWN_PARAM))
            elif len(self.params.getlist(name)) > 1:
                out.append((self._label(name), REPEATED_PARAM))
        if not self.is_valid():
            for name, errors in self.errors.items():
                if len(self.params.getlist(name)) <= 1:
                    out.extend((self._label(name), str(e)) for e in errors)
        return out

    def _label(self, name: str) -> str:
        field = self.fields.get(name)
        return str(field.label) if field is not None else name
