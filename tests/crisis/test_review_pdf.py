"""The post-crisis review's PDF as the client receives it: rendered to PNG pages with poppler's
pdftoppm (the pages go to the screenshot gallery), the agency's name, logo and colour and the
charts on pages 1–2, a tagged structure (PDF/UA-1) with alt text on the charts."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from agency.branding import brand_palette
from clinics.models import Clinic
from crisis.export import review_html, review_pdf
from tests.crisis.conftest import resolved_anyway
from tests.fixtures.browser import SCREENSHOTS

POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")
pytestmark = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils missing (bash scripts/system_packages.sh installs it)"
)
AGENCY_NAME = "Harbour Health Marketing"
BRAND = "#0B6E4F"
LOGO_RGB = (230, 120, 20)  # an orange square: easy to find on page 1


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _count(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    pixels = image.convert("RGB").get_flattened_data()
    return sum(
        1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, rgb, strict=True))
    )


def _text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def branded(clinic_a, settings, tmp_path):
    """Clinic A's agency with a display name, a colour and a PNG logo."""
    settings.MEDIA_ROOT = tmp_path / "media"
    agency = Clinic.objects.get(pk=clinic_a.pk).agency
    agency.display_name, agency.primary_colour = AGENCY_NAME, BRAND
    logo = io.BytesIO()
    Image.new("RGB", (64, 64), LOGO_RGB).save(logo, "PNG")
    agency.logo.save("harbour.png", ContentFile(logo.getvalue()), save=False)
    agency.save()
    return Clinic.objects.select_related("agency").get(pk=clinic_a.pk)


@pytest.fixture
def resolved_review(surge, django_capture_on_commit_callbacks):
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    return incident.review


def test_the_pdf_carries_the_brand_and_the_charts_on_its_first_pages(
    branded, resolved_review, tmp_path
):
    # given the review of a resolved surge, for a branded agency
    pdf = tmp_path / "review.pdf"

    # when it is exported as PDF and rendered to PNG pages
    pdf.write_bytes(review_pdf(resolved_review, branded))
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(pages, start=1):
        target = SCREENSHOTS / f"review-pdf-page-{n}.png"
        shutil.copyfile(page, target)
        print(f"screenshot: {target}")

    # then page 1 is the one-page summary with the agency's name, logo and colour
    assert len(pages) >= 2
    first, second = _text(pdf, 1), _text(pdf, 2)
    assert AGENCY_NAME in first
    assert "Post-crisis review — incident #" in first
    for label in ("Summary", "Crisis began", "Time to acknowledge", "Mentions answered in public"):
        assert label in first, label
    # the two flagged mentions nobody answered as false are no false claims, and it says so
    assert "Reach of the false claims" in first and "none: no claim was answered" in first
    page1 = Image.open(pages[0])
    assert _count(page1, LOGO_RGB) > 50  # the logo
    assert _count(page1, _rgb(brand_palette(BRAND)["brand"])) > 500  # the brand bar
    # and page 2 holds both charts, drawn (not blank)
    assert "Items by sentiment, each period on its own scale" in second
    assert "Sentiment curve: mean score per period" in second
    page2 = Image.open(pages[1])
    assert _count(page2, (207, 34, 46)) > 200  # negative bars
    assert _count(page2, (45, 164, 78)) > 200  # positive bars
    assert _count(page2, _rgb(brand_palette(BRAND)["brand_text"])) > 100  # the curve
    assert "Timeline" in "".join(_text(pdf, n) for n in range(2, len(pages) + 1))


def test_the_pdf_is_tagged_with_alt_text_on_its_charts(branded, resolved_review, tmp_path):
    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(review_pdf(resolved_review, branded))

    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    assert "Tagged:          yes" in info.stdout
    assert f"Title:           Post-crisis review — incident #{resolved_review.incident_id}" in (
        info.stdout
    )
    root = pypdf.PdfReader(pdf).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    figures, headings = [], []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            kind = node.get("/S")
            if kind == "/Figure":
                figures.append(str(node.get("/Alt", "")))
            elif kind in ("/H1", "/H2"):
                headings.append(kind)
            if node.get("/K") is not None:
                walk(node["/K"])

    walk(root["/StructTreeRoot"])
    assert headings.count("/H1") == 1 and headings.count("/H2") >= 5
    charts = [
        alt for alt in figures if alt.startswith(("Volume in each period", "Sentiment curve"))
    ]
    assert len(charts) == 2
    rates = (
        "before about 0.4 a day (3 items in 7 days); during about 0.9 an hour (5 items in "
        "about 5.5 hours); after 3 a day (3 items in 24 hours)."
    )
    assert rates in charts[0]
    assert any(alt == f"{AGENCY_NAME} logo" for alt in figures)


def test_the_html_export_is_self_contained_and_branded(branded, resolved_review):
    html = review_html(resolved_review, branded)
    assert AGENCY_NAME in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert 'src="data:image/png;base64,' in html  # the logo, inside the file
    assert "http://" not in html and "https://" not in html  # fetches nothing
    assert brand_palette(BRAND)["brand"] in html


def test_the_html_export_gives_a_phone_the_charts_drawn_for_its_width(branded, resolved_review):
    # given the HTML export, as the clinic opens it on a phone
    html = review_html(resolved_review, branded)
    # then it lays out at the phone's width, and each chart is a picture whose narrow source a
    # screen up to 720 px wide takes (320 across), the wide drawing the PDF prints beside it
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    sources = re.findall(
        r'<picture><source media="\(max-width: 720px\)" '
        r'srcset="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" width="(\d+)" height="\d+">'
        r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)" width="720" '
        r'height="240"></picture>',
        html,
    )
    assert [(width, alt.split(".")[0]) for width, alt in sources] == [
        ("320", "Volume in each period"),
        ("320", "Sentiment curve"),
    ]


def test_the_pdf_prints_the_wide_charts_only(branded, resolved_review, monkeypatch):
    # given the HTML the PDF is made from
    made = []
    monkeypatch.setattr("crisis.export.html_pdf", lambda html: made.append(html) or b"%PDF")
    review_pdf(resolved_review, branded)
    # then it holds no narrow source (WeasyPrint shows none): each chart is the wide drawing
    (html,) = made
    assert "<source" not in html
    assert len(re.findall(r'<picture><img src="data:image/svg\+xml;base64,[^"]+" alt="[^"]+" '
                          r'width="720" height="240"></picture>', html)) == 2  # fmt: skip


def test_the_pdfs_tables_keep_their_words_whole(branded, resolved_review, tmp_path):
    # given the review's PDF (the windows table has eleven columns on an A4 page)
    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(review_pdf(resolved_review, branded))
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True
            ).stdout,
        ).group(1)
    )
    text = "\n".join(_text(pdf, n) for n in range(1, pages + 1))
    # when its text is read back, then every header and state is one word, not broken inside
    # it across lines ("Wind ow", "Befo re", "Duri ng")
    words = set(re.findall(r"[\w†]+", text))
    for word in (
        "Window", "From", "Length", "State", "Items", "Negative†", "Before", "During",
        "After", "complete", "Neutral", "Positive", "Unscored",
    ):  # fmt: skip
        assert word in words, word
    for broken in ("Wind", "Befo", "Duri", "Leng", "Stat", "Ite", "Negat", "comp"):
        assert broken not in words, broken
