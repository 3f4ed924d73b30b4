"""The possessive of a name, in Python and in templates."""

import pytest
from django.template import Context, Template

from core.text import possessive


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lakeview Pediatrics", "Lakeview Pediatrics’"),
        ("ST. JAMES", "ST. JAMES’"),
        ("Clinic A", "Clinic A’s"),
        ("Riverside Family Dental", "Riverside Family Dental’s"),
        ("Clinic A ", "Clinic A’s"),
        ("", ""),
    ],
    ids=["ends-in-s", "ends-in-capital-s", "letter", "word", "trailing-space", "empty"],
)
def test_possessive(name, expected):
    assert possessive(name) == expected


def test_the_template_filter_writes_the_possessive_and_still_escapes():
    template = Template("{% load carewatch %}{{ a|possessive }} / {{ b|possessive }}")
    html = template.render(Context({"a": "Lakeview Pediatrics", "b": "Smith & <Jones>"}))
    assert html == "Lakeview Pediatrics’ / Smith &amp; &lt;Jones&gt;’s"
