"""A replacement approver inherits what already waits (walk 14 F21), and the owners and
managers learn what the clinic's only approver strands when she leaves (walk 14 F12): a person
added with a role that approves is told once, by one e-mail and a "Waiting for you" line per
text (and one for the facts), under the texts' own notices, so acting closes them; the
owners' and managers' "stuck" lines close once the clinic has an approver again; a viewer is
told nothing."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import ClinicMembership, Notification
from clinics.services import clinic_member_remove, clinic_member_save
from facts.models import ClinicReview, Fact, FactStatus
from responses.services.replies import reply_reject
from tests.responses.conftest import reply_waiting_in

VISIT = "Thank you, Jane, for your visit on Monday."


def _facts_asked(clinic, n):
    with schema_context(clinic.schema_name):
        for i in range(n):
            Fact.objects.create(
                slug=f"asked-{i}", title=f"Asked {i}", statement="We open at 8.",
                status=FactStatus.DRAFT, clinic_review=ClinicReview.WAITING,
                clinic_asked_at=timezone.now(), clinic_asked_by="Alpha Manager",
            )  # fmt: skip


def _add(clinic, role, email="rae@clinics.test"):
    return clinic_member_save(
        clinic=clinic, by="Alpha Owner", email=email, full_name="Rae Replacement", role=role
    )


def _open(user, clinic):
    return sorted(
        Notification.objects.filter(user=user, clinic=clinic, open=True).values_list("kind", "ref")
    )


def test_a_replacement_approver_is_told_once_what_already_waits(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: two replies wait at Clinic A's approval step and two facts for its confirmation
    a, writer = world.clinics["a"], world.users["alpha_writer"]
    r = rows(a)
    first, second = (
        reply_waiting_in(a, r.review(), writer, text=VISIT),
        reply_waiting_in(a, r.review(), writer, text=VISIT),
    )
    _facts_asked(a, 2)
    # when: Rae is added as an approver
    with django_capture_on_commit_callbacks(execute=True):
        rae = _add(a, "approver").membership.user
    # then: a line per reply, under the reply's own notice, and the clinic's facts line
    assert _open(rae, a) == [
        ("approval", f"reply:{first.pk}"),
        ("approval", f"reply:{second.pk}"),
        ("facts", "facts:confirm"),
    ]
    line = Notification.objects.get(user=rae, ref=f"reply:{first.pk}")
    assert line.title.endswith("review waits for your clinic approval")
    assert line.url == (
        f"/clinics/clinic-a/portal/approvals/?card=reply-{first.pk}#card-reply-{first.pk}"
    )
    told = [m for m in mailoutbox if m.to == ["rae@clinics.test"] and "wait" in m.subject]
    assert [m.subject for m in told] == ["[Clinic A] 3 things already wait for you"]
    body = told[0].body
    assert "3 things already wait for you:" in body
    assert body.count("waits for your clinic approval") == 2
    assert "- 2 facts of your fact sheet wait for your confirmation" in body
    assert "/clinics/clinic-a/portal/approvals/" in body  # the links, branded
    assert f"#card-reply-{first.pk}" in body and f"#card-reply-{second.pk}" in body
    assert "/clinics/clinic-a/portal/facts/" in body
    assert "Jane" not in body and "Monday" not in body  # never the words of a text
    # once: saving her again unchanged tells nothing more
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _add(a, "approver")
    assert [m for m in mailoutbox if "wait" in m.subject] == []
    assert Notification.objects.filter(user=rae).count() == 3
    # acting on a reply (whoever acts) closes her line of it; the other stays
    with schema_context(a.schema_name):
        reply_reject(
            draft_id=first.pk, access=clinic_access(Actor(user=rae), a), comment="Too long for us."
        )
    assert _open(rae, a) == [("approval", f"reply:{second.pk}"), ("facts", "facts:confirm")]


def test_a_viewer_added_is_told_nothing_of_what_waits(
    db, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    a = world.clinics["a"]
    reply_waiting_in(a, rows(a).review(), world.users["alpha_writer"], text=VISIT)
    _facts_asked(a, 1)
    with django_capture_on_commit_callbacks(execute=True):
        viewer = _add(a, "viewer").membership.user
    assert not Notification.objects.filter(user=viewer).exists()
    assert [m.subject for m in mailoutbox if "wait" in m.subject] == []
    # made an approver later: now told
    with django_capture_on_commit_callbacks(execute=True):
        _add(a, "approver")
    assert [k for k, _ in _open(viewer, a)] == ["approval", "facts"]
    assert [m.subject for m in mailoutbox if "wait" in m.subject] == [
        "[Clinic A] 2 things already wait for you"
    ]


def test_the_only_approvers_removal_leaves_the_managers_a_line_until_an_approver_comes(
    db, world, rows, django_capture_on_commit_callbacks
):
    # given: a reply waits at Clinic A's step, which only A Approver gives
    a = world.clinics["a"]
    owner, manager = world.users["alpha_owner"], world.users["alpha_manager"]
    draft = reply_waiting_in(a, rows(a).review(), world.users["alpha_writer"], text=VISIT)
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    # when she is removed
    with django_capture_on_commit_callbacks(execute=True):
        clinic_member_remove(membership=membership, by=owner)
    # then: the owner and the manager each find it in "Waiting for you"
    stuck = f"reply:{draft.pk}:stuck"
    for user in (owner, manager):
        assert ("stuck", stuck) in _open(user, a)
    line = Notification.objects.get(user=owner, ref=stuck)
    assert line.title.endswith(
        "is stuck: nobody can give the clinic approval since A Approver left"
    )
    assert line.url == "/clinics/clinic-a/settings/people/"
    # when an approver comes: the lines close, and she is told instead
    with django_capture_on_commit_callbacks(execute=True):
        rae = _add(a, "approver").membership.user
    assert not Notification.objects.filter(ref=stuck, open=True).exists()
    assert _open(rae, a) == [("approval", f"reply:{draft.pk}")]
