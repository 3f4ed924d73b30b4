"""Walk 12, finding 2: a name that goes into e-mail headers (the agency's sender name, a
clinic's name in subjects, a person's name) is refused where it is typed when it holds a line
break, a tab or another control character, with the field named and nothing saved; and a name
stored before that check can no longer stop mail: the sender name and subjects are built on
one line, so Django never raises BadHeaderError for them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from agency.branding import brand_sender
from agency.models import Agency
from clinics.models import Clinic
from clinics.notifications import people_notify
from core.text import one_line, one_line_problem

BRANDING = "/agency/settings/branding/"
PEOPLE = "/clinics/clinic-a/settings/people/"
BAD_NAMES = [
    pytest.param("Bright\r\nBcc: attacker@evil.example", "a line break (U+000D)", id="crlf"),
    pytest.param("Bright\nCare", "a line break (U+000A)", id="lf"),
    pytest.param("Bright\tCare", "a tab (U+0009)", id="tab"),
    pytest.param("Bright\u2028Care", "a line break (U+2028)", id="line-separator"),
    pytest.param("Bright \u202eeraC", "a control character (U+202E)", id="bidi-override"),
    pytest.param("Bright\x07Care", "a control character (U+0007)", id="bell"),
]


def _problem(what: str) -> str:
    return (
        f"Contains {what}: write the name on one line, without line breaks, tabs or other "
        "control characters."
    )


@pytest.fixture
def alpha(world, db):
    """Agency alpha, its names as they were afterwards (saved: a save clears the route cache)."""
    agency = Agency.objects.get(pk=world.agencies["alpha"].pk)
    before = (agency.name, agency.display_name)
    yield agency
    agency.refresh_from_db()
    agency.name, agency.display_name = before
    agency.save(update_fields=["name", "display_name"])


def _stored_bad_name(agency: Agency, name: str) -> None:
    """A name saved before the check existed (the model itself does not refuse it)."""
    agency.display_name = name
    agency.save(update_fields=["display_name"])


@pytest.mark.parametrize(("name", "what"), BAD_NAMES)
def test_the_branding_page_refuses_a_name_off_one_line_and_saves_nothing(login, alpha, name, what):
    before = Agency.objects.values("display_name", "support_email", "primary_colour").get(
        pk=alpha.pk
    )
    response = login("alpha_owner").post(
        BRANDING,
        {"display_name": name, "support_email": "care@alpha.test", "primary_colour": "#0b6e4f"},
    )
    assert response.status_code == 400
    if "U+0007" in what:  # C0/C1 controls: refused for every page form, before the form
        assert "display_name" in response.content.decode()
        assert "not text" in response.content.decode()
    else:
        assert response.context["form"].errors["display_name"] == [_problem(what)]
    after = Agency.objects.values("display_name", "support_email", "primary_colour").get(
        pk=alpha.pk
    )
    assert after == before


@pytest.mark.parametrize(
    "name",
    ["Brightside Care Reviews", "Søren & Zoë’s Clinics", "کلینیک\u200cها", "Team 👩\u200d⚕️"],
    ids=["plain", "accents-and-ampersand", "zwnj-persian", "zwj-emoji"],
)
def test_names_on_one_line_are_accepted_as_typed(name):
    assert one_line_problem(name) is None
    assert one_line(name) == name


def test_the_create_agency_command_refuses_a_name_off_one_line(db):
    with pytest.raises(CommandError, match=r"U\+000A"):
        call_command(
            "create_agency", "--name", "Evil\nAgency", "--slug", "evil-agency",
            "--support-email", "a@evil.test",
        )  # fmt: skip
    assert not Agency.objects.filter(slug="evil-agency").exists()


def test_a_clinic_name_off_one_line_is_refused_on_the_settings_page(login, clinic_a):
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    response = login("alpha_manager").post("/clinics/clinic-a/settings/", {
        "name": "Clinic A\r\nBcc: x@evil.example", "timezone": clinic.timezone,
        "phone": clinic.phone or "", "email": clinic.email or "",
        "contact_url": clinic.contact_url or "",
        "reply_target_minutes": clinic.reply_target_minutes,
    })  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [_problem("a line break (U+000D)")]
    assert Clinic.objects.get(pk=clinic_a.pk).name == clinic.name


def test_a_new_clinic_named_off_one_line_is_refused_by_the_api(login, world):
    response = login("alpha_owner").post(
        "/api/v1/clinics/",
        {"name": "Harbor\nDental", "slug": "harbor-dental-x", "timezone": "UTC"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["name"] == [_problem("a line break (U+000A)")]
    assert not Clinic.objects.filter(slug="harbor-dental-x").exists()


def test_a_person_named_off_one_line_is_refused_on_the_people_page(login, clinic_a, mailoutbox):
    response = login("alpha_manager").post(PEOPLE, {
        "action": "save", "email": "nina@clinic-a.test", "full_name": "Nina\r\nNovak",
        "role": "approver",
    })  # fmt: skip
    assert response.status_code == 400
    assert _problem("a line break (U+000D)") in response.content.decode()
    assert not User.objects.filter(email="nina@clinic-a.test").exists()
    assert mailoutbox == []


def test_a_stored_bad_name_no_longer_stops_the_password_reset(alpha, world, mailoutbox):
    # given a display name stored with a line break before the check existed
    _stored_bad_name(alpha, "Bright\r\nBcc: attacker@evil.example")

    # when one of its clinic's people asks for a password reset
    Client().post("/password-reset/", {"email": world.users["a_viewer"].email})

    # then the e-mail goes, from the name on one line, to them only
    [reset] = mailoutbox
    assert reset.to == [world.users["a_viewer"].email] and reset.bcc == []
    assert reset.from_email == '"Bright Bcc: attacker@evil.example" <no-reply@carewatch.local>'
    assert "\n" not in reset.message()["From"] and "\r" not in reset.message()["From"]


def test_a_stored_bad_name_no_longer_stops_notifications(
    alpha, world, clinic_a, django_capture_on_commit_callbacks
):
    # given a stored display name and a clinic name off one line (saved before the checks)
    _stored_bad_name(alpha, "Bright\nCare")
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    old_name = clinic.name
    clinic.name = "Clinic A\r\nBcc: attacker@evil.example"
    clinic.save(update_fields=["name"])
    clinic.agency = alpha
    mail.outbox.clear()
    try:
        # when a notice is e-mailed at once
        with django_capture_on_commit_callbacks(execute=True):
            people_notify(
                users=[world.users["a_approver"]], clinic=clinic, kind="approval",
                ref="reply:1", title="A reply waits for your approval",
                url="/clinics/clinic-a/portal/review/",
            )  # fmt: skip
    finally:
        clinic.name = old_name
        clinic.save(update_fields=["name"])

    # then it is sent, its sender and subject on one line
    [notice] = mail.outbox
    assert notice.from_email == "Bright Care <no-reply@carewatch.local>"
    assert notice.subject == (
        "[Clinic A Bcc: attacker@evil.example] A reply waits for your approval"
    )
    assert notice.bcc == []
    assert brand_sender(alpha) == "Bright Care <no-reply@carewatch.local>"
