"""A clinic's only approver stays but their role changes to viewer: the
clinic is told it has no approver as when they are removed. The owners and managers find the
"no approver" line (e-mailed: no removal e-mail says it) and what waits at the step stuck for
them, each writer of what is stranded there is told, and all of it closes, under the same
refs, when the clinic can approve again."""

from __future__ import annotations

from clinics.models import ClinicMembership, Notification
from clinics.services import clinic_member_save
from tests.responses.conftest import reply_waiting_in

MANAGERS = {"owner@alpha.test", "manager@alpha.test"}
NO_APPROVER = (
    "Clinic A has no approver since A Approver is no longer its approver: nothing can get the "
    "clinic's approval"
)


def _save(clinic, user, role, capture):
    with capture(execute=True):
        return clinic_member_save(
            clinic=clinic, by="Alpha Owner", email=user.email, full_name=user.full_name, role=role
        )


def test_the_only_approver_made_a_viewer_is_told_as_a_removal_and_closes_when_back(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: a reply of the writer waits at Clinic A's step, A Approver its only approver
    capture = django_capture_on_commit_callbacks
    a, writer = world.clinics["a"], world.users["alpha_writer"]
    approver = world.users["a_approver"]
    draft = reply_waiting_in(a, rows(a).review(rating=1), writer)
    ClinicMembership.objects.filter(clinic=a, role="approver").exclude(user=approver).delete()
    mailoutbox.clear()

    # when: her role changes to another
    _save(a, approver, "viewer", capture)

    # then: the owners and managers find the open "no approver" line, e-mailed once
    ref = f"clinic:{a.pk}:no_approver"
    lines = Notification.objects.filter(clinic=a, ref=ref, user__email__in=MANAGERS)
    assert sorted((n.user.email, n.open, n.kind, n.title) for n in lines) == sorted(
        (email, True, "no_approver", NO_APPROVER) for email in MANAGERS
    )
    told = [m.to[0] for m in mailoutbox if m.subject == f"[Clinic A] {NO_APPROVER}"]
    assert sorted(told) == sorted(MANAGERS)
    # and the reply waiting at the step is stuck for them
    stuck = Notification.objects.filter(clinic=a, ref=f"reply:{draft.pk}:stuck", open=True)
    assert sorted(n.user.email for n in stuck) == sorted(MANAGERS)
    assert stuck.first().title.endswith(
        "is stuck: nobody can give the clinic approval since A Approver is no longer its approver"
    )
    # and the writer is told, naming her reply, under the same ref
    [line] = Notification.objects.filter(user=writer, clinic=a, kind="no_approver")
    assert (line.ref, line.waits) == (ref, False)
    assert line.title.endswith(
        "you wrote waits for Clinic A's approval, and the clinic has no approver since "
        "A Approver is no longer its approver"
    )
    assert [m.to for m in mailoutbox if "you wrote" in m.subject] == [[writer.email]]

    # when: she is its approver again
    mailoutbox.clear()
    _save(a, approver, "approver", capture)

    # then: the managers' lines close and everyone told hears it can approve again
    assert not Notification.objects.filter(clinic=a, ref=ref, open=True).exists()
    again = "[Clinic A] Clinic A can approve again: A Approver is its approver now"
    assert sorted(m.to[0] for m in mailoutbox if m.subject == again) == sorted(
        [*MANAGERS, writer.email]
    )


def test_a_role_change_while_another_approver_remains_tells_nobody(
    db, world, mailoutbox, django_capture_on_commit_callbacks
):
    a, approver = world.clinics["a"], world.users["a_approver"]
    clinic_member_save(
        clinic=a, by="Alpha Owner", email="second@clinics.test", full_name="Second Approver",
        role="approver",
    )  # fmt: skip
    mailoutbox.clear()

    _save(a, approver, "viewer", django_capture_on_commit_callbacks)

    assert not Notification.objects.filter(clinic=a, kind="no_approver").exists()
    assert not [m for m in mailoutbox if "no approver" in m.subject]
    assert ClinicMembership.objects.get(clinic=a, user=approver).role == "viewer"
