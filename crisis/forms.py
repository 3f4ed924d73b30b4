"""Forms of the crisis pages (shape only; the services decide)."""

from django import forms

from crisis.models import DetectorSettings


class WatchWordsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


# field: (plain label with its unit, what raising or lowering it does). The default is added
# from the model, so the text cannot drift from it.
THRESHOLD_WORDS: dict[str, tuple[str, str]] = {
    "enabled": ("Detectors on",
                "Off: no detector opens an incident for this clinic."),
    "baseline_days": ("Usual level learnt from the last (days)",
                      "More days: a steadier idea of normal, slower to follow a real change."),
    "escalation_minutes": ("Escalate an unacknowledged incident after (minutes)",
                           "Lower: the next people are told sooner."),
    "ack_target_minutes": ("Target to acknowledge (minutes)",
                           "The incident room's clock from opening to acknowledging."),
    "response_target_minutes": ("Target for the first public response (minutes)",
                                "The incident room's clock from opening to the first reply."),
    "statement_target_minutes": ("Target for a statement (minutes)",
                                 "The incident room's clock from opening to a statement."),
    "surge_enabled": ("Watch for a surge of negative mentions", ""),
    "surge_window_minutes": ("Count negative mentions over (minutes)",
                             "Longer: slower surges are caught, a sharp one a little later."),
    "surge_min_count": ("At least this many negative mentions",
                        "Higher: small clusters of complaints no longer open an incident."),
    "surge_p_value": ("Chance it is only bad luck, at most (probability, 0–0.05)",
                      "Lower (e.g. 0.00001): only a clearer surge opens one; higher: more "
                      "false alarms on a calm clinic."),
    "surge_min_ratio": ("At least this many times the usual number (×)",
                        "Higher: the surge must stand further above the clinic's usual level."),
    "rating_enabled": ("Watch for a rating drop", ""),
    "rating_window_hours": ("Compare the ratings of the last (hours)",
                            "Longer: slower drops are caught, later."),
    "rating_min_count": ("At least this many ratings in that time",
                         "Higher: a few unhappy reviews on a quiet day do not open one."),
    "rating_min_low": ("Of them, at least this many 1–2★",
                       "Higher: more low ratings are needed before it opens."),
    "rating_min_baseline": ("At least this many earlier ratings to compare with",
                            "Higher: a clinic with little history is not judged on it."),
    "rating_drop": ("Average down by at least (stars)",
                    "Higher (e.g. 1.5): only a steeper drop opens one; lower: smaller dips do."),
    "viral_enabled": ("Watch for a viral post", ""),
    "viral_min_engagement": ("At least this many likes, shares and replies",
                             "Higher: only bigger posts count as viral."),
    "viral_growth_factor": ("Growing at least this many times faster than usual (×)",
                            "Higher: only a faster-spreading post opens one."),
    "viral_max_age_hours": ("Only posts younger than (hours)",
                            "Longer: older posts that take off again are watched too."),
    "misinformation_enabled": ("Watch for misinformation", ""),
    "misinformation_window_hours": ("Look back over (hours)",
                                    "Longer: a claim repeated slowly is still caught."),
    "misinformation_min_mentions": ("The same false claim at least (mentions)",
                                    "Higher: a claim must be repeated more before it opens one."),
    "misinformation_similarity": ("Words two mentions must share to be one claim (0.05–1)",
                                  "Share of words in common: higher (e.g. 0.4) groups only "
                                  "close wordings; lower groups looser ones."),
    "misinformation_min_reach": ("Or one false claim reaching at least (likes + shares + replies)",
                                 "Lower: a single widely seen false claim opens one sooner."),
    "watch_window_hours": ("Count watch words over (hours)",
                           "Longer: mentions further apart add up."),
    "watch_min_mentions": ("At least this many mentions of a watch word",
                           "Higher: one passing mention does not open one."),
    "watch_skip_positive": ("Ignore mentions scored positive",
                            "e.g. “Dr. Lee was wonderful” when “Dr. Lee” is a watch word."),
}  # fmt: skip


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
