"""The clinic's report settings ("Monthly report" among the clinic's settings): "send the
monthly report automatically" (off by default) and up to ten extra addresses; owners and
managers change them, other staff read them."""

from __future__ import annotations

import pytest

from reports.models import ReportSettings

PAGE = "/clinics/clinic-a/settings/report/"


def test_off_by_default_and_shown_among_the_clinic_settings(clinic_a, login):
    html = login("alpha_manager").get("/clinics/clinic-a/settings/").content.decode()
    assert f'href="{PAGE}"' in html and ">Monthly report</a>" in html
    page = login("alpha_manager").get(PAGE).content.decode()
    assert "Send the monthly report automatically" in page
    assert (
        'name="send_monthly"' in page and "checked" not in page.split('name="send_monthly"')[1][:40]
    )


def test_a_manager_turns_it_on_with_extra_addresses(clinic_a, login):
    response = login("alpha_manager").post(
        PAGE,
        {
            "send_monthly": "on",
            "extra_recipients": "Board@Practice.test, owner@practice.test\nboard@practice.test",
        },
    )
    assert response.status_code == 302
    row = ReportSettings.objects.get(clinic=clinic_a)
    assert row.send_monthly is True
    assert row.extra_recipients == ["board@practice.test", "owner@practice.test"]
    html = login("alpha_manager").get("/clinics/clinic-a/report/").content.decode()
    assert "Sent automatically on the 1st at 08:00 clinic time: <strong>on</strong>" in html


def test_a_bad_address_is_named_and_nothing_is_saved(clinic_a, login):
    response = login("alpha_manager").post(
        PAGE, {"send_monthly": "on", "extra_recipients": "owner@practice.test\nnot an address"}
    )
    assert response.status_code == 400
    assert "is not an e-mail address." in response.content.decode()
    assert not ReportSettings.objects.filter(clinic=clinic_a).exists()


@pytest.mark.parametrize("who", ["alpha_analyst", "alpha_writer"])
def test_other_staff_read_it_but_cannot_change_it(clinic_a, login, who):
    client = login(who)
    assert client.get(PAGE).status_code == 200
    assert client.post(PAGE, {"send_monthly": "on"}).status_code == 403
    assert not ReportSettings.objects.filter(clinic=clinic_a).exists()
