"""A clinic that lost its only approver gets one again: the owners and managers, told it had
none when she left, are told it can approve again (their history and an e-mail), their "no
approver" line closes, and the new approver finds what waits; a second approver later tells
nobody anything more."""

from __future__ import annotations

from clinics.models import ClinicMembership, Notification
from clinics.services import clinic_member_remove, clinic_member_save
from tests.responses.conftest import reply_waiting_in

MANAGERS = {"owner@alpha.test", "manager@alpha.test"}
TOLD = {*MANAGERS, "writer@alpha.test"}


def _add(clinic, email, name):
    return clinic_member_save(
        clinic=clinic, by="Alpha Owner", email=email, full_name=name, role="approver"
    ).membership.user


def test_the_people_told_the_clinic_had_no_approver_are_told_it_has_one_again(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: a reply waits at Clinic A's step, and its only approver is removed
    capture = django_capture_on_commit_callbacks
    a, owner = world.clinics["a"], world.users["alpha_owner"]
    draft = reply_waiting_in(a, rows(a).review(), world.users["alpha_writer"])
    ClinicMembership.objects.filter(clinic=a, role="approver").exclude(
        user=world.users["a_approver"]
    ).delete()
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    with capture(execute=True):
        clinic_member_remove(membership=membership, by=owner)
    ref = f"clinic:{a.pk}:no_approver"
    line = Notification.objects.get(user=world.users["alpha_manager"], ref=ref)
    assert line.open and line.kind == "no_approver"
    assert line.title == (
        "Clinic A has no approver since A Approver left: nothing can get the clinic's approval"
    )
    # (e-mailed once, with what she left behind: no second e-mail for the line; the writer of
    # the reply stranded at the step is e-mailed, tests/clinics/test_approver_writers_told.py)
    assert not any("has no approver" in m.subject and m.to[0] in MANAGERS for m in mailoutbox)

    # when: an approver is added
    mailoutbox.clear()
    with capture(execute=True):
        rae = _add(a, "rae@clinics.test", "Rae Replacement")

    # then: the owner and manager, and the writer of the reply that waits, are told, once
    # each, for their information
    subject = "[Clinic A] Clinic A can approve again: Rae Replacement is its approver now"
    told = [m for m in mailoutbox if m.subject == subject]
    assert sorted(m.to[0] for m in told) == sorted(TOLD)
    assert "the 1 thing already waiting for it was pointed out to them" in told[0].body
    assert "/clinics/clinic-a/replies/" in told[0].body
    rows_again = Notification.objects.filter(clinic=a, kind="approver_again")
    assert {n.user.email for n in rows_again.select_related("user")} == TOLD
    assert not rows_again.filter(open=True).exists()
    assert not Notification.objects.filter(ref=ref, open=True).exists()
    assert Notification.objects.filter(user=rae, ref=f"reply:{draft.pk}", open=True).exists()
    # the new approver is not told about herself
    assert not rows_again.filter(user=rae).exists()

    # when: a second approver is added later: nobody is told again
    mailoutbox.clear()
    with capture(execute=True):
        _add(a, "sam@clinics.test", "Sam Second")
    assert not any("can approve again" in m.subject for m in mailoutbox)
    assert rows_again.count() == 3


def test_an_invited_approver_is_named_as_such(
    db, world, mailoutbox, django_capture_on_commit_callbacks
):
    a, owner = world.clinics["a"], world.users["alpha_owner"]
    ClinicMembership.objects.filter(clinic=a, role="approver").exclude(
        user=world.users["a_approver"]
    ).delete()
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    with django_capture_on_commit_callbacks(execute=True):
        clinic_member_remove(membership=membership, by=owner)
        mailoutbox.clear()
        _add(a, "ivy@clinics.test", "Ivy Invited")  # no password yet: an invitation
    told = [m for m in mailoutbox if "can approve again" in m.subject]
    assert told and "They were invited and can approve once they choose their password" in (
        told[0].body
    )
