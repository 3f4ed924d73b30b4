"""What waits for a person who takes it "at once" is one e-mail per burst, not one per thing
(`clinics.bursts`): during a crisis a clinic's approver got 57 e-mails in a few minutes, one
per reply, statement and fact. The first goes at once; what follows for them at the same
clinic within the window (`NOTICE_BURST_WINDOW`) comes in one e-mail when it ends, listing
what still waits, soonest due first; what was handled meanwhile is counted, not listed, and
nothing left sends nothing. What must never wait goes at once; the hourly digest is as it was.
The state is in the database: a lost task's burst is sent by the sweeper, and two sends at the
same moment send one e-mail."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.brand_links import unbranded
from clinics.models import EmailBurst, HeldNotice, NoticeTold, Notification
from clinics.notifications import (
    email_burst_send,
    email_bursts_send_due,
    notifications_close,
    people_notify,
    preference_set,
)
from clinics.preferences import email_holds
from tests.fixtures.threads import race
from tests.fixtures.workers import wait_for

SEND_TASK = "clinics.tasks.email_burst_send"
pytestmark = pytest.mark.usefixtures("notice_bursts")


def _card_url(ref: str) -> str:
    kind, pk = ref.split(":")
    return f"/clinics/clinic-a/portal/approvals/?card={kind}-{pk}#card-{kind}-{pk}"


def _tell(approver, clinic, ref, *, kind="approval", due_at=None, title=None):
    return people_notify(
        users=[approver], clinic=clinic, kind=kind, ref=ref,
        title=title or f"{ref} waits for your clinic approval", url=_card_url(ref),
        due_at=due_at,
    )  # fmt: skip


def _end_bursts(capture, *, after=None) -> int:
    """The sweeper, as it runs once the window has passed: what a burst held goes."""
    with capture(execute=True):
        return email_bursts_send_due(now=timezone.now() + (after or settings.NOTICE_BURST_WINDOW))


def test_a_burst_of_57_is_two_emails_the_first_at_once_then_one_listing_the_other_56(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks
):
    # given the clinic's approver takes what waits for them "at once"
    approver = world.users["a_approver"]
    now = timezone.now()
    refs = [f"reply:{9000 + i}" for i in range(55)] + ["statement:77", "reply:8999"]
    # deadlines all over the place; the first told is not the soonest due
    dues = {ref: now + timedelta(hours=(i * 7) % 57 + 1) for i, ref in enumerate(refs)}

    # when 57 things come to wait for them within a few minutes
    with django_capture_on_commit_callbacks(execute=True):
        told = [_tell(approver, clinic_a, ref, due_at=dues[ref]) for ref in refs]

    # then the first is e-mailed at once, saying what happens to the next ones
    assert told[0] == {approver.pk: ["in_app", "email"]}
    assert told[1:] == [{approver.pk: ["in_app", "email_held"]}] * 56
    [first] = mailoutbox
    assert first.subject == "[Clinic A] reply:9000 waits for your clinic approval"
    assert (
        "If more waits for you at Clinic A within the next 5 minutes, it comes together in one "
        "e-mail when those 5 minutes end." in first.body
    )
    # every one shows on their pages now, as before
    assert Notification.objects.filter(user=approver, clinic=clinic_a, open=True).count() == 57
    # and the burst's e-mail is queued once, for when the window ends
    burst = EmailBurst.objects.get(user=approver, clinic=clinic_a)
    assert queued == [(SEND_TASK, (burst.pk,))]
    assert burst.ends_at - burst.started_at == timedelta(minutes=5)

    # when the window ends (the queued task)
    with django_capture_on_commit_callbacks(execute=True):
        assert email_burst_send(burst_id=burst.pk, now=burst.ends_at) == 1

    # then one e-mail lists the 56 others, soonest due first, each with its link
    assert len(mailoutbox) == 2
    batch = mailoutbox[1]
    assert batch.to == [approver.email]
    assert batch.subject == "55 replies and 1 statement wait for your approval — Clinic A"
    listed = re.findall(r"^- \[Clinic A\] (\S+) waits for your clinic approval$", batch.body, re.M)
    assert listed == sorted(refs[1:], key=lambda r: dues[r])
    links = unbranded(batch.body)  # a portal link carries the brand to its sign-in page
    for ref in refs[1:]:
        assert f"{settings.PUBLIC_BASE_URL}{_card_url(ref)}\n" in links
    assert "handled meanwhile" not in batch.body
    # and nothing is left to send
    assert not HeldNotice.objects.filter(burst__user=approver).exists()
    assert _end_bursts(django_capture_on_commit_callbacks, after=timedelta(hours=1)) == 0
    assert len(mailoutbox) == 2


def test_what_was_handled_meanwhile_is_counted_not_listed(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks
):
    approver = world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        for ref in ("reply:1", "reply:2", "reply:3", "statement:4"):
            _tell(approver, clinic_a, ref)
        # two are handled before the window ends (someone approved them, or they were closed)
        notifications_close(clinic=clinic_a, ref="reply:2")
        notifications_close(clinic=clinic_a, ref="statement:4")

    assert _end_bursts(django_capture_on_commit_callbacks) == 1
    batch = mailoutbox[-1]
    assert batch.subject == "1 reply waits for your approval — Clinic A"
    assert "- [Clinic A] reply:3 waits for your clinic approval\n" in batch.body
    assert "reply:2" not in batch.body and "statement:4" not in batch.body
    assert "2 others were handled meanwhile." in batch.body


def test_a_burst_with_nothing_left_waiting_sends_nothing_and_the_next_goes_at_once(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks
):
    approver = world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        _tell(approver, clinic_a, "reply:1")
        _tell(approver, clinic_a, "reply:2")
        notifications_close(clinic=clinic_a, ref="reply:2")
    assert len(mailoutbox) == 1

    # when the window ends: nothing of what it held still waits
    assert _end_bursts(django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1
    assert not EmailBurst.objects.filter(user=approver, clinic=clinic_a).exists()

    # and the next thing that waits for them is e-mailed at once again
    with django_capture_on_commit_callbacks(execute=True):
        assert _tell(approver, clinic_a, "reply:5") == {approver.pk: ["in_app", "email"]}
    assert mailoutbox[-1].subject == "[Clinic A] reply:5 waits for your clinic approval"


@pytest.mark.parametrize(
    ("kind", "waits"),
    [("assigned", True), ("follow_up_overdue", True), ("on_call", False), ("clinic", False)],
    ids=["incident-role", "overdue-follow-up", "on-call-handover", "information"],
)
def test_what_must_never_wait_goes_at_once_during_a_burst(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks, kind, waits
):
    approver = world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        _tell(approver, clinic_a, "reply:1")
        _tell(approver, clinic_a, "reply:2")  # a burst is running: held
        told = people_notify(
            users=[approver], clinic=clinic_a, kind=kind, ref=f"test:{kind}",
            title=f"Urgent {kind}", url="/clinics/clinic-a/portal/", waits=waits,
        )  # fmt: skip
    assert "email" in told[approver.pk]
    assert [m.subject for m in mailoutbox] == [
        "[Clinic A] reply:1 waits for your clinic approval",
        f"[Clinic A] Urgent {kind}",
    ]
    assert not HeldNotice.objects.filter(ref=f"test:{kind}").exists()


def test_incident_alerts_and_their_escalation_are_never_held():
    # (they send their own e-mails, at once, with the acknowledge link; nor is the in-app part)
    assert email_holds("incident", waits=True) is False
    assert email_holds("approval", waits=True) is True


def test_each_clinic_has_its_own_burst(
    world, clinic_a, clinic_b, mailoutbox, queued, django_capture_on_commit_callbacks
):
    # given a manager who reaches both clinics
    manager = world.users["alpha_manager"]
    with django_capture_on_commit_callbacks(execute=True):
        a = _tell(manager, clinic_a, "reply:1", kind="approval")
        b = _tell(manager, clinic_b, "reply:1", kind="approval")
    # then the first of each clinic goes at once, from that clinic's brand, to its pages
    assert a[manager.pk] == ["in_app", "email"] and b[manager.pk] == ["in_app", "email"]
    assert sorted(m.subject for m in mailoutbox) == [
        f"[{clinic_a.name}] reply:1 waits for your clinic approval",
        f"[{clinic_b.name}] reply:1 waits for your clinic approval",
    ]


def test_the_hourly_digest_is_as_it_was_for_those_who_chose_it(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks
):
    approver = world.users["a_approver"]
    preference_set(user=approver, email=True, in_app=True, digest="hourly")
    with django_capture_on_commit_callbacks(execute=True):
        told = [_tell(approver, clinic_a, f"reply:{i}") for i in range(3)]
    assert told == [{approver.pk: ["in_app", "email_digest"]}] * 3
    assert mailoutbox == []
    assert not EmailBurst.objects.filter(user=approver).exists()


def test_a_lost_task_loses_nothing_the_sweeper_sends_the_burst_when_it_is_due(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks
):
    # given a burst held two things, and its queued task was lost (a worker restarted)
    approver = world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        for ref in ("reply:1", "reply:2", "reply:3"):
            _tell(approver, clinic_a, ref)
    # the sweeper sends nothing before the window ends
    assert _end_bursts(django_capture_on_commit_callbacks, after=timedelta(minutes=4)) == 0
    # when it has ended, the sweeper sends it, once
    assert _end_bursts(django_capture_on_commit_callbacks) == 1
    assert _end_bursts(django_capture_on_commit_callbacks, after=timedelta(minutes=6)) == 0
    assert [m.subject for m in mailoutbox] == [
        "[Clinic A] reply:1 waits for your clinic approval",
        "2 replies wait for your approval — Clinic A",
    ]


def test_a_paused_clinic_s_burst_waits_until_it_is_reactivated(
    world, clinic_a, mailoutbox, queued, django_capture_on_commit_callbacks
):
    approver = world.users["a_approver"]
    with django_capture_on_commit_callbacks(execute=True):
        _tell(approver, clinic_a, "reply:1")
        _tell(approver, clinic_a, "reply:2")
    type(clinic_a).objects.filter(pk=clinic_a.pk).update(deactivated_at=timezone.now())
    assert _end_bursts(django_capture_on_commit_callbacks) == 0
    type(clinic_a).objects.filter(pk=clinic_a.pk).update(deactivated_at=None)
    assert _end_bursts(django_capture_on_commit_callbacks) == 1
    assert mailoutbox[-1].subject == "1 reply waits for your approval — Clinic A"


def _committed_burst(approver, clinic, refs) -> EmailBurst:
    now = timezone.now()
    burst = EmailBurst.objects.create(
        user=approver, clinic=clinic, started_at=now - timedelta(minutes=6),
        ends_at=now - timedelta(minutes=1),
    )  # fmt: skip
    for ref in refs:
        NoticeTold.objects.create(user=approver, clinic=clinic, ref=ref, kind="approval")
        HeldNotice.objects.create(
            burst=burst, kind="approval", ref=ref, title=f"{ref} waits for your clinic approval",
            url=_card_url(ref),
        )  # fmt: skip
    return burst


def _committed_burst_drop(approver, clinic, refs) -> None:
    NoticeTold.objects.filter(user=approver, clinic=clinic, ref__in=refs).delete()
    EmailBurst.objects.filter(user=approver, clinic=clinic).delete()


def test_two_sends_of_one_burst_at_the_same_moment_send_one_email(
    world, django_db_blocker, mailoutbox
):
    approver, clinic = world.users["a_approver"], world.clinics["a"]
    refs = ["reply:71", "reply:72"]
    with django_db_blocker.unblock():
        try:
            # given a burst that ended, holding two things (committed: each send has its own
            # connection)
            burst = _committed_burst(approver, clinic, refs)

            # when its queued task and the sweeper send it at the same moment
            def send():
                with schema_context(clinic.schema_name):
                    return email_burst_send(burst_id=burst.pk)

            results = race(send, send)

            # then one sends, the other finds nothing to send
            assert sorted(results) == [0, 1], results
            [mail] = mailoutbox
            assert mail.subject == "2 replies wait for your approval — Clinic A"
            assert not HeldNotice.objects.filter(burst_id=burst.pk).exists()
        finally:
            _committed_burst_drop(approver, clinic, refs)


def test_a_real_worker_sends_the_burst_when_its_window_ends(
    world, django_db_blocker, celery_worker_process, tmp_path, settings, mailoutbox
):
    # given a worker (one process, one thread) that sends e-mails into a folder
    mail_dir = tmp_path / "mail"
    celery_worker_process(
        queues="default",
        concurrency=1,
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        },
    )
    settings.NOTICE_BURST_WINDOW = timedelta(seconds=2)
    approver, clinic = world.users["a_approver"], world.clinics["a"]
    refs = ["reply:81", "reply:82", "statement:83"]
    with django_db_blocker.unblock():
        try:
            # when three things come to wait for the approver at once (committed, each queued
            # after commit as a request's would be)
            with schema_context(clinic.schema_name):
                told = [_tell(approver, clinic, ref) for ref in refs]
            assert [t[approver.pk][-1] for t in told] == ["email", "email_held", "email_held"]
            [first] = mailoutbox  # sent by this process, at once

            # then the worker sends the other two in one e-mail when the window ends
            def sent() -> list:
                files = sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []
                return [
                    email.message_from_string(f.read_text(), policy=email.policy.default)
                    for f in files
                ]

            [mail] = wait_for(sent, timeout=60)
            assert mail["Subject"] == "1 reply and 1 statement wait for your approval — Clinic A"
            body = mail.get_content()
            assert "- [Clinic A] reply:82 waits for your clinic approval\n" in body
            assert "- [Clinic A] statement:83 waits for your clinic approval\n" in body
            assert wait_for(
                lambda: not HeldNotice.objects.filter(ref__in=refs).exists(), timeout=10
            )
        finally:
            Notification.objects.filter(user=approver, clinic=clinic, ref__in=refs).delete()
            _committed_burst_drop(approver, clinic, refs)
