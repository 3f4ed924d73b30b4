"""The port through which `feeds` (the reviews' owner) tells the apps above it that reviews
were redacted at their author's request, so that each removes what it keeps of them: scoring
its evidence spans and claim texts, responses the private follow-ups, contact details and the
author's name in reply drafts. The services are named, not imported (docs/architecture.md);
each runs in the caller's transaction and schema, so a redaction is whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.module_loading import import_string

# Each takes (review_ids=[...], author_names=[...]) and returns a `Redacted`.
REVIEW_REDACTORS = (
    "scoring.services.scores_redact",
    "responses.services.privacy.review_personal_data_redact",
    "offboarding.exports.exports_redact",
)

REDACTED_TEXT = "Removed at the author's request."
NAME_REMOVED = "[name removed]"


@dataclass
class Redacted:
    """What one app cleared ("3 scores' evidence", ...) and what a person should still look
    at (a reply already posted that names the author)."""

    cleared: list[str] = field(default_factory=list)
    to_check: list[str] = field(default_factory=list)

    def add(self, other: Redacted) -> Redacted:
        self.cleared += other.cleared
        self.to_check += other.to_check
        return self


def reviews_redacted(*, review_ids: list[int], author_names: list[str]) -> Redacted:
    """The reviews `review_ids` of the current clinic were redacted: every app above feeds
    removes what it keeps of them, now, in the caller's transaction."""
    done = Redacted()
    if not review_ids:
        return done
    for name in REVIEW_REDACTORS:
        done.add(import_string(name)(review_ids=review_ids, author_names=author_names))
    return done
