"""Removing the last person of a clinic with the legal role while replies or statements wait
for legal (at the legal step, on their way to it, a privacy block to lift): the confirmation
says so before anything changes, and what happens to them (they stay, stuck, until someone
has the role again); with another legal person, or nothing waiting for legal, it does not."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import ClinicMembership
from responses.models import ReplyDraft, Statement

PEOPLE = "/clinics/clinic-a/settings/people/"


def _draft(clinic, review, *, author, **kw):
    with schema_context(clinic.schema_name):
        return ReplyDraft.objects.create(
            review=review, author_label=f"user:{author.pk}", author_name="x", **kw
        )


def test_removing_the_last_legal_person_says_what_waits_for_legal(login, world, rows):
    a = world.clinics["a"]
    clinic_rows = rows(a)
    writer = world.users["alpha_writer"]
    _draft(a, clinic_rows.review(), author=writer, status="pending_legal", route=["legal"])
    _draft(a, clinic_rows.review(), author=writer, status="pending_agency",
           route=["agency", "legal", "client"])  # fmt: skip
    # a privacy block legal was asked to lift
    _draft(a, clinic_rows.review(), author=writer, status="draft", version=1,
           legal_asked_version=1, guard_verdict="block")  # fmt: skip
    # not for legal: waits for the clinic, and a draft nobody asked legal about
    _draft(a, clinic_rows.review(), author=writer, status="pending_client", route=["client"])
    _draft(a, clinic_rows.review(), author=writer, status="draft", version=1,
           guard_verdict="block")  # fmt: skip
    with schema_context(a.schema_name):
        Statement.objects.create(title="Phones", status="pending_legal", route=["legal"],
                                 author_label=f"user:{writer.pk}")  # fmt: skip
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_legal"])
    client = login("alpha_owner")

    html = client.post(PEOPLE, {"action": "remove", "membership": membership.pk}).content.decode()

    assert (
        "A Legal is the last person of Clinic A with the legal role: 3 replies, 0 reply batches "
        "and 1 statement wait for legal review"
    ) in html
    assert "They stay where they are, stuck" in html
    assert 'data-left="waiting_legal"' in html
    assert ClinicMembership.objects.filter(pk=membership.pk).exists()  # nothing changed yet

    # another legal person of the clinic: nothing is stranded
    ClinicMembership.objects.filter(clinic=a, user=world.users["a_viewer"]).update(
        crisis_roles=["legal"]
    )
    html = client.post(PEOPLE, {"action": "remove", "membership": membership.pk}).content.decode()
    assert "waiting_legal" not in html


def test_nothing_waiting_for_legal_adds_no_warning(login, world, rows):
    a = world.clinics["a"]
    _draft(a, rows(a).review(), author=world.users["alpha_writer"], status="pending_client",
           route=["client"])  # fmt: skip
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_legal"])

    html = (
        login("alpha_owner")
        .post(PEOPLE, {"action": "remove", "membership": membership.pk})
        .content.decode()
    )

    assert "waiting_legal" not in html
    assert "Legal / compliance" in html  # the crisis team's gap is still said
