"""Forms of the staff pages: they check shape; the services decide."""

from django import forms

from accounts.models import Scope, SecurityEventCode
from agency.models import AgencyRole
from core.days import DayFilterForm, day_filter_field


class StaffAddForm(forms.Form):
    email = forms.EmailField(max_length=254, label="E-mail")
    full_name = forms.CharField(label="Full name", max_length=200)
    role = forms.ChoiceField(
        label="Role",
        choices=AgencyRole.choices,
        initial=AgencyRole.WRITER,
        # what each role may do: the page's list, from `agency.models.AGENCY_ROLE_HELP`
        widget=forms.Select(attrs={"aria-describedby": "role-help"}),
    )


class StaffReachForm(forms.Form):
    """The "Clinics they reach" choice of the people page's add form (its radios are drawn by
    the page beside the clinics' boxes): "all" (the default when none is sent) or "chosen";
    anything else is refused on the field, never read as "All clinics"."""

    reach = forms.ChoiceField(
        label="Clinics they reach",
        choices=[
            ("all", "All clinics, and those added later"),
            ("chosen", "Only the clinics ticked"),
        ],
        required=False,
    )


class BrandingForm(forms.Form):
    display_name = forms.CharField(
        label="Name clients see",
        max_length=200,
        help_text="On the client portal, the public statement page and the post-crisis review.",
        error_messages={"required": "Give the name clients see."},
    )
    support_email = forms.EmailField(
        label="Support e-mail",
        max_length=254,
        help_text="The portal's footer tells clients to write here.",
        error_messages={
            "required": "Give an e-mail address clients can write to.",
            "invalid": "Give an e-mail address clients can write to.",
        },
    )
    primary_colour = forms.CharField(
        label="Colour",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="The portal's bar and buttons; text on it is made readable by itself.",
    )
    logo = forms.FileField(
        label="New logo (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text="PNG, JPEG or WebP, at most 512 KB and 2000 pixels a side; square reads best.",
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Key name", max_length=100)
    scopes = forms.MultipleChoiceField(
        label="Scopes", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, offered=None, scopes_help: str = "", **kwargs):
        """`offered`: the scopes this page may give (default all); `scopes_help` says why
        one is missing."""
        super().__init__(*args, **kwargs)
        if offered is not None:
            self.fields["scopes"].choices = [c for c in Scope.choices if c[0] in offered]
        if scopes_help:
            self.fields["scopes"].help_text = scopes_help


def apply_domain_errors(form: forms.Form, exc) -> None:
    """Put a service's field errors on the form (unknown fields go to the form itself)."""
    for name, messages in (exc.fields or {}).items():
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(name if name in form.fields else None, str(message))
    if not exc.fields:
        form.add_error(None, exc.detail)


class SecurityLogFilterForm(DayFilterForm):
    """The security log's filters (a GET form): which event, whose, which clinic (deleted ones
    too) and which days (UTC, as the log shows its times). Every field may stay empty; a value
    that is not one offered, a date that is not one, a start after the end, or a filter the
    log does not have is refused with a message."""

    event = forms.ChoiceField(
        label="Event", required=False,
        choices=[("", "All events"), *SecurityEventCode.choices],
        error_messages={"invalid_choice": "Choose an event from the list."},
    )  # fmt: skip
    person = forms.CharField(
        label="Person (e-mail)", required=False, max_length=254,
        error_messages={"max_length": "An e-mail has at most 254 characters."},
        help_text="Who acted or whom it was about: their e-mail or part of it.",
    )  # fmt: skip
    clinic = forms.TypedChoiceField(
        label="Clinic", required=False, coerce=int, empty_value=None,
        error_messages={"invalid_choice": "Choose a clinic from the list."},
    )  # fmt: skip
    created_from = day_filter_field("From (UTC)")
    created_to = day_filter_field("To (UTC)")

    date_ranges = (("created_from", "created_to"),)  # date_ranges_reversed
    # what the page's address carries besides the filters: paging, the download, and the
    # staff pages' agency choice (`agency.views.StaffView`)
    OTHER_PARAMS = ("page", "format", "agency")
    WHAT = "the log"

    def __init__(self, data, *, clinics):
        super().__init__(data)
        self.fields["clinic"].choices = [("", "Every clinic"), *clinics]
