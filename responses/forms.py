"""Forms of the responses pages (shape only; the services decide)."""

from django import forms
from django.utils.html import format_html

from core.days import DayFilterForm, day_filter_field
from responses.agency_approvals_log import LogCursor
from responses.models import TemplateCategory, validate_template_key
from responses.selectors import LOG_DECISION_CHOICES, LOG_KIND_CHOICES, LOG_STEP_CHOICES
from responses.services.templating import known_variables_help

# The variables a template's text may hold, from the one list the text is filled from
# (`responses.services.templating.VARIABLES`): it cannot name fewer or more than there are.
# Escaped: a form's help is written as HTML, and "{fact:<slug>}" would lose its "<slug>".
VARIABLES_HELP = format_html("Variables: {}.", known_variables_help())


class TemplateCreateForm(forms.Form):
    key = forms.CharField(
        label="Key",
        validators=[validate_template_key],
        widget=forms.TextInput(attrs={"maxlength": 80}),
        help_text="A short name of your own for it, such as parking-apology (letters, digits "
        "and dashes); a built-in template's key replaces that template for this clinic.",
    )
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=VARIABLES_HELP,
    )


class TemplateEditForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 5}), help_text=VARIABLES_HELP
    )
    is_active = forms.BooleanField(label="In use", required=False)

    def __init__(self, *args, editing: str, **kwargs):
        """`editing`: the name of the template it edits (as saved), which names each field
        for assistive technology: the page holds one such form per template, and five fields
        all called "Text" cannot be told apart (the visible label stays at the start of the
        name, as the person sees it)."""
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{field.label} of the template “{editing}”"


class AgencyApprovalsLogFilterForm(DayFilterForm):
    """The agency's approvals log's filters (a GET form): which clinic, decision, step and kind,
    and which days (whole UTC days: the log is agency-wide, as its other logs). Every field may
    stay empty; a value not offered, a date that is not one, a start after the end, a page
    address (`after`) that is not one, or a filter the log does not have is refused with a
    message."""

    clinic = forms.ChoiceField(
        label="Clinic", required=False,
        error_messages={"invalid_choice": "Choose a clinic from the list."},
    )  # fmt: skip
    decision = forms.ChoiceField(
        label="Decision", required=False,
        choices=[("", "Every decision"), *LOG_DECISION_CHOICES],
        error_messages={"invalid_choice": "Choose a decision from the list."},
    )  # fmt: skip
    step = forms.ChoiceField(
        label="Step", required=False, choices=[("", "Every step"), *LOG_STEP_CHOICES],
        error_messages={"invalid_choice": "Choose a step from the list."},
    )  # fmt: skip
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Replies and statements"), *LOG_KIND_CHOICES],
        error_messages={"invalid_choice": "Choose a kind from the list."},
    )  # fmt: skip
    decided_from = day_filter_field("From (UTC)")
    decided_to = day_filter_field("To (UTC)")
    after = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    date_ranges = (("decided_from", "decided_to"),)  # date_ranges_reversed
    FILTERS = ("clinic", "decision", "step", "kind", "decided_from", "decided_to")
    # what the page's address carries besides the form: the download and the staff pages'
    # agency choice (`agency.views.StaffView`)
    OTHER_PARAMS = ("format", "agency")
    WHAT = "the log"

    def __init__(self, data, *, clinics):
        super().__init__(data)
        self.fields["clinic"].choices = [("", "Every clinic"), *clinics]

    def clean_after(self):
        token = self.cleaned_data["after"]
        if not token:
            return None
        cursor = LogCursor.parse(token)
        if cursor is None:
            raise forms.ValidationError("This page of the log does not exist: start again.")
        return cursor

    def clean(self):
        data = super().clean()
        if self.data.get("format") not in (None, "", "csv"):
            self.add_error(None, "The log downloads as csv only (format=csv).")
        return data
