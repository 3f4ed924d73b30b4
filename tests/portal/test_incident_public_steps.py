"""The clinic's incident page in the portal goes on past "Statement drafted" (walk 11, #4):
the statement's approval (by whom, for whom) and publication with links to it and to its
public page, and the replies to the incident's mentions published, counted with those posted
by hand, in the clinic's words."""

from __future__ import annotations

import re

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from crisis.models import Incident, IncidentMention, IncidentStatement
from responses.models import OutboxItem
from responses.services.outbox import outbox_mark_posted
from tests.responses.conftest import approved_reply, as_user, deliver_in, platforms, review_in  # noqa: F401 - fixtures


def test_the_incident_page_says_the_statement_was_approved_and_published_and_the_replies(
    platforms,  # noqa: F811 - the fixture
    clinic_a,
    as_user,  # noqa: F811 - the fixture
    world,
    login,
):
    # given an incident with three mentions answered in public (one posted by hand) and the
    # statement drafted from it, approved by the agency and the clinic and published
    reviews = [review_in(clinic_a, fake=platforms) for _ in range(3)]
    items = [approved_reply(clinic_a, as_user, review)["outbox"][0]["id"] for review in reviews]
    assert [deliver_in(clinic_a, item) for item in items[:2]] == ["sent", "sent"]
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    with schema_context(clinic_a.schema_name):
        OutboxItem.objects.filter(pk=items[2]).update(status="manual")
        outbox_mark_posted(
            item_id=items[2],
            access=clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a),
            url="https://example.org/post/1",
        )
    sid = writer.post(
        "statements/",
        {"title": "About the rumour", "body": "We are open as usual and the rumour is not true."},
    ).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    manager.post(f"statements/{sid}/approve/")
    assert as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/").status_code == 200
    assert manager.post(f"statements/{sid}/publish/").json()["status"] == "published"
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="misinformation", title="Needles", severity="high", trigger={},
            opened_at=now, last_detected_at=now, status="resolved", resolved_at=now,
        )  # fmt: skip
        IncidentMention.objects.bulk_create(
            [IncidentMention(incident=incident, review=r, added_at=now) for r in reviews]
        )
        IncidentStatement.objects.create(incident=incident, statement_id=sid, added_at=now)

    # when the clinic's approver opens the incident in the portal
    page = login("a_approver", otp=False).get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    timeline = html[html.index('<ol class="timeline">') :]
    timeline = timeline[: timeline.index("</ol>")]
    lines = [line.split("</li>")[0] for line in timeline.split("<li>")[1:]]

    # then its timeline says the statement was approved, by whom and for whom
    [approved] = [line for line in lines if "<strong>Statement approved</strong>" in line]
    assert (
        "— “About the rumour” (version 1) was approved by Alpha Manager for your agency and "
        "A Approver for the clinic." in approved
    )
    # that it was published, with links to read it and to its public page
    [published] = [line for line in lines if "<strong>Statement published</strong>" in line]
    assert "“About the rumour” (version 1) was published on your public statement page." in (
        published
    )
    assert '<a href="/clinics/clinic-a/portal/statements/">Read it in Statements</a>' in published
    assert f'<a href="/statements/clinic-a/{sid}/">Open its public page</a>' in published
    # and the replies published, counted, with those posted by hand
    [replies] = [line for line in lines if "<strong>Replies published</strong>" in line]
    assert (
        "— 3 replies to this incident&#x27;s mentions published, 1 of them posted by hand by "
        "your agency (the first " in replies
    )
    # each where it happened among the incident's events, oldest first
    times = [re.search(r'<time datetime="([^"]+)"', line).group(1) for line in lines]
    assert times == sorted(times) and len(lines) == 3
