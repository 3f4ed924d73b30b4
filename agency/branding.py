"""The agency's brand: the sender name of its e-mails; its colour, made safe to read: the text colour to put on it, and a shade of it dark
enough for links and outlines on white (WCAG 2 contrast of at least 4.5:1); its logo as a data
URI for files that must carry it inside (the review's PDF and HTML export)."""

from __future__ import annotations

import base64
from email.utils import formataddr, parseaddr
from pathlib import Path

from django.conf import settings

from agency.selectors import agency_for_person
from core.branding import PRODUCT, Brand
from core.text import one_line


def brand_name(agency) -> str:
    """The name a clinic's people know the agency by (`display_name`, else its name): what
    every page, e-mail and document they read calls the service, never "Carewatch". On one
    line (`core.text.one_line`): it is the sender name and part of subjects of e-mails, and a
    name stored before line breaks were refused must not stop the agency's mail."""
    return one_line(agency.display_name or agency.name)


def person_brand(user):
    """`core.branding.person_brand`: the brand `user` knows (`core.branding.Brand`): their
    agency's name for its staff (as the staff pages say it), its brand for a clinic's people,
    "Carewatch" for a person of no agency; the sender of their e-mails likewise."""
    agency, staff = agency_for_person(user)
    if agency is None:
        return Brand(name=PRODUCT, sender=settings.DEFAULT_FROM_EMAIL)
    name = one_line(agency.name) if staff else brand_name(agency)
    return Brand(name=name, sender=brand_sender(agency), reply_to=tuple(brand_reply_to(agency)))


def brand_sender(agency) -> str:
    """The From of every e-mail sent about an agency's work (invitations, notices, approval
    requests, digests, incident alerts): its brand (`display_name`, the name clinics know it
    by) at the platform's one sending address (DEFAULT_FROM_EMAIL's), so a person's mails
    come from one sender and never from "Carewatch". The name is one line and `formataddr`
    quotes or encodes it, so no stored name can break the header."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((brand_name(agency), address))


def brand_reply_to(agency) -> list[str]:
    """The Reply-To of every e-mail sent in the agency's name: its support e-mail (the address
    the branding page tells clients to write to), so an answer reaches the agency rather than
    the platform's sending address, which nobody reads; [] when it has none."""
    return [agency.support_email] if agency.support_email else []


def staff_sender(agency) -> str:
    """The From of the e-mails only the agency's staff get about their place in it (their
    invitation): the agency's own name, as the staff pages show it (`person_brand`), never
    the brand its clients know it by, at the platform's one sending address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((one_line(agency.name), address))


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = (hex_colour or "#1F6FEB").lstrip("#")
    if len(h) != 6:
        h = "1F6FEB"
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{v:02x}" for v in rgb)


WHITE, INK = (255, 255, 255), (27, 31, 36)
# Every light background the portal, the public statement page and the review's export put
# brand-coloured text on (links, the current tab, headings): white, the page grey and the
# tints of notes, pills and messages (static/portal/portal.css, static/css/public_statements.css;
# tests/portal/test_brand_contrast.py reads them there). The yellow "waiting for you" note is
# the one a light brand colour failed on: readable on white is not readable on all of them.
TEXT_BACKGROUNDS = tuple(
    _rgb(c) for c in ("#ffffff", "#f6f8fa", "#eaeef2", "#fff8c5", "#dafbe1", "#f0fff4", "#ffebe9")
)


# The page the portal's bar and buttons stand on, and the least contrast against it with which
# a coloured area still shows as one (WCAG 2.1, 1.4.11 non-text contrast).
PAGE_BACKGROUND = WHITE
MIN_AREA_CONTRAST = 3.0


def colour_warning(hex_colour: str) -> str:
    """Why `hex_colour` will hardly show as the portal's bar and buttons on the white page
    ("" when it shows): its contrast ratio against the page, said as a number."""
    ratio = contrast(_rgb(hex_colour), PAGE_BACKGROUND)
    if ratio >= MIN_AREA_CONTRAST:
        return ""
    return (
        f"The colour {hex_colour.upper()} has a contrast of {ratio:.1f}:1 against the page's "
        f"white background (at least {MIN_AREA_CONTRAST:.0f}:1 is needed to show): the "
        "portal's bar and buttons will hardly stand out. Choose a darker or stronger colour."
    )


# The staff pages' backgrounds a brand-coloured line is drawn on (the current sub-page's
# underline): the page grey and a card's white (static/css/app.css).
LINE_BACKGROUNDS = (WHITE, _rgb("#f6f8fa"))


def _darkened(rgb: tuple[int, int, int], backgrounds, ratio: float) -> tuple[int, int, int]:
    """`rgb`, darkened step by step until it has `ratio` against each of `backgrounds`."""
    while min(contrast(rgb, background) for background in backgrounds) < ratio:
        rgb = tuple(max(0, int(v * 0.9)) for v in rgb)
    return rgb


def brand_palette(hex_colour: str) -> dict[str, str]:
    """{"brand", "on_brand", "brand_text", "brand_line"}: the colour, the text colour for it
    (white or ink, whichever contrasts more), the colour darkened until it reads (4.5:1) on
    every light background brand-coloured text is put on (`TEXT_BACKGROUNDS`), not only on
    white, and until a line of it shows (3:1, WCAG 1.4.11) on the staff pages' backgrounds
    (`LINE_BACKGROUNDS`): a light brand colour (#f5e663) drew the current sub-page's underline
    at 1.3:1."""
    rgb = _rgb(hex_colour)
    on_brand = WHITE if contrast(rgb, WHITE) >= contrast(rgb, INK) else INK
    text = _darkened(rgb, TEXT_BACKGROUNDS, 4.5)
    line = _darkened(rgb, LINE_BACKGROUNDS, MIN_AREA_CONTRAST)
    # the bar colour itself: darken until white (or ink) text on it reads at 4.5:1
    bar = rgb
    if on_brand == WHITE:
        while contrast(bar, WHITE) < 4.5:
            bar = tuple(max(0, int(v * 0.9)) for v in bar)
    return {
        "brand": _hex(bar),
        "on_brand": _hex(on_brand),
        "brand_text": _hex(text),
        "brand_line": _hex(line),
    }


LOGO_MAX_BYTES = 512 * 1024
_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


def logo_content_type(name: str) -> str:
    """The content type of a logo file by its name ("" for a type a logo may not have)."""
    return _LOGO_TYPES.get(Path(name or "").suffix.lower(), "")


def logo_data_uri(agency) -> str:
    """The agency's logo as a `data:` URI (empty when it has none, it is missing from storage,
    too large or of an unknown type): a file sent to a client must not fetch anything."""
    logo = getattr(agency, "logo", None)
    if not logo or not logo.name:
        return ""
    kind = _LOGO_TYPES.get(Path(logo.name).suffix.lower())
    if kind is None:
        return ""
    try:
        with logo.storage.open(logo.name, "rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        return ""
    if len(data) > LOGO_MAX_BYTES:
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"
