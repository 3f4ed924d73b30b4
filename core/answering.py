"""The port through which a page below `responses` asks what one answer for many can point to.

The inbox lists the claims to answer and offers, for each, the answers a reply batch can
start from: a fact of the fact sheet (`facts`, below the inbox), the clinic's pinned statement
(`responses`, above it) or a plain reply. Offering "point to the pinned statement" when none is
pinned sent the writer into a refusal, so the inbox asks here. The selector is named, not
imported: `responses` owns it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string

PINNED_STATEMENT_SELECTOR = "responses.selectors.statement_pinned_latest"


@dataclass(frozen=True)
class PinnedStatement:
    id: int
    title: str


def pinned_statement() -> PinnedStatement | None:
    """The current clinic's newest published, pinned statement, or None."""
    statement = import_string(PINNED_STATEMENT_SELECTOR)()
    if statement is None:
        return None
    published = statement.published_version  # the title the public page shows
    return PinnedStatement(statement.pk, published.title if published else statement.title)


def answer_chosen(
    contradicts: dict | None, fact_slugs: set[str], pinned: PinnedStatement | None
) -> str:
    """The answer a claim's menu starts on: the fact it contradicts when the fact sheet holds
    it, else the pinned statement, else a plain reply ("fact:<slug>" | "statement" | "reply",
    the values `responses.views_batches.BatchCreateView` reads)."""
    if contradicts and contradicts.get("kind") == "fact" and contradicts.get("slug") in fact_slugs:
        return f"fact:{contradicts['slug']}"
    return "statement" if pinned is not None else "reply"
