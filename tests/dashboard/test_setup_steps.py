"""A clinic's overview tells its managers what the clinic still needs before a crisis day works
(sources, its own contact points, an approver, a legal person, a confirmed fact sheet, the
on-call list), each with a link to where it is done; the list goes once every step is done."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.services import agency_member_add
from clinics.models import OnCall
from clinics.services import clinic_member_add, clinic_update
from dashboard.selectors import clinic_setup_steps

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up


def _steps(clinic) -> dict[str, dict]:
    with schema_context(clinic.schema_name):
        return {s["key"]: s for s in clinic_setup_steps(clinic)}


def test_a_new_clinic_lists_what_it_still_needs_and_ticks_each_step(login, world):
    clinic = world.clinics["b"]  # one approver, no phone or e-mail, no legal person, no on-call
    steps = _steps(clinic)
    assert steps["approver"]["done"] is True and steps["approver"]["detail"] == "1 approver"
    assert steps["legal"]["done"] is False
    assert steps["contact"]["done"] is False and steps["on_call"]["done"] is False
    assert steps["legal"]["url"] == "/clinics/clinic-b/settings/people/"
    page = login("alpha_manager").get("/clinics/clinic-b/").content.decode()
    assert "Setting up Clinic B" in page
    assert '<a href="/clinics/clinic-b/settings/alerts/">Who is alerted first (on-call)</a>' in page
    # each step ticks when it is done
    clinic_member_add(clinic=clinic, email="legal@clinic-b.test", full_name="B Legal",
                      role="viewer", crisis_roles=["legal"], password="a-long-passphrase")  # fmt: skip
    clinic_update(clinic=clinic, actor=SETUP, phone="+1 555 0199", email="hello@clinic-b.test")
    OnCall.objects.create(clinic=clinic, user=world.users["alpha_manager"], position=0)
    steps = _steps(clinic)
    assert all(steps[k]["done"] for k in ("approver", "legal", "contact", "on_call"))
    assert steps["on_call"]["detail"] == "1 on the list"


def test_only_people_who_manage_see_the_steps(login, world):
    html = login("alpha_writer").get("/clinics/clinic-b/").content.decode()
    assert "Setting up Clinic B" not in html


def test_an_unanswered_invitation_does_not_make_a_step_done(db, world):
    # clinic B starts with no legal person and no on-call list
    clinic = world.clinics["b"]
    lee = clinic_member_add(clinic=clinic, email="lee.legal@clinic-b.test", full_name="Lee Legal",
                            role="viewer", crisis_roles=["legal"]).user  # fmt: skip
    nina = agency_member_add(agency=world.agencies["alpha"], email="nina@alpha.test",
                             full_name="Nina Novak", role="manager").user  # fmt: skip
    OnCall.objects.create(clinic=clinic, user=nina, position=0)
    assert not lee.has_usable_password()  # invited: no password chosen yet

    steps = _steps(clinic)

    assert steps["legal"]["done"] is False
    assert steps["legal"]["detail"] == (
        "Lee Legal invited, not signed in yet (the invitation is unanswered): done once they "
        "sign in."
    )
    assert steps["on_call"]["done"] is False
    assert steps["on_call"]["detail"].startswith("Nina Novak invited, not signed in yet")
    # once they chose a password (answered the invitation), the steps are done
    for person in (lee, nina):
        person.set_password("a-long-new-passphrase")
        person.save()
    steps = _steps(clinic)
    assert steps["legal"]["done"] is True and steps["legal"]["detail"] == "1 legal person"
    assert steps["on_call"]["done"] is True and steps["on_call"]["detail"] == "1 on the list"
