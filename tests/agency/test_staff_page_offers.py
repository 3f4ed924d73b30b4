"""The staff page offers a person only what the services' rule lets them do (a manager is not
offered the owner role, nor the owner's Remove), and changing one's own role to one with fewer
powers asks first, saying what is lost and who can give it back."""

from __future__ import annotations

import re

from django.core import mail

from agency.models import AgencyMembership, AgencyRole

STAFF = "/agency/settings/people/"


def _row(html: str, email: str) -> str:
    return re.search(rf'<tr data-person="{re.escape(email)}">.*?</tr>', html, re.S).group(0)


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select [^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="(\w+)"', select)


def test_a_manager_is_offered_neither_the_owner_role_nor_the_owners_remove(login, world):
    owner = AgencyMembership.objects.get(user=world.users["alpha_owner"])
    writer = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    # when
    html = login("alpha_manager").get(STAFF).content.decode()
    # then: the owner's row says who changes it, with no menu and no Remove
    owner_row = _row(html, "owner@alpha.test")
    assert f'id="role-{owner.pk}"' not in owner_row and "Remove" not in owner_row
    assert "Owner <span" in owner_row and "(only an owner changes it)" in owner_row
    # the others' menus and the add form leave the owner role out
    assert _options(html, f"role-{writer.pk}") == ["manager", "writer", "analyst"]
    assert _options(html, f"clinics-role-{writer.pk}") == ["manager", "writer", "analyst"]
    assert _options(html, "id_role") == ["manager", "writer", "analyst"]
    assert "Remove writer@alpha.test" in _row(html, "writer@alpha.test")


def test_an_owner_is_offered_everything(login, world):
    writer = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    html = login("alpha_owner").get(STAFF).content.decode()
    assert _options(html, f"role-{writer.pk}") == ["owner", "manager", "writer", "analyst"]
    assert _options(html, "id_role") == ["owner", "manager", "writer", "analyst"]


def test_a_manager_removing_the_owner_is_refused_before_any_confirmation(login, world):
    owner = AgencyMembership.objects.get(user=world.users["alpha_owner"])
    mail.outbox.clear()
    response = login("alpha_manager").post(STAFF, {"action": "remove", "membership": owner.pk})
    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "agency/settings_people.html"
    assert "Only an owner removes an owner." in response.content.decode()
    assert AgencyMembership.objects.filter(pk=owner.pk, role="owner").exists()
    assert mail.outbox == []


def test_a_manager_demoting_himself_is_asked_what_he_loses_and_who_undoes_it(login, world):
    me = AgencyMembership.objects.get(user=world.users["alpha_manager"])
    client = login("alpha_manager")
    mail.outbox.clear()
    fields = {"action": "role", "membership": me.pk, "role": "analyst"}
    # when: his own row's role set to Analyst
    asked = client.post(STAFF, fields)
    # then: asked, nothing changed, nobody told
    assert asked.status_code == 200
    assert [t.name for t in asked.templates][0] == "agency/confirm.html"
    html = asked.content.decode()
    assert "Make yourself Analyst? This is your own role." in html
    assert (
        "You are a manager, who writes replies and gives the agency&#x27;s approval, and "
        "manages the settings, people and API keys of every clinic the agency looks after. "
        "An analyst only sees the reviews, incidents and reports of every clinic the agency "
        "looks after, without changing them." in html
    )
    assert (
        "You lose the rest at once, and you cannot give it back to yourself: only an owner or "
        "a manager of Alpha Agency can (Alpha Owner)." in html
    )
    for name, value in {**fields, "confirm": "yes"}.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in html
    me.refresh_from_db()
    assert me.role == AgencyRole.MANAGER and mail.outbox == []
    # when: confirmed
    try:
        done = client.post(STAFF, {**fields, "confirm": "yes"})
        me.refresh_from_db()
        assert done.status_code == 302 and me.role == AgencyRole.ANALYST
    finally:
        AgencyMembership.objects.filter(pk=me.pk).update(role=AgencyRole.MANAGER)


def test_changing_someone_else_or_oneself_upwards_asks_nothing(login, world):
    writer = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    try:
        done = login("alpha_manager").post(
            STAFF, {"action": "role", "membership": writer.pk, "role": "analyst"}
        )
        assert done.status_code == 302
        writer.refresh_from_db()
        assert writer.role == AgencyRole.ANALYST
    finally:
        AgencyMembership.objects.filter(pk=writer.pk).update(role=AgencyRole.WRITER)
