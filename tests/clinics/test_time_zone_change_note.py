"""Walk 17 #4: changing a clinic's time zone silently moved past items across days and months
(a 31 October 23:30 review into November's report). The settings page now says so at the field
before it is saved, and the change is in the settings history, old and new zone."""

from __future__ import annotations

from clinics.forms import TZ_CHANGE_NOTE
from clinics.models import SettingChange
from tests.fixtures.forms import rendered_form_data

PAGE = "/clinics/clinic-a/settings/"


def test_the_time_zone_field_says_what_a_change_moves(login, clinic_a):
    html = login("alpha_owner").get(PAGE).content.decode()

    assert TZ_CHANGE_NOTE == (
        "Changing the time zone moves the day/month boundaries of past reviews and reports; "
        "reports already sent are not changed."
    )
    assert TZ_CHANGE_NOTE in html
    # said at the field itself (its help, which the select is described by)
    field = html.split('<label for="id_timezone"', 1)[1].split('<label for="id_phone"', 1)[0]
    assert f'<div class="helptext" id="id_timezone_helptext">{TZ_CHANGE_NOTE}</div>' in field
    assert 'aria-describedby="id_timezone_helptext"' in field


def test_a_time_zone_change_is_in_the_settings_history(login, clinic_a):
    client = login("alpha_owner")
    data = rendered_form_data(client.get(PAGE).content.decode(), "timezone")
    before = data["timezone"]

    response = client.post(PAGE, {**data, "timezone": "Australia/Sydney"})

    assert response.status_code == 302
    rows = SettingChange.objects.filter(clinic=clinic_a, setting="Time zone")
    assert [(r.old_value, r.new_value) for r in rows] == [(before, "Australia/Sydney")]
