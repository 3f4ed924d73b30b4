"""HIPAA guard for a clinic's public reply to a review (pure Python, no Django).

    from responses.guard import GuardContext, check_reply, warm_up

    result = check_reply(draft, review_text=review.text, context=GuardContext(...))
    result.verdict        # "block" | "needs_review" | "ok"
    result.as_dict()      # JSON-ready

See ``result.py`` for the verdict rule and ``engine.py`` for how the analyzer is built.
"""

from .engine import check_reply, get_engine, split_sentences, warm_up
from .result import (
    BLOCK,
    HEALTH_DETAIL,
    IDENTIFIER,
    KINDS,
    NEEDS_REVIEW,
    OK,
    PATIENT_CONFIRMATION,
    TONE,
    Finding,
    GuardContext,
    GuardResult,
    decide_verdict,
)

__all__ = [
    "BLOCK",
    "HEALTH_DETAIL",
    "IDENTIFIER",
    "KINDS",
    "NEEDS_REVIEW",
    "OK",
    "PATIENT_CONFIRMATION",
    "TONE",
    "Finding",
    "GuardContext",
    "GuardResult",
    "check_reply",
    "decide_verdict",
    "get_engine",
    "split_sentences",
    "warm_up",
]
