"""A clinic's only approver leaves while replies wait at its approval step: each writer of
what is stranded there is told once, naming each of their texts (their history and an e-mail
as they chose), and is among those told when the clinic can approve again."""

from __future__ import annotations

from clinics.models import ClinicMembership, Notification
from clinics.preferences import notification_preferences_save
from clinics.services import clinic_member_remove, clinic_member_save
from tests.responses.conftest import reply_waiting_in

STRANDED = (
    "[Clinic A] 2 texts you wrote wait for Clinic A's approval, and the clinic has no "
    "approver since A Approver left"
)


def _remove_only_approver(world, capture):
    a = world.clinics["a"]
    ClinicMembership.objects.filter(clinic=a, role="approver").exclude(
        user=world.users["a_approver"]
    ).delete()
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    with capture(execute=True):
        clinic_member_remove(membership=membership, by=world.users["alpha_owner"])


def test_each_writer_of_what_is_stranded_is_told_once_naming_their_texts(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: two replies of the writer and one of the manager wait at Clinic A's step, and a
    # draft of the writer's not submitted yet (not stranded)
    a, writer, manager = (
        world.clinics["a"],
        world.users["alpha_writer"],
        world.users["alpha_manager"],
    )
    made = rows(a)
    first, second = (reply_waiting_in(a, made.review(rating=r), writer) for r in (1, 2))
    reply_waiting_in(a, made.review(), manager)
    reply_waiting_in(a, made.review(), writer, status="draft")
    mailoutbox.clear()

    # when: the clinic's only approver is removed
    _remove_only_approver(world, django_capture_on_commit_callbacks)

    # then: the writer gets one e-mail naming both stranded replies, with their pages
    mine = [m for m in mailoutbox if m.to == [writer.email]]
    assert [m.subject for m in mine] == [STRANDED]
    body = mine[0].body
    for draft, stars in ((first, 1), (second, 2)):
        assert f"- a reply to a {stars}★ " in body
        assert f"/clinics/clinic-a/replies/review/{draft.review_id}/" in body
    assert "You are told when it can approve again." in body
    # and one line in their history, for their information (nothing for them to do)
    [line] = Notification.objects.filter(user=writer, clinic=a, kind="no_approver")
    assert (line.open, line.waits, line.ref) == (False, False, f"clinic:{a.pk}:no_approver")
    assert f"[Clinic A] {line.title}" == STRANDED
    # the manager is not told as a writer: her own notices say it (no second e-mail)
    assert not [m for m in mailoutbox if m.to == [manager.email] and "you wrote" in m.subject]

    # when: an approver is added again
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        clinic_member_save(
            clinic=a, by="Alpha Owner", email="rae@clinics.test", full_name="Rae Replacement",
            role="approver",
        )  # fmt: skip

    # then: the writer is told it can approve again, as the owner and manager are
    again = "[Clinic A] Clinic A can approve again: Rae Replacement is its approver now"
    assert sorted(m.to[0] for m in mailoutbox if m.subject == again) == sorted(
        [writer.email, manager.email, world.users["alpha_owner"].email]
    )


def test_a_writer_who_chose_no_email_for_such_notices_has_it_only_in_their_history(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    a, writer = world.clinics["a"], world.users["alpha_writer"]
    notification_preferences_save(
        user=writer, in_app=True, digest="immediate", emails={"information": False}
    )
    reply_waiting_in(a, rows(a).review(rating=1), writer)
    mailoutbox.clear()

    _remove_only_approver(world, django_capture_on_commit_callbacks)

    assert not [m for m in mailoutbox if m.to == [writer.email]]
    [line] = Notification.objects.filter(user=writer, clinic=a, kind="no_approver")
    assert line.title.startswith("A reply to a 1★ ")
    assert line.title.endswith(
        "you wrote waits for Clinic A's approval, and the clinic has no approver since "
        "A Approver left"
    )
    assert line.url.startswith("/clinics/clinic-a/replies/review/")


def test_nobody_is_told_as_a_writer_when_nothing_waits_at_the_step(
    db, world, mailoutbox, django_capture_on_commit_callbacks
):
    a, writer = world.clinics["a"], world.users["alpha_writer"]
    _remove_only_approver(world, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(user=writer, clinic=a, kind="no_approver").exists()
    assert not [m for m in mailoutbox if m.to == [writer.email]]


def test_a_later_leaver_who_was_not_its_approver_tells_nobody_again(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: the clinic's only approver left while a reply of the writer waits at its step
    a, writer = world.clinics["a"], world.users["alpha_writer"]
    reply_waiting_in(a, rows(a).review(rating=1), writer)
    _remove_only_approver(world, django_capture_on_commit_callbacks)
    stuck = list(
        Notification.objects.filter(clinic=a, kind="stuck").values_list("user_id", "title")
    )
    assert stuck and all(title.endswith("since A Approver left") for _, title in stuck)
    mailoutbox.clear()

    # when: someone who was not its approver leaves the clinic too
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_viewer"])
    with django_capture_on_commit_callbacks(execute=True):
        clinic_member_remove(membership=membership, by=world.users["alpha_owner"])

    # then: nobody is told again that the clinic has no approver "since A Viewer left" (it had
    # none before): the writer keeps her one line and e-mail, the managers their stuck lines
    assert Notification.objects.filter(user=writer, clinic=a, kind="no_approver").count() == 1
    assert not [m for m in mailoutbox if "no approver" in m.subject or "stuck" in m.subject]
    assert sorted(
        Notification.objects.filter(clinic=a, kind="stuck").values_list("user_id", "title")
    ) == sorted(stuck)
