"""The time-zone pickers (new clinic, clinic settings) list the tz database's canonical
Area/Location zones plus UTC, the usual US/Canada zones first; junk and legacy aliases are
gone; a clinic stored under an older name still shows it and saves."""

from __future__ import annotations

from clinics.forms import ClinicCreateForm, ClinicEditForm
from clinics.models import Clinic, time_zone_choices

AREAS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
         "Indian", "Pacific"}  # fmt: skip


def _values(choices) -> list[str]:
    return [value for _, group in choices for value, _ in group]


def test_only_canonical_zones_with_the_usual_ones_first():
    groups = time_zone_choices()
    values = _values(groups)
    assert [name for name, _ in groups] == ["Common", "All time zones"]
    assert values[:5] == ["America/New_York", "America/Chicago", "America/Denver",
                          "America/Phoenix", "America/Los_Angeles"]  # fmt: skip
    assert len(values) == len(set(values))
    for junk in ("Factory", "localtime", "GMT+0", "GMT-0", "W-SU", "Zulu", "UCT", "US/Pacific",
                 "Etc/GMT+5", "Canada/Eastern", "America/Buenos_Aires", "Asia/Calcutta"):  # fmt: skip
        assert junk not in values, junk
    assert {"UTC", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Europe/Paris"} <= set(values)
    assert all(v == "UTC" or v.split("/")[0] in AREAS for v in values)
    assert 300 < len(values) < 450


def test_both_forms_offer_the_same_list():
    assert _values(ClinicCreateForm().fields["timezone"].choices) == _values(time_zone_choices())
    assert _values(ClinicEditForm().fields["timezone"].choices) == _values(time_zone_choices())


def test_a_clinic_stored_under_a_legacy_name_still_shows_and_saves_it(login, clinic_a):
    # given
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    clinic.timezone = "US/Pacific"
    clinic.save()
    manager = login("alpha_manager")

    # when / then: the page shows it, selected
    page = manager.get("/clinics/clinic-a/settings/").content.decode()
    assert '<option value="US/Pacific" selected>US/Pacific (older name)</option>' in page

    # and saving the page unchanged keeps it
    response = manager.post("/clinics/clinic-a/settings/", {
        "name": clinic.name, "timezone": "US/Pacific", "phone": clinic.phone or "",
        "email": clinic.email or "", "contact_url": clinic.contact_url or "",
        "reply_target_minutes": clinic.reply_target_minutes,
    })  # fmt: skip
    assert response.status_code == 302
    assert Clinic.objects.get(pk=clinic_a.pk).timezone == "US/Pacific"
    # another clinic is not offered the old name
    assert "US/Pacific" not in _values(ClinicEditForm(current_zone="America/Chicago")
                                       .fields["timezone"].choices)  # fmt: skip
