"""The reply editor of a mention of a running incident names the incident and links back to
its room (as the statement editor does): opened from the room, it was a dead end on a phone
(walk 1 on phones, F8)."""

from __future__ import annotations

from datetime import timedelta

from django_tenants.utils import schema_context

from crisis.services import incident_resolve
from tests.crisis.conftest import ANYWAY, NOW, acting

MIN = timedelta(minutes=1)


def _editor(login, review_id: int) -> str:
    page = login("alpha_writer").get(f"/clinics/clinic-a/replies/review/{review_id}/")
    assert page.status_code == 200
    return page.content.decode()


def test_the_reply_editor_of_a_running_incidents_mention_links_back_to_its_room(
    incident, stream, login
):
    [mention] = incident.links.values_list("review_id", flat=True)
    other = stream.add(NOW - 5 * MIN, label="positive", text="Lovely staff")

    html = _editor(login, mention)

    room = f"/clinics/clinic-a/incidents/{incident.pk}/#mentions-h"
    assert (
        f'A mention of the incident “{incident.title}” (open) · <a href="{room}">back to its '
        "incident room</a>"
    ) in html.replace("&quot;", '"')
    # a review that is no incident's mention says nothing of one
    assert 'data-testid="reply-incident"' not in _editor(login, other.pk)
    # once the incident is resolved, there is no room to go back to for the response
    with schema_context("clinic_clinic_a"):
        incident_resolve(incident_id=incident.pk, actor=acting("test"), override_reason=ANYWAY)
    assert 'data-testid="reply-incident"' not in _editor(login, mention)
