"""The brand colour's text shade (`--brand-text`: links, the current tab, summaries) reads at
4.5:1 or more on every light background the portal's and the public statement page's CSS put
text on, not only on white: with #FFD700 the links in the yellow "waiting for you" note were
4.49:1 on #fff8c5."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from agency.branding import INK, brand_palette, contrast

STYLESHEETS = ["portal/portal.css", "css/public_statements.css"]
COLOURS = ["#FFD700", "#FFFF00", "#00FFFF", "#FFFFFF", "#FF69B4", "#1F6FEB", "#0B6E4F", "#000000"]


def _rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _text_backgrounds() -> set[str]:
    """Every background colour of the stylesheets that dark text is set on (ink reads on it):
    links take --brand-text there unless a rule says otherwise. Dark ones (the brand bar, the
    critical banner) set their own link colour."""
    found = set()
    for name in STYLESHEETS:
        css = (Path(settings.BASE_DIR) / "static" / name).read_text()
        variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", css))
        for value in re.findall(r"background(?:-color)?:\s*([^;}]+)", css):
            value = value.strip()
            var = re.fullmatch(r"var\(--([\w-]+)(?:,\s*(#[0-9a-fA-F]{3,6}))?\)", value)
            if var:
                value = variables.get(var.group(1)) or var.group(2) or ""
                if var.group(1).startswith("brand"):
                    continue  # the brand colour itself: on_brand is its text
            colour = re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value)
            if colour and contrast(_rgb(value), INK) >= 4.5:
                found.add(value.lower())
    return found


def test_the_stylesheets_are_read():
    assert {"#fff", "#f6f8fa", "#fff8c5", "#ffebe9"} <= _text_backgrounds()


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("background", sorted(_text_backgrounds()))
def test_brand_text_reads_on_every_background(colour, background):
    text = _rgb(brand_palette(colour)["brand_text"])
    assert contrast(text, _rgb(background)) >= 4.5


def test_the_waiting_note_link_with_a_gold_brand():
    # the QA walk's case: #FFD700 made #867000, 4.49:1 on the note's #fff8c5
    text = _rgb(brand_palette("#FFD700")["brand_text"])
    assert contrast(text, _rgb("#fff8c5")) >= 4.5
    assert contrast(text, (255, 255, 255)) >= 4.5  # the badge: white on --brand-text
