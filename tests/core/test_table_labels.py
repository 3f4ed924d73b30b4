"""Every table of the staff pages (class "table") reads on a phone: app.css shows each row as a
card and hides the column headings only visually, and static/js/a11y.js labels each cell with
its column's heading, taken from the table's <thead>. So every such table needs a <thead> whose
headings all have words, and every page loads the script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC = Path(settings.BASE_DIR) / "static"
TABLE = re.compile(r"<table\b[^>]*\bclass=\"([^\"]*)\"[^>]*>(.*?)</table>", re.S)


def _tables() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for n, match in enumerate(TABLE.finditer(path.read_text())):
            if "table" in match.group(1).split():
                found.append((f"{path.relative_to(TEMPLATES)}#{n + 1}", match.group(2)))
    return found


def _words(html: str) -> str:
    return re.sub(r"<[^>]+>|\{%.*?%\}|\{#.*?#\}", "", html, flags=re.S).strip()


def test_the_scan_finds_the_staff_tables():
    names = {name.split("#")[0] for name, _ in _tables()}
    assert {"feeds/inbox.html", "responses/statements.html", "webhooks/list.html"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize(("name", "body"), _tables(), ids=[name for name, _ in _tables()])
def test_every_table_has_column_headings_with_words(name, body):
    head = re.search(r"<thead\b.*?</thead>", body, re.S)
    assert head, f"{name}: no <thead>: its cells would have no label on a phone"
    headings = re.findall(r"<th\b([^>]*)>(.*?)</th>", head.group(0), re.S)
    assert headings, f"{name}: a <thead> without <th>"
    for attrs, text in headings:
        assert _words(text) or "data-label=" in attrs, f"{name}: a column heading without words"


def test_phones_hide_column_headings_only_visually_and_every_page_labels_the_cells():
    css = (STATIC / "css" / "app.css").read_text()
    phone = css[css.index("@media (max-width: 640px)") :]
    phone = phone[: phone.index("\n}")]
    assert "display: none" not in phone
    assert "clip: rect(0 0 0 0)" in phone
    assert ".table td[data-label]::before" in phone
    for base in ("base.html", "portal/base.html"):
        assert "js/a11y.js" in (TEMPLATES / base).read_text(), base
    script = (STATIC / "js" / "a11y.js").read_text()
    assert 'setAttribute("data-label"' in script
