"""How pages name what the scorer found: a topic or a risk flag in words ("Wait time",
"Patient safety"), not its API name ("wait_time", "patient_safety")."""

from django import template

from scoring.ml.flags import FLAG_LABELS
from scoring.ml.topics import TOPIC_LEXICON

register = template.Library()


@register.filter
def topic_label(name) -> str:
    entry = TOPIC_LEXICON.get(str(name))
    return entry[0] if entry else str(name or "").replace("_", " ")


@register.filter
def flag_label(name) -> str:
    return FLAG_LABELS.get(str(name), str(name or "").replace("_", " "))
