""" "Save the team" is answered in the team section, where the page opens: on a phone the room
is many screens long and the browser restores the scroll, so a message at the top of the page
is out of sight (walk 1 on phones, F6)."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from crisis.models import IncidentAssignment


def _team_section(html: str) -> str:
    start = html.index('<h2 id="team-h">')
    return html[start : html.index("</section>", start)]


def _form(pk_comms, pk_clinician="") -> dict:
    return {"action": "assign_all", "role_comms": pk_comms, "role_clinician": pk_clinician,
            "role_legal": "", "role_social": ""}  # fmt: skip


def test_saving_the_team_opens_the_room_at_the_team_with_the_confirmation_there(
    incident, world, login, django_capture_on_commit_callbacks
):
    client = login("alpha_manager")
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(room, _form(world.users["alpha_writer"].pk))

    assert answer.status_code == 302
    assert answer["Location"] == f"{room}#team-h"
    html = client.get(room).content.decode()
    said = "Team saved: 1 role(s) changed, the people assigned are told."
    assert said in _team_section(html)
    assert 'data-testid="team-said"' in _team_section(html)
    assert 'role="status"' in _team_section(html)
    assert html.count(said) == 1  # not also at the top of the page
    # said once: the next visit is quiet
    assert said not in client.get(room).content.decode()

    # saving it again unchanged says so, at the team too
    client.post(room, _form(world.users["alpha_writer"].pk))
    assert "Team unchanged." in _team_section(client.get(room).content.decode())


def test_a_refused_team_is_said_at_the_team_and_changes_nothing(
    incident, world, login, clinic_a, mailoutbox
):
    client = login("alpha_manager")
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"
    manager = world.users["alpha_manager"]

    answer = client.post(room, _form(manager.pk, manager.pk))

    # refused as every room form is: said in its form, with what was chosen kept, and the role
    # refused takes the focus (the browser scrolls to it)
    assert answer.status_code == 400
    html = answer.content.decode()
    section = _team_section(html)
    assert "The team cannot be saved: nothing was changed." in section
    assert 'data-testid="form-refused"' in section and 'role="alert"' in section
    assert html.count("The team cannot be saved") == 1
    assert re.search(r'<select id="assign-clinician"[^>]* autofocus aria-invalid="true"', section)
    assert re.search(r'<select id="assign-comms"[^>]*>(?:(?!</select>).)*'
                     rf'<option value="{manager.pk}" selected>', section)  # fmt: skip
    assert html.count(" autofocus") == 1
    # and nothing is left to say on the next visit
    assert "The team cannot be saved" not in client.get(room).content.decode()
    with schema_context(clinic_a.schema_name):
        assert not IncidentAssignment.objects.filter(incident=incident).exists()
    assert mailoutbox == []


def test_other_room_actions_still_answer_at_the_top(incident, login):
    client = login("alpha_manager")
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"

    answer = client.post(room, {"action": "acknowledge"})

    assert answer["Location"] == room
    html = client.get(room).content.decode()
    assert "Acknowledged." in html[: html.index("<h1>")]
