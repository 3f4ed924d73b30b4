"""The brand's line shade (`brand_palette`'s "brand_line"): the agency's colour, darkened only
as far as a line of it needs to show (3:1, WCAG 1.4.11) on the staff pages' white and grey,
whatever the colour; the staff pages' stylesheet carries it as --brand-line."""

from __future__ import annotations

import pytest
from django.test import Client

from agency.branding import LINE_BACKGROUNDS, _rgb, brand_palette, contrast
from agency.models import Agency


@pytest.mark.parametrize(
    "colour", ["#f5e663", "#FFD700", "#ffffff", "#7fffd4", "#1f6feb", "#0b6e4f", "#000000"]
)
def test_the_line_shade_shows_on_the_page_whatever_the_colour(colour):
    line = _rgb(brand_palette(colour)["brand_line"])
    assert min(contrast(line, bg) for bg in LINE_BACKGROUNDS) >= 3.0


def test_a_colour_that_shows_already_is_kept_as_it_is():
    assert brand_palette("#1f6feb")["brand_line"] == "#1f6feb"
    assert brand_palette("#0B6E4F")["brand_line"] == "#0b6e4f"


def test_the_staff_stylesheet_carries_the_line_shade(world, db):
    Agency.objects.filter(slug="beta").update(primary_colour="#f5e663")
    css = Client().get("/brand/beta.css").content.decode()
    line = css.split("--brand-line:")[1][:7]
    assert line == brand_palette("#f5e663")["brand_line"]
    assert css.split("--brand:")[1][:7] == "#f5e663"  # the bar keeps the colour (ink text)
    assert contrast(_rgb(line), _rgb("#f6f8fa")) >= 3.0
