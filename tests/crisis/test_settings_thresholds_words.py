"""The detector thresholds page speaks plainly: every field has a label with its unit (not the
field's name), and a line saying what raising or lowering it does and its default."""

from __future__ import annotations

import html as html_lib

import pytest

from crisis.forms import ThresholdsForm
from crisis.models import DetectorSettings

URL = "/clinics/clinic-a/settings/thresholds/"


def test_every_field_has_a_plain_label_and_a_help_line_with_its_default():
    form = ThresholdsForm(instance=DetectorSettings())
    for name, field in form.fields.items():
        if name == "watch_words":
            continue
        raw = name.replace("_", " ").capitalize()
        assert field.label != raw, name
        assert field.help_text.endswith("."), name
        assert "Default: " in field.help_text, name


@pytest.mark.parametrize(
    ("label", "help_line"),
    [
        ("Chance it is only bad luck, at most (probability, 0–0.05)",
         "Lower (e.g. 0.00001): only a clearer surge opens one; higher: more false alarms on a "
         "calm clinic. Default: 0.0001."),
        ("At least this many times the usual number (×)",
         "Higher: the surge must stand further above the clinic's usual level. "
         "Default: 1.5."),
        ("Of them, at least this many 1–2★",
         "Higher: more low ratings are needed before it opens. Default: 6."),
        ("Growing at least this many times faster than usual (×)",
         "Higher: only a faster-spreading post opens one. Default: 10."),
        ("Words two mentions must share to be one claim (0.05–1)",
         "Share of words in common: higher (e.g. 0.4) groups only close wordings; lower groups "
         "looser ones. Default: 0.25."),
        ("Count negative mentions over (minutes)",
         "Longer: slower surges are caught, a sharp one a little later. Default: 120."),
    ],
)  # fmt: skip
def test_the_page_shows_the_words(login, label, help_line):
    page = login("alpha_manager").get(URL).content.decode()
    assert f">{html_lib.escape(label, quote=False)}:</label>" in page
    assert help_line in page
    for raw in ("Surge p value", "Surge min ratio", "Rating min low", "Viral growth factor",
                "Misinformation similarity"):  # fmt: skip
        assert raw not in page
