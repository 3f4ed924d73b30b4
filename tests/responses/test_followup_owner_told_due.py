"""The e-mail that tells a person a private follow-up is theirs names its due time, in the
clinic's time zone, only when it has one: opened for them with a due date, handed to them with
one, or handed to them after its due date was cleared (no deadline words then)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clinics.models import clinic_zone
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db


def _local(at, clinic) -> str:
    return timezone.localtime(at, clinic_zone(clinic)).strftime("%Y-%m-%d %H:%M %Z")


def test_the_owner_reads_the_due_time_only_when_the_follow_up_has_one(
    clinic_a, as_user, world, mailoutbox, django_capture_on_commit_callbacks
):
    writer = as_user("alpha_writer", clinic_a)
    manager, owner = world.users["alpha_manager"], world.users["alpha_owner"]
    due = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)

    # opened for the manager, due in five hours
    with django_capture_on_commit_callbacks(execute=True):
        opened = writer.post(
            f"reviews/{review_in(clinic_a).pk}/private-conversations/",
            {"channel": "phone", "owner_id": manager.pk, "due_at": due.isoformat()},
        )
    assert opened.status_code == 201
    [told] = mailoutbox
    title = f"A private follow-up is yours, due {_local(due, clinic_a)}"
    assert (told.to, told.subject) == (["manager@alpha.test"], f"[Clinic A] {title}")
    assert title in told.body

    # handed to the owner with its due date cleared: no deadline is named
    mailoutbox.clear()
    url = f"private-conversations/{opened.json()['id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        handed = writer.patch(url, {"owner_id": owner.pk, "due_at": None})
    assert handed.status_code == 200 and handed.json()["due_at"] is None
    [told] = mailoutbox
    assert told.subject == "[Clinic A] A private follow-up is now yours"
    assert " due " not in told.body and "deadline" not in told.body

    # another, opened by the writer for herself, handed to the manager: its due time is said
    mailoutbox.clear()
    other = writer.post(
        f"reviews/{review_in(clinic_a).pk}/private-conversations/", {"channel": "phone"}
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        writer.patch(f"private-conversations/{other['id']}/", {"owner_id": manager.pk})
    [told] = mailoutbox
    other_due = datetime.fromisoformat(other["due_at"])
    assert told.subject == (
        f"[Clinic A] A private follow-up is now yours, due {_local(other_due, clinic_a)}"
    )
