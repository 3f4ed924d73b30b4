"""HIPAA guard for a clinic's public reply to a review (pure Python, no Django).

    from responses.guard import GuardContext, check_reply, warm_up

    result = check_reply(draft, review_text=review.text, context=GuardContext(...))
    result.verdict        # "block" | "needs_review" | "ok"
    result.as_dict()      # JSON-ready

See ``result.py`` for the verdict rule and ``engine.py`` for how the analyzer is built.

The engine's names are imported on first use (PEP 562): the engine imports Presidio, which
imports transformers and torch (about 4 s of CPU), and every Django process imports this
package (the outbox, the crisis selectors' tone phrases) whether or not it checks a reply.
"""

from importlib import import_module

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

_ENGINE_NAMES = frozenset({"check_reply", "get_engine", "split_sentences", "warm_up"})


def __getattr__(name: str):
    if name in _ENGINE_NAMES:
        return getattr(import_module(".engine", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
