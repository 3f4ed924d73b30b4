"""Forms of the crisis pages (shape only; the services decide)."""

from django import forms

from crisis.models import THRESHOLD_WORDS, DetectorSettings


class WatchWordsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _default(name: str) -> str:
    value = DetectorSettings._meta.get_field(name).default
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


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
            "ack_target_minutes",
            "response_target_minutes",
            "statement_target_minutes",
            "new_wave_hours",
            "surge_enabled",
            "surge_window_minutes",
            "surge_min_count",
            "surge_p_value",
            "surge_min_ratio",
            "rating_enabled",
            "rating_window_hours",
            "rating_min_count",
            "rating_min_low",
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
            "misinformation_min_reach",
            "watch_words",
            "watch_window_hours",
            "watch_min_mentions",
            "watch_skip_positive",
        ]
        labels = {name: label for name, (label, _) in THRESHOLD_WORDS.items()}
        help_texts = {
            name: f"{words} Default: {_default(name)}.".lstrip()
            for name, (_, words) in THRESHOLD_WORDS.items()
        }
