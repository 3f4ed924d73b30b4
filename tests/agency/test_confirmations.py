"""Removing a staff member, removing a clinic person and revoking an API key ask first: the
first POST answers a page that says what will happen, with a Confirm button (posting the same
fields and `confirm=yes`) and a Cancel link; only the confirmation acts. Plain forms, so it
works without JavaScript and by keyboard (a real button and a real link)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import ApiKey
from agency.models import AgencyMembership
from clinics.models import ClinicMembership

STAFF = "/agency/settings/people/"
PEOPLE = "/clinics/clinic-a/settings/people/"


def _confirm_form(html: str) -> str:
    return re.search(r'<form method="post" class="confirm-actions">.*?</form>', html, re.S).group(0)


def _asks(response, question: str, consequence: str, fields: dict, button: str, cancel: str):
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "agency/confirm.html"
    html = response.content.decode()
    assert f'<h1 id="confirm-h">{question}</h1>' in html
    assert consequence in html and "Nothing has changed yet." in html
    form = _confirm_form(html)
    for name, value in {**fields, "confirm": "yes"}.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in form
    assert f'<button type="submit" class="danger">{button}</button>' in form
    assert f'<a href="{cancel}" class="cancel">Cancel</a>' in form


def test_removing_a_staff_member_asks_first_and_then_removes_and_tells_them(login, world):
    mail.outbox.clear()
    client = login("alpha_owner")
    analyst = AgencyMembership.objects.get(user=world.users["alpha_analyst"])
    fields = {"action": "remove", "membership": analyst.pk}
    # when: Remove pressed
    asked = client.post(STAFF, fields)
    # then: asked, and nothing happened yet
    _asks(
        asked,
        "Remove analyst@alpha.test (Alpha Analyst) from the staff of Alpha Agency?",
        "They lose access to Alpha Agency and every one of its clinics at once: their open "
        "browser sessions are signed out, their personal tokens stop working, and they are "
        "taken off every on-call list; an e-mail tells them.",
        fields,
        "Remove analyst@alpha.test",
        STAFF,
    )
    assert AgencyMembership.objects.filter(pk=analyst.pk).exists() and mail.outbox == []
    # when: confirmed
    done = client.post(STAFF, {**fields, "confirm": "yes"})
    # then: removed, and told (as before the confirmation existed)
    assert done.status_code == 302 and done["Location"] == STAFF
    assert not AgencyMembership.objects.filter(pk=analyst.pk).exists()
    [told] = mail.outbox
    assert told.to == ["analyst@alpha.test"] and "no longer have access" in told.subject


@pytest.mark.parametrize("value", ["", "no", "YES ", "1"])
def test_only_confirm_yes_removes(login, world, value):
    analyst = AgencyMembership.objects.get(user=world.users["alpha_analyst"])
    response = login("alpha_owner").post(
        STAFF, {"action": "remove", "membership": analyst.pk, "confirm": value}
    )
    assert response.status_code == 200
    assert AgencyMembership.objects.filter(pk=analyst.pk).exists()


def test_a_writer_is_refused_before_being_asked(login, world):
    analyst = AgencyMembership.objects.get(user=world.users["alpha_analyst"])
    response = login("alpha_writer").post(STAFF, {"action": "remove", "membership": analyst.pk})
    assert response.status_code == 403


def test_removing_a_clinic_person_asks_first_and_then_removes_and_tells_them(
    login, world, clinic_a
):
    mail.outbox.clear()
    client = login("alpha_manager")
    viewer = ClinicMembership.objects.get(user=world.users["a_viewer"], clinic=clinic_a)
    fields = {"action": "remove", "membership": viewer.pk}
    asked = client.post(PEOPLE, fields)
    _asks(
        asked,
        "Remove a_viewer@clinics.test (A Viewer) from Clinic A?",
        "They lose access to Clinic A at once (its portal, its approvals and its crisis "
        "alerts); an e-mail tells them.",
        fields,
        "Remove a_viewer@clinics.test",
        PEOPLE,
    )
    assert ClinicMembership.objects.filter(pk=viewer.pk).exists() and mail.outbox == []
    done = client.post(PEOPLE, {**fields, "confirm": "yes"})
    assert done.status_code == 302
    assert not ClinicMembership.objects.filter(pk=viewer.pk).exists()
    [told] = mail.outbox
    assert told.to == ["a_viewer@clinics.test"]


@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("/agency/settings/api-keys/", "key_alpha"),
        ("/clinics/clinic-a/settings/api-keys/", "key_a"),
    ],
    ids=["agency", "clinic"],
)
def test_revoking_a_key_asks_first_and_then_revokes(login, page, name):
    client = login("alpha_owner")
    key = ApiKey.objects.get(name=name)
    fields = {"action": "revoke", "key": key.pk}
    asked = client.post(page, fields)
    _asks(
        asked,
        f"Revoke the key “{name}” (cwk_{key.prefix}_…)?",
        "It stops working at once",
        fields,
        f"Revoke {name}",
        page,
    )
    key.refresh_from_db()
    assert key.revoked_at is None
    done = client.post(page, {**fields, "confirm": "yes"})
    assert done.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
