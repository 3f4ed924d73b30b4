"""How pages name what the scorer found: a topic or a risk flag in words ("Wait time",
"Patient safety"), not its API name ("wait_time", "patient_safety")."""

from django import template

from scoring.ml.flags import FLAG_LABELS
from scoring.ml.topics import TOPIC_LEXICON
from scoring.models import ReviewSentiment, review_sentiment

register = template.Library()


@register.filter
def topic_label(name) -> str:
    entry = TOPIC_LEXICON.get(str(name))
    return entry[0] if entry else str(name or "").replace("_", " ")


@register.filter
def flag_label(name) -> str:
    return FLAG_LABELS.get(str(name), str(name or "").replace("_", " "))


@register.inclusion_tag("scoring/_sentiment.html")
def sentiment(score, number: bool = False, aspects: bool = False) -> dict:
    """The pill naming a review's sentiment in words, by the one rule (`review_sentiment`):
    "Mixed" where it both praises and complains. `number`: its score beside it. `aspects`: the
    topics said against its overall reading ("· Billing negative" in a positive review)."""
    label = getattr(score, "label", None)
    topics = [t for t in getattr(score, "topics", None) or [] if isinstance(t, dict)]
    said = review_sentiment(label, topics)
    if said is None:
        return {"said": None}
    return {
        "said": said,
        "score": score.score if number else None,
        "title": f"Praise and complaint in one review; read as a whole, {label}"
        if said == ReviewSentiment.MIXED
        else "",
        "aspects": [
            {"topic": topic_label(t.get("name")), "sentiment": t["sentiment"]}
            for t in topics
            if t.get("sentiment") in ("positive", "negative") and t["sentiment"] != label
        ]
        if aspects
        else [],
    }
