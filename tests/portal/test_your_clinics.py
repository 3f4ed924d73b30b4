""" "Your clinics" (the sign-in landing's list): a clinic its agency paused says so, by date,
and shows no work waiting; its own people cannot open it (no link), the agency's staff still
can; the agency's internals (time zone, reply target) are for its staff, and labelled. The
paused page and the other sentences with a clinic's name use one possessive
(`core.text.possessive`): "Harbor Dental & Implants’", never "Implants’s". The header's clinic
switcher offers only what the person may open (staff read a paused clinic marked
"(deactivated)", the word of its banner and Leaving tab: one word for staff everywhere; its
own people read "paused by" their agency, and find it outside "Clinics you can open"),
and the notification histories read a paused clinic's notice as paused, not waiting (the
banner's rule, `clinics.notifications.IN_PAUSED_CLINIC`)."""

from __future__ import annotations

from datetime import UTC, datetime

from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from clinics.models import Clinic, ClinicMembership, Notification
from clinics.notifications import notifications_open_for
from facts.models import Fact
from facts.services import facts_ask_clinic
from tests.facts.helpers import fill_in
from tests.portal.helpers import access_for

PAUSED_AT = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def _paused(world, clinic) -> Clinic:
    """`clinic` renamed to end in "s", with a fact waiting for its approver, then paused. The
    rename and the pause go to a copy: the fixture's object is shared by every test of the
    process and the database's rollback would not undo them on it."""
    Clinic.objects.filter(pk=clinic.pk).update(name="Harbor Dental & Implants")
    clinic = Clinic.objects.get(pk=clinic.pk)
    with schema_context(clinic.schema_name):
        fill_in("licences")
        fact = Fact.objects.get(slug="licences")
        facts_ask_clinic(
            fact_ids=[fact.pk], access=access_for(world.users["alpha_manager"], clinic)
        )
    return clinic_deactivate(
        clinic=clinic, actor=Actor(user=world.users["alpha_owner"]),
        confirm_name="Harbor Dental & Implants", now=PAUSED_AT,
    )  # fmt: skip


def _row(html: str, slug: str) -> str:
    start = html.index(f'data-clinic="{slug}"')
    return html[start : html.index("</tr>", start)]


def test_a_paused_clinic_is_marked_with_no_waiting_work_for_its_people(world, clinic_a, login):
    client = login("a_approver")
    before = client.get("/").content.decode()
    assert "1 fact of your fact sheet" not in before
    row = _row(before, "clinic-a")
    assert 'href="/clinics/clinic-a/"' in row and "Paused" not in row

    _paused(world, clinic_a)
    html = client.get("/").content.decode()

    # not among the clinics they can open: below them, paused, with no link
    table = html[html.index("<table") : html.index("</table>")] if "<table" in html else ""
    assert 'data-clinic="clinic-a"' not in table
    closed = html[html.index('data-testid="clinics-closed"') :]
    item = closed[closed.index('data-clinic="clinic-a"') : closed.index("</li>")]
    assert "<strong>Harbor Dental &amp; Implants</strong>: paused by Alpha" in item
    assert "on 5 Dec 2026; you cannot open it until they reopen it." in item
    assert "href=" not in item
    assert "Your agency has paused your clinic" in html and "You have no clinics" not in html
    # no work waiting for a paused clinic: not the fact it was asked to confirm
    assert "waiting-note" not in html and "fact sheet" not in html
    # the agency as the clinic's people know it; no raw internals for them
    assert "Time zone" not in html and "Reply target" not in html and " min<" not in html


def test_staff_still_open_a_paused_clinic_and_read_its_internals_labelled(world, clinic_a, login):
    Clinic.objects.filter(pk=clinic_a.pk).update(reply_target_minutes=180)
    _paused(world, clinic_a)

    html = login("alpha_owner").get("/").content.decode()

    row = _row(html, "clinic-a")
    assert 'href="/clinics/clinic-a/"' in row and "Deactivated on 5 Dec 2026: read-only" in row
    assert "aused" not in row and 'data-testid="clinics-closed"' not in html
    assert '<td data-label="Reply target">3 h</td>' in row
    assert (
        '<td data-label="Time zone">' in row and '<td data-label="Agency">Alpha Agency</td>' in row
    )


