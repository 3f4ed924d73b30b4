"""RE2 twins of the lexicon patterns (topics.py, flags.py) for ASCII text.

google-re2 compiles a pattern into a linear-time automaton: over a review, the topic lexicon
and the risk flags run three to six times faster than with `re`, which tries every alternative
at every position (together they were a tenth of the scoring time on RateMDs reviews). On ASCII
text the twin finds exactly the matches `re` finds for these patterns (no backreferences or
look-arounds, leftmost-first alternation as in `re`); RE2's \\b and \\w are ASCII-only, so any
other text is read by the `re` pattern itself (tests/scoring/test_ml_topics.py and
test_ml_flags.py compare both on every held-out RateMDs review).
"""

from __future__ import annotations

import re


def ascii_twin(pattern: re.Pattern):
    """`pattern` compiled by RE2 (same flags), for ASCII texts only; `pattern` itself where RE2
    cannot compile it (a look-around, a backreference) or google-re2 is not installed."""
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is pinned in requirements.txt
        return pattern
    options = re2.Options()
    options.case_sensitive = not pattern.flags & re.IGNORECASE
    options.log_errors = False
    try:
        return re2.compile(pattern.pattern, options)
    except re2.error:
        return pattern
