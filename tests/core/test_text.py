"""The possessive of a name, in Python and in templates."""

import pytest
from django.template import Context, Template

from core.text import duration_prose, duration_words, initials, possessive


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


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(None, "–"), (0, "0 min"), (5, "5 min"), (59.6, "1 h"), (120, "2 h"), (185, "3 h 5 min"),
     (1440, "1 d"), (3120, "2 d 4 h"), (-90, "1 h 30 min")],
)  # fmt: skip
def test_a_span_of_time_reads_the_same_short_way_on_every_page(minutes, words):
    assert duration_words(minutes) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(1, "1 minute"), (45, "45 minutes"), (60, "1 hour"), (90, "1.5 hours"), (1440, "24 hours")],
)
def test_a_span_of_time_inside_a_sentence_is_in_words(minutes, words):
    assert duration_prose(minutes) == words


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Reese Bramwell", ["RB"]),
        ("Mary Ann Smith", ["MS", "MAS"]),
        ("anna de la Cruz", ["AC", "ADLC"]),
        ("Dr. Ann Lee", ["AL"]),
        ("Élodie  Dupont,", ["ÉD"]),
        ("Guest 42", []),
        ("reese_bramwell", ["RB"]),
        ("@reese bramwell", ["RB"]),
        ("D.W.", ["DW"]),
        ("J.R. Smith", ["JS", "JRS"]),
        ("Cher", []),
        ("", []),
    ],
    ids=[
        "two-words",
        "three-words",
        "particles",
        "title",
        "accent",
        "no-name",
        "handle",
        "at-handle",
        "initials-as-name",
        "dotted-initial",
        "one-word",
        "empty",
    ],
)
def test_initials_are_first_and_last_then_every_word(name, expected):
    assert initials(name) == expected
