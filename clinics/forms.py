"""Forms of the clinic pages: create a clinic, its general settings, its people (shape only; the
services decide)."""

from django import forms

from agency.forms import apply_domain_errors
from clinics.models import (
    ClinicRole,
    CrisisRole,
    Digest,
    time_zone_choices,
    validate_clinic_slug,
    validate_phone,
)
from clinics.preferences import (
    ALWAYS_WORDS,
    EMAIL_OFF,
    EMAIL_ON,
    OPTIONAL_EMAILS,
    Preferences,
    burst_words,
    notification_preferences_save,
)
from core.days import DayFilterForm, day_filter_field
from core.errors import DomainError
from core.settings_history import AREA_WORDS

TZ_UNKNOWN = "%(value)s is not a time zone name: choose one from the list."


class ClinicCreateForm(forms.Form):
    name = forms.CharField(label="Clinic name", max_length=200)
    slug = forms.CharField(
        label="Web address",
        required=False,
        validators=[validate_clinic_slug],
        widget=forms.TextInput(attrs={"maxlength": 50}),
        help_text="3-50 lowercase letters, digits and hyphens, e.g. harbor-dental: the clinic's "
        "pages are at /clinics/harbor-dental/. Not its street address. Left empty, it is made "
        "from the clinic's name.",
    )
    timezone = forms.ChoiceField(
        label="Time zone", choices=time_zone_choices, initial="America/New_York",
        help_text="Pages, the portal and reports show the clinic's times in it.",
        error_messages={"invalid_choice": TZ_UNKNOWN},
    )  # fmt: skip
    phone = forms.CharField(
        label="Public phone", max_length=32, required=False, validators=[validate_phone]
    )
    email = forms.EmailField(max_length=254, label="Public e-mail", required=False)
    reply_target_minutes = forms.IntegerField(
        label="Reply target (minutes)", min_value=5, max_value=60 * 24 * 30, initial=24 * 60
    )

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].lower()  # as the clinic gets it (validate_clinic_slug)


# said at the field before a change is saved: past items keep their instants, so a new zone
# moves them across its day and month boundaries
TZ_CHANGE_NOTE = (
    "Changing the time zone moves the day/month boundaries of past reviews and reports; "
    "reports already sent are not changed."
)


class ClinicEditForm(forms.Form):
    name = forms.CharField(label="Clinic name", max_length=200)
    timezone = forms.ChoiceField(
        label="Time zone", choices=time_zone_choices, error_messages={"invalid_choice": TZ_UNKNOWN},
        help_text=TZ_CHANGE_NOTE,
    )  # fmt: skip
    phone = forms.CharField(
        label="Public phone", max_length=32, required=False, validators=[validate_phone]
    )
    email = forms.EmailField(max_length=254, label="Public e-mail", required=False)
    contact_url = forms.URLField(label="Contact page", required=False, assume_scheme="https")
    reply_target_minutes = forms.IntegerField(
        label="Reply target (minutes)",
        min_value=5,
        max_value=60 * 24 * 30,
        help_text="Negative reviews without a published reply after this count as SLA breaches.",
    )

    def __init__(self, *args, current_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # a clinic saved under an older zone name keeps it on its list (time_zone_choices)
        self.fields["timezone"].choices = time_zone_choices(current_zone)


class ClinicPersonForm(forms.Form):
    email = forms.EmailField(max_length=254, label="E-mail")
    full_name = forms.CharField(label="Full name", max_length=200)
    # what each role may do: the page's lists, from `clinics.models.CLINIC_ROLE_HELP` and
    # `CRISIS_ROLE_HELP`
    role = forms.ChoiceField(
        label="Portal role",
        choices=ClinicRole.choices,
        widget=forms.Select(attrs={"aria-describedby": "role-help"}),
    )
    crisis_roles = forms.MultipleChoiceField(
        label="Crisis team roles",
        choices=CrisisRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"aria-describedby": "crisis-role-help"}),
    )


