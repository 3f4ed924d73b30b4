"""The agency's branding page: the name, support e-mail, colour and logo its clients see in
the portal, on the public statement page and in the post-crisis review. Bad files and fields
are refused with the field named and change nothing; the logo is served as what it is."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from agency.models import Agency

URL = "/agency/settings/branding/"


def _png(size=(64, 64), colour=(11, 110, 79), fmt="PNG") -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", size, colour).save(data, fmt)
    data.seek(0)
    data.name = f"logo.{fmt.lower()}"
    return data


def _form(**extra) -> dict:
    return {
        "display_name": "Alpha Care Reviews",
        "support_email": "care@alpha.test",
        "primary_colour": "#0b6e4f",
        **extra,
    }


def _stored(slug="alpha") -> tuple:
    a = Agency.objects.get(slug=slug)
    return a.display_name, a.support_email, a.primary_colour, a.logo.name


def test_a_manager_sets_name_colour_and_logo_and_the_portal_shows_them(
    login, world, django_capture_on_commit_callbacks
):
    manager = login("alpha_manager")
    assert 'enctype="multipart/form-data"' in manager.get(URL).content.decode()

    # when the manager saves a new name, address, colour and a PNG logo
    answer = manager.post(URL, _form(logo=_png()))

    # then they are stored, and the logo is served as a PNG from the agency's address
    assert answer.status_code == 302, answer.content.decode()[:2000]
    name, email, colour, logo = _stored()
    assert (name, email, colour) == ("Alpha Care Reviews", "care@alpha.test", "#0B6E4F")
    assert logo.startswith("agency-logos/alpha-") and logo.endswith(".png")
    agency = Agency.objects.get(slug="alpha")
    served = login("a_approver").get(agency.logo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    # and the clinic's approver sees them in the portal
    portal = login("a_approver").get("/clinics/clinic-a/portal/").content.decode()
    assert f'<img src="{agency.logo_url}"' in portal
    assert "Alpha Care Reviews" in portal and "mailto:care@alpha.test" in portal

    # when the logo is replaced, the old file goes; when removed, the address answers 404
    old = logo
    with django_capture_on_commit_callbacks(execute=True):
        assert manager.post(URL, _form(logo=_png(colour=(200, 0, 0)))).status_code == 302
    new = _stored()[3]
    assert new != old and default_storage.exists(new) and not default_storage.exists(old)
    with django_capture_on_commit_callbacks(execute=True):
        assert manager.post(URL, _form(remove_logo="on")).status_code == 302
    assert _stored()[3] == "" and not default_storage.exists(new)
    assert manager.get("/brand/alpha/logo").status_code == 404


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _file(data: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"logo": lambda: _file(SVG, "logo.svg")}, "logo", "SVG logos are refused for safety"),
        ({"logo": lambda: _file(b"GIF89a" + b"\0" * 20, "l.gif")}, "logo", "not an image"),
        ({"logo": lambda: _png(fmt="GIF")}, "logo", "A GIF image is not accepted"),
        ({"logo": lambda: _file(b"", "empty.png")}, "logo", "empty"),
        ({"logo": lambda: _file(b"\x89PNG" + b"x" * 600_000, "big.png")}, "logo", "at most 512 KB"),
        ({"logo": lambda: _png(size=(3000, 20))}, "logo", "16 to 2000 pixels"),
        ({"primary_colour": "red"}, "primary_colour", "Use a colour like #1F6FEB"),
        ({"display_name": "   "}, "display_name", "Give the name clients see"),
        ({"support_email": "not-an-address"}, "support_email", "an e-mail address clients can"),
        ({"support_email": "a" * 250 + "@x.test"}, "support_email", "at most 254"),
    ],
)
def test_a_bad_field_is_named_and_nothing_changes(login, world, extra, field, message):
    before = _stored()
    data = {**_form(display_name="Renamed Agency"), **extra}
    data = {k: v() if callable(v) else v for k, v in data.items()}
    answer = login("alpha_manager").post(URL, data)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "nothing was changed" in html and message.lower() in html.lower(), html[-3000:]
    assert f'id="id_{field}_error' in html or f'id="id_{field}"' in html
    assert _stored() == before  # the name posted beside the bad field was not stored either


def test_only_a_manager_or_owner_changes_it_and_only_for_their_own_agency(login, world):
    writer = login("alpha_writer")
    page = writer.get(URL).content.decode()
    assert "Only an agency owner or manager changes the branding." in page and "<form" not in (
        page.split("<h1>", 1)[1]
        .split("</main>")[0]
        .replace('<form method="post" action="/logout/"', "")
    )
    before = _stored()
    assert writer.post(URL, _form()).status_code == 403
    assert _stored() == before
    # another agency's owner changes their own agency, never Alpha's
    beta = login("beta_owner")
    assert beta.post(f"{URL}?agency=alpha", _form()).status_code == 404
    assert beta.post(URL, _form(display_name="Beta Reviews")).status_code == 302
    assert _stored() == before and _stored("beta")[0] == "Beta Reviews"


def test_an_unknown_agency_or_a_missing_file_answers_404(client, world, db):
    assert client.get("/brand/no-such-agency/logo").status_code == 404
    assert client.get("/brand/alpha/logo").status_code == 404  # no logo yet
    Agency.objects.filter(slug="alpha").update(logo="agency-logos/gone.png")
    assert client.get("/brand/alpha/logo").status_code == 404


def test_the_logo_size_error_says_the_real_size(login, world):
    # a 700,000-byte file: only the first 512 KB + 1 byte are read, the message says 684 KB
    data = {**_form(), "logo": _file(b"\x89PNG" + b"x" * (700_000 - 4), "big.jpg")}
    html = login("alpha_manager").post(URL, data).content.decode()
    assert "The file is 684 KB; a logo may be at most 512 KB." in html


def test_an_svg_under_another_name_is_refused_for_safety(login, world):
    before = _stored()
    data = {**_form(), "logo": _file(b"\n  " + SVG, "logo.png")}
    answer = login("alpha_manager").post(URL, data)
    assert answer.status_code == 400
    assert "SVG logos are refused for safety" in answer.content.decode()
    assert _stored() == before


@pytest.mark.parametrize(
    ("colour", "warned"),
    [("#FFFFFF", "1.0:1"), ("#FFF8C5", "1.1:1"), ("#1F6FEB", ""), ("#0B6E4F", "")],
)
def test_a_colour_too_light_to_show_is_saved_with_its_contrast_ratio(login, world, colour, warned):
    client = login("alpha_manager")
    answer = client.post(URL, {**_form(), "primary_colour": colour}, follow=True)
    html = answer.content.decode()
    assert "Saved: the portal and the public pages show it now." in html
    assert Agency.objects.get(slug="alpha").primary_colour == colour
    if warned:
        assert (
            f"The colour {colour} has a contrast of {warned} against the page&#x27;s white "
            "background (at least 3:1 is needed to show)"
        ) in html
    else:
        assert "has a contrast of" not in html
