"""Link markup of the lightweight syntaxes (Markdown, BBCode, wiki, reStructuredText, Textile)
is markup as HTML is: platforms post a reply as typed, so "[click here](https://…)" is refused
in the same words as "<b>", and the guard's apply-all fix turns it into plain sentences. Square
brackets, parentheses and a bare address are plain text."""

from __future__ import annotations

import pytest

from core.text import markup_found, markup_problem, markup_removed
from responses.guard import OK, GuardContext, warm_up
from responses.guard.fixes import apply_fixes

REPLY = "Replies are posted as plain text: remove the markup"
LINKS = [
    pytest.param("For details, [click here](https://example.com).", "[click here](https://example.com)", id="markdown"),
    pytest.param("See ![logo](https://x.test/a.png) us.", "![logo](https://x.test/a.png)", id="markdown-image"),
    pytest.param("Read [our policy][1] first.", "[our policy][1]", id="markdown-reference"),
    pytest.param("[url=https://x.test]our site[/url] has hours.", "[url=https://x.test]our site[/url]", id="bbcode"),
    pytest.param("Check [[Opening hours|our hours]] online.", "[[Opening hours|our hours]]", id="wiki"),
    pytest.param("Hours: [https://x.test/h our hours page].", "[https://x.test/h our hours page]", id="wiki-external"),
    pytest.param("See `our page <https://x.test>`_ soon.", "`our page <https://x.test>`_", id="restructuredtext"),
    pytest.param('See "our page":https://x.test/p soon.', '"our page":https://x.test/p', id="textile"),
    pytest.param(
        "Visit [our website](https://riverbendhealth.com/hours/and/more) today.",
        "[our website](https://riverbendhealth.…)",
        id="shortened",
    ),
]  # fmt: skip
PLAIN = [
    pytest.param("We said [sic] it, see note [1] (and (2)).", id="brackets"),
    pytest.param("Call 555-0100 or visit https://x.test/a_(b).", id="bare-address"),
    pytest.param('He said "hi": https://x.test is our page.', id="quote-then-address"),
    pytest.param("Thank you, we <3 our patients.", id="heart"),
]


@pytest.mark.parametrize(("text", "named"), LINKS)
def test_link_markup_is_refused_in_the_words_html_is(text, named):
    assert markup_found(text) == [named]
    assert markup_problem(text, published="Replies are posted") == f"{REPLY} {named}."


def test_link_markup_in_a_field_without_a_channel_says_what_to_write():
    assert markup_problem("See [our site](https://x.test).") == (
        "Write plain text: link markup such as [words](https://…) is not allowed."
    )


@pytest.mark.parametrize("text", PLAIN)
def test_brackets_and_bare_addresses_are_plain_text(text):
    assert markup_found(text) == []
    assert markup_removed(text) == (text, [])


@pytest.fixture(scope="module")
def _guard():
    warm_up()


CLINIC = GuardContext(clinic_name="Riverbend Family Health", clinic_phones=("(512) 555-0142",))


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        pytest.param(
            "Thanks for the feedback. For details, [click here](https://example.com).",
            "Thanks for the feedback. Please contact us directly at (512) 555-0142 so we can help.",
            id="click-here-goes-with-its-sentence",
        ),
        pytest.param(
            "Thank you for your review! Visit [our website](https://riverbendhealth.com) for our hours.",
            "Thank you for your review! Visit our website for our hours.",
            id="a-link-leaves-its-words",
        ),
        pytest.param(
            'We value your feedback. Read more <a href="https://x.test">here</a>.',
            "We value your feedback. Please contact us directly at (512) 555-0142 so we can help.",
            id="html-link",
        ),
        pytest.param(
            "Thanks <b>so much</b> for this. We [url=https://x.test]appreciate[/url] it.",
            "Thanks so much for this. We appreciate it.",
            id="tags-and-bbcode",
        ),
    ],
)
def test_apply_all_fixes_turns_markup_into_plain_sentences(_guard, text, fixed):
    result = apply_fixes(text, context=CLINIC)

    assert result.text == fixed
    assert markup_found(result.text) == []
    assert result.result.verdict == OK
    assert result.changes


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for visiting <img src=x onerror=alert(1)//",
        "Thanks for visiting <img src=x onerror=alert(1)// see you soon",
        "Thanks for visiting <script",
        'We are here <a href="https://x.test" for you',
    ],
)
def test_a_tag_left_open_is_markup_too(text):
    """Walk 14 (a security tester): the closed tag was refused, the same tag left open saved."""
    assert markup_problem(text, published="Replies are posted")
    assert "<" not in markup_removed(text)[0]


@pytest.mark.parametrize("text", ["We <3 our patients", "Wait times < 10 minutes", "a < b = c"])
def test_a_lone_angle_bracket_is_still_plain_text(text):
    assert markup_problem(text) is None