class ChatWebhooksForm(forms.Form):
    """The Slack and Teams webhooks of the agency or a clinic. A stored URL is never shown:
    an empty field keeps it; the remove box deletes it."""

    slack = forms.CharField(
        label="Slack incoming-webhook URL",
        required=False,
        max_length=500,
        help_text="https://hooks.slack.com/services/…",
    )
    remove_slack = forms.BooleanField(label="Remove the Slack webhook", required=False)
    teams = forms.CharField(
        label="Microsoft Teams webhook URL",
        required=False,
        max_length=500,
        help_text="https://….webhook.office.com/… or a Teams Workflows (logic.azure.com) URL",
    )
    remove_teams = forms.BooleanField(label="Remove the Teams webhook", required=False)

    def changes(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for kind in ("slack", "teams"):
            if self.cleaned_data.get(f"remove_{kind}"):
                out[kind] = None
            elif self.cleaned_data.get(kind, "").strip():
                out[kind] = self.cleaned_data[kind].strip()
        return out


class NotificationPreferenceForm(forms.Form):
    """One person's notification choices (`clinics.preferences`): what waits for them at once
    or in an hourly digest, the banner and badge, and by e-mail or not each group of notices
    for their information that is offered to them (`groups`). Nothing here turns off what
    waits for them or an incident alert: a post that tries, with a field of its own making,
    is refused and nothing is saved."""

    digest = forms.ChoiceField(
        label="E-mails about what waits for you",
        choices=[(Digest.IMMEDIATE, "Each one at once"), (Digest.HOURLY, "One hourly digest")],
        widget=forms.RadioSelect,
        help_text="Approvals, legal checks, texts sent back to you, facts to confirm and the "
        "like. Incident alerts always come at once.",
        error_messages={
            "required": "Choose “Each one at once” or “One hourly digest”.",
            "invalid_choice": "Choose “Each one at once” or “One hourly digest”.",
        },
    )
    in_app = forms.BooleanField(
        label="Show what waits for me on these pages (banner and badge)", required=False
    )

    def __init__(
        self,
        *args,
        product: str = "",
        groups: list[str] | tuple = (),
        staff: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # what "Each one at once" means when several come in a few minutes (a burst)
        self.fields["digest"].help_text += f" “Each one at once”: {burst_words()}"
        # the name the person knows the pages by: the agency's brand for a clinic's people
        # (white label), never the vendor's product name
        if product:
            self.fields["in_app"].label = f"Show what waits for me in {product} (banner and badge)"
        self.groups = list(groups)
        for group in self.groups:
            spec = OPTIONAL_EMAILS[group]
            words = f"Choose “E-mail me” or “{spec.off_words}”."
            self.fields[f"email_{group}"] = forms.ChoiceField(
                label=spec.label,
                help_text=(spec.staff_help or spec.help) if staff else spec.help,
                choices=[(EMAIL_ON, "E-mail me"), (EMAIL_OFF, spec.off_words)],
                widget=forms.RadioSelect,
                error_messages={"required": words, "invalid_choice": words},
            )

    def clean(self):
        data = super().clean()
        for name in self.data:
            if name == "email":
                self.add_error(None, f"E-mails {ALWAYS_WORDS}")
            elif name.startswith("email_") and name not in self.fields:
                group = name.removeprefix("email_")
                spec = OPTIONAL_EMAILS.get(group)
                self.add_error(
                    None,
                    f"“{spec.label}” is not among your choices: you get no such notice."
                    if spec is not None
                    else f"E-mails about “{group}” {ALWAYS_WORDS}",
                )
        return data

    def choices(self) -> dict:
        """What `notification_preferences_save` takes."""
        return {
            "in_app": self.cleaned_data["in_app"],
            "digest": self.cleaned_data["digest"],
            "emails": {g: self.cleaned_data[f"email_{g}"] == EMAIL_ON for g in self.groups},
        }

    def save_for(self, user) -> bool:
        """Save `user`'s choices when the form is valid; False with the errors on the form
        (the staff and portal pages answer 400 then)."""
        if not self.is_valid():
            return False
        try:
            notification_preferences_save(user=user, **self.choices())
        except DomainError as exc:
            apply_domain_errors(self, exc)
            return False
        return True

    @classmethod
    def initial_for(cls, pref: Preferences, groups: list[str]) -> dict:
        return {
            "in_app": pref.in_app,
            "digest": pref.digest,
            **{f"email_{g}": EMAIL_ON if pref.emails[g] else EMAIL_OFF for g in groups},
        }


class SettingsHistoryFilterForm(DayFilterForm):
    """The settings history's filters (a GET form): who, which area, which days and, on the
    agency's page, where. Every field may stay empty; a value that is not one offered, a date
    that is not one, or a start after the end is refused with a message."""

    person = forms.ChoiceField(
        label="Who", required=False,
        error_messages={"invalid_choice": "Choose a person from the list."},
    )  # fmt: skip
    area = forms.ChoiceField(
        label="Setting", required=False,
        choices=[("", "Every setting"), *((a.value, w) for a, w in AREA_WORDS.items())],
        error_messages={"invalid_choice": "Choose a kind of setting from the list."},
    )  # fmt: skip
    changed_from = day_filter_field("From")
    changed_to = day_filter_field("To")

    date_ranges = (("changed_from", "changed_to"),)  # date_ranges_reversed
    # what the pages' addresses carry besides the filters: paging, the download, and the
    # staff pages' agency choice (`agency.views.StaffView`)
    OTHER_PARAMS = ("page", "format", "agency")
    WHAT = "the history"

    def __init__(self, data, *, people, places=None):
        super().__init__(data)
        self.fields["person"].choices = [("", "Everyone"), *people]
        if places is not None:
            self.fields["place"] = forms.ChoiceField(
                label="Where", required=False, choices=[("", "Everywhere"), *places],
                error_messages={"invalid_choice": "Choose a clinic from the list."},
            )  # fmt: skip
