"""Forms of a clinic's settings pages (shape only; the services decide)."""

from django import forms

from crisis.models import DetectorSettings
from responses.models import TemplateCategory


class TemplateCreateForm(forms.Form):
    key = forms.SlugField(
        label="Key",
        max_length=80,
        help_text="Use a built-in template's key to replace it for this clinic.",
    )
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Variables: {clinic_name}, {clinic_phone}, {clinic_email}, {contact_url}, "
        "{contact_line}, {fact:<slug>}, {relevant_facts}.",
    )


class TemplateEditForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 5}))
    is_active = forms.BooleanField(label="In use", required=False)


class WatchWordsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ThresholdsForm(forms.ModelForm):
    watch_words = WatchWordsField(
        label="Watch words (one per line)",
        required=False,
        help_text="Mentions of these words open a watch incident.",
    )

    class Meta:
        model = DetectorSettings
        fields = [
            "enabled",
            "baseline_days",
            "escalation_minutes",
            "surge_enabled",
            "surge_window_minutes",
            "surge_min_count",
            "surge_p_value",
            "surge_min_ratio",
            "rating_enabled",
            "rating_window_hours",
            "rating_min_count",
            "rating_min_baseline",
            "rating_drop",
            "viral_enabled",
            "viral_min_engagement",
            "viral_growth_factor",
            "viral_max_age_hours",
            "misinformation_enabled",
            "misinformation_window_hours",
            "misinformation_min_mentions",
            "misinformation_similarity",
            "watch_words",
            "watch_window_hours",
            "watch_min_mentions",
            "watch_skip_positive",
        ]
