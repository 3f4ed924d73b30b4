"""Forms of the clinic pages: create a clinic, its general settings, its people (shape only; the
services decide)."""

from django import forms

from clinics.models import ClinicRole, CrisisRole, time_zone_choices, validate_phone

TZ_UNKNOWN = "%(value)s is not a time zone name: choose one from the list."


class ClinicCreateForm(forms.Form):
    name = forms.CharField(label="Clinic name", max_length=200)
    slug = forms.SlugField(
        label="Address (slug)",
        max_length=50,
        help_text="3-50 lowercase letters, digits and hyphens; the clinic's pages are at "
        "/clinics/this-address/.",
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


class ClinicEditForm(forms.Form):
    name = forms.CharField(label="Clinic name", max_length=200)
    timezone = forms.ChoiceField(
        label="Time zone", choices=time_zone_choices, error_messages={"invalid_choice": TZ_UNKNOWN}
    )
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
    role = forms.ChoiceField(label="Portal role", choices=ClinicRole.choices)
    crisis_roles = forms.MultipleChoiceField(
        label="Crisis team roles",
        choices=CrisisRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
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
    email = forms.BooleanField(label="E-mail me", required=False)
    in_app = forms.BooleanField(label="Show me on these pages (banner and badge)", required=False)
    digest = forms.ChoiceField(
        label="E-mails about work that waits for me",
        choices=[("immediate", "Immediately"), ("hourly", "Hourly digest")],
        widget=forms.RadioSelect,
        help_text="Incident alerts are always sent at once.",
    )

    def __init__(self, *args, product: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # the name the person knows the pages by: the agency's brand for a clinic's people
        # (white label), never the vendor's product name
        if product:
            self.fields["in_app"].label = f"Show me in {product} (banner and badge)"
