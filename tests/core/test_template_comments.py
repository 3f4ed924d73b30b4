"""Django's `{# … #}` comment ends at the line's end: one that spans lines is printed on the
page as it is (an approvals page once showed "{# findings: … #}" to staff). Longer comments are
`{% comment %}` blocks."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_OPEN = re.compile(r"\{#(?!.*#\})")


def test_no_template_comment_spans_lines():
    unclosed = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".svg"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OPEN.search(line)
    ]
    assert unclosed == [], "a {# comment #} must open and close on one line: " + ", ".join(unclosed)