def test_the_paused_portal_says_the_clinics_name_with_one_possessive(world, clinic_a, login):
    _paused(world, clinic_a)

    page = login("a_approver").get("/clinics/clinic-a/portal/")

    assert page.status_code == 403
    html = page.content.decode()
    assert "Harbor Dental &amp; Implants’ reviews are no longer watched here." in html
    assert "Implants’s" not in html


def _switcher(html: str) -> str:
    start = html.index('id="clinic-switch"')
    return html[start : html.index("</select>", start)]


def test_the_switcher_leaves_a_paused_clinic_out_for_its_people(world, clinic_a, clinic_b, login):
    ClinicMembership.objects.create(clinic=clinic_b, user=world.users["a_approver"], role="viewer")
    client = login("a_approver")
    assert 'value="clinic-a"' in _switcher(client.get("/").content.decode())

    _paused(world, clinic_a)

    switcher = _switcher(client.get("/").content.decode())
    assert 'value="clinic-a"' not in switcher and "Harbor Dental" not in switcher
    assert '<option value="clinic-b">Clinic B</option>' in switcher
    assert '<option value="">Open a clinic…</option>' in switcher and " selected" not in switcher


def test_no_switcher_when_the_persons_only_clinic_is_paused(world, clinic_a, login):
    client = login("a_approver")
    assert 'id="clinic-switch"' in client.get("/").content.decode()

    _paused(world, clinic_a)

    html = client.get("/").content.decode()
    assert 'id="clinic-switch"' not in html and 'action="/agency/go/"' not in html


def test_staff_still_find_a_paused_clinic_in_the_switcher_marked_deactivated(
    world, clinic_a, login
):
    _paused(world, clinic_a)

    client = login("alpha_owner")

    switcher = _switcher(client.get("/agency/").content.decode())
    assert (
        '<option value="clinic-a">Harbor Dental &amp; Implants (deactivated)</option>' in switcher
    )
    assert '<option value="clinic-b">Clinic B</option>' in switcher
    page = client.get("/clinics/clinic-a/")
    assert page.status_code == 200
    assert (
        '<option value="clinic-a" selected>Harbor Dental &amp; Implants (deactivated)</option>'
        in _switcher(page.content.decode())
    )


def _told(user, clinic, title) -> Notification:
    return Notification.objects.create(
        user=user, clinic=clinic, kind="approval", ref=f"reply:{title}", title=title,
        url=f"/clinics/{clinic.slug}/replies/", email_pending=True,
    )  # fmt: skip


def _item(html: str, n: Notification) -> str:
    start = html.index(f'id="notification-{n.pk}"')
    return html[start : html.index("</li>", start)]


def test_the_staff_history_reads_a_paused_clinics_notice_as_paused(world, clinic_a, login):
    owner = world.users["alpha_owner"]
    held = _told(owner, clinic_a, "Reply 1 to approve")
    elsewhere = _told(owner, world.clinics["b"], "Reply 2 to approve")
    client = login("alpha_owner")
    before = client.get("/account/notifications/history/").content.decode()
    assert "<strong>waits for you</strong>" in _item(before, held)
    assert "2 still wait for you." in before

    _paused(world, clinic_a)
    html = client.get("/account/notifications/history/").content.decode()

    item = _item(html, held)
    assert '<span class="pill" data-testid="paused-clinic">Paused clinic</span>' in item
    assert "on hold until the clinic is reactivated" in item
    assert "waits for you" not in item and "in your next hourly e-mail" not in item
    assert "in your hourly e-mail once it is reactivated" in item
    assert 'class="card waiting"' not in item
    # as on the banner and badge: only the active clinic's notice waits
    assert "1 still waits for you." in html
    assert notifications_open_for(owner) == [elsewhere]
    other = _item(html, elsewhere)
    assert "<strong>waits for you</strong>" in other and "Paused clinic" not in other


def test_the_paused_clinics_portal_history_reads_as_paused_for_staff(world, clinic_a, login):
    held = _told(world.users["alpha_owner"], clinic_a, "Reply 1 to approve")
    _paused(world, clinic_a)

    page = login("alpha_owner").get("/clinics/clinic-a/portal/notifications/")

    assert page.status_code == 200
    html = page.content.decode()
    item = _item(html, held)
    assert '<span class="pill" data-testid="paused-clinic">Paused clinic</span>' in item
    assert "waits for you" not in item and "on hold until the clinic is reactivated" in item
    assert "Nothing waits for you at Harbor Dental &amp; Implants." in html
    assert "still wait" not in html
