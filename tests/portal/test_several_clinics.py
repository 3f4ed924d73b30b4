"""A clinic's legal person who covers several clinics, on a phone (walk 16): the portal's header
switches between their clinics and says what waits in each; each waiting card names its
clinic and its incident (a banner's #card link lands on it); the clinic's people read the
agency's brand, never its internal name; the privacy check's advice is one they can follow;
a notice another legal person handled says who and when."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.models import Agency
from clinics.models import Notification
from clinics.services import clinic_member_add
from crisis.models import Incident, IncidentMention, IncidentStatement
from facts.models import Fact
from facts.services import facts_ask_clinic
from portal.selectors import finding_words_for_clinic
from responses.guard.engine import STAFF_NAMES_PLACE
from responses.models import PrivateConversation, ReplyVersion
from responses.services import replies as reply_services
from tests.facts.helpers import fill_in
from tests.portal.helpers import access_for, reply_waiting_for_clinic, statement_waiting_for_clinic
from tests.responses.conftest import BLOCK_TEXT, review_in

BRAND = "Alpha Care Reviews"
PERSON_ADVICE = (
    f"Names a person who is not on the clinic's staff list ({STAFF_NAMES_PLACE}); it may "
    "identify a patient or a relative."
)
CLINICIAN_ADVICE = (
    "Names a clinician, and the clinic's staff list is empty: check it is one of the clinic's "
    f"own. Add your clinicians to the staff list ({STAFF_NAMES_PLACE}) so the guard can tell "
    "staff from patients."
)


def _url(clinic, path=""):
    return f"/clinics/{clinic.slug}/portal/{path}"


def _header(html: str) -> str:
    return html[html.index("<header>") : html.index("</header>")]


def _card(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</article>", start)]


def _incident(clinic, title: str, *, status: str = "open") -> Incident:
    now = timezone.now()
    return Incident.objects.create(
        kind="watch_word", key=title, title=title, severity="high", status=status,
        opened_at=now, last_detected_at=now,
    )  # fmt: skip


def _notice(user, clinic, ref: str) -> Notification:
    return Notification.objects.create(
        user=user, clinic=clinic, kind="approval", ref=ref, title="A reply waits", url="/"
    )


# --- 1. the clinic switcher ---------------------------------------------------------------


def test_a_person_of_two_clinics_switches_in_the_header_and_reads_what_waits_in_each(
    world, clinic_a, clinic_b, login
):
    # given the clinic's legal person is also one of Clinic B's people, with two things
    # waiting for them in Clinic B and one in Clinic A (follow-ups they own), and a notice
    # about something that waits no more (not counted: the switcher counts what waits)
    legal = world.users["a_legal"]
    clinic_member_add(
        clinic=clinic_b, email=legal.email, full_name=legal.full_name, role="viewer",
        crisis_roles=["legal"],
    )  # fmt: skip
    for clinic in (clinic_b, clinic_b, clinic_a):  # one open follow-up per review
        review = review_in(clinic, "csv", text="Nobody called me back.")
        with schema_context(clinic.schema_name):
            PrivateConversation.objects.create(
                review=review, channel="email", opened_by_label="user:1", owner_id=legal.pk
            )
    _notice(legal, clinic_b, "reply:3")

    # when they open any page of Clinic A's portal
    header = _header(login("a_legal").get(_url(clinic_a, "approvals/")).content.decode())

    # then the header names the clinic and offers the switch, with what waits elsewhere
    assert 'data-testid="clinic-switch"' in header
    assert "Clinic: <strong>Clinic A</strong>" in header
    assert (
        'Switch clinic <span class="badge"><span class="sr-only">(</span>2'
        '<span class="sr-only"> waiting for you in your other clinics)</span></span>'
    ) in header
    links = re.findall(
        r'<li><a href="([^"]+)"[^>]*data-testid="switch-clinic">(.*?)</a></li>', header
    )
    assert links == [
        (
            "/clinics/clinic-a/portal/",
            'Clinic A <span class="muted">(open now)</span> <span class="badge"><span '
            'class="sr-only">(</span>1<span class="sr-only"> waiting for you)</span></span>',
        ),
        (
            "/clinics/clinic-b/portal/",
            'Clinic B <span class="badge"><span class="sr-only">(</span>2<span '
            'class="sr-only"> waiting for you)</span></span>',
        ),
    ]
    assert '<li><a href="/">All your clinics</a></li>' in header


@pytest.mark.parametrize("name", ["a_approver", "alpha_manager"], ids=["one clinic", "staff"])
def test_a_person_of_one_clinic_and_the_agency_staff_see_no_switcher(world, clinic_a, login, name):
    html = login(name).get(_url(clinic_a)).content.decode()

    assert 'data-testid="clinic-switch"' not in html
    assert '<p class="portal-clinic">Clinic A · client portal' in html


def test_a_paused_clinic_is_not_offered(world, clinic_a, clinic_b, login):
    # given the legal person's second clinic is paused by its agency
    legal = world.users["a_legal"]
    clinic_member_add(clinic=clinic_b, email=legal.email, full_name=legal.full_name, role="viewer")
    type(clinic_b).objects.filter(pk=clinic_b.pk).update(deactivated_at=timezone.now())

    html = login("a_legal").get(_url(clinic_a)).content.decode()

    assert 'data-testid="clinic-switch"' not in html


# --- 2. each waiting card names its clinic and its incident -------------------------------


def test_each_waiting_card_names_its_clinic_and_its_incident(world, clinic_a, login):
    # given a reply to a mention of a running incident, a reply to an ordinary review and a
    # statement drafted from the incident, all waiting for the clinic's approval
    mention = review_in(clinic_a, "yelp", text="Everyone got sick after the visit.")
    plain = review_in(clinic_a, "csv", text="Parking was hard to find.")
    drafts = [
        reply_waiting_for_clinic(
            clinic=clinic_a,
            review=review,
            writer=world.users["alpha_writer"],
            manager=world.users["alpha_manager"],
            text="Thank you for telling us. Please call us at +1 555 0100 so we can help.",
        )  # fmt: skip
        for review in (mention, plain)
    ]
    statement = statement_waiting_for_clinic(
        clinic=clinic_a, writer=world.users["alpha_writer"], manager=world.users["alpha_manager"],
        title="About the rumour of illness", body="There is no outbreak at the clinic.",
    )  # fmt: skip
    with schema_context(clinic_a.schema_name):
        older = _incident(clinic_a, "Parking complaints", status="resolved")
        running = _incident(clinic_a, "Illness rumour")
        for incident in (older, running):
            IncidentMention.objects.create(
                incident=incident, review=mention, added_at=timezone.now()
            )
        IncidentStatement.objects.create(
            incident=running, statement=statement, added_at=timezone.now()
        )
    client = login("a_approver")

    # when the approver opens the replies and the statements
    replies = client.get(_url(clinic_a, "approvals/")).content.decode()
    statements = client.get(_url(clinic_a, "statements/")).content.decode()

    # then inside each card, before its heading, its clinic, and the running incident
    incident_line = (
        '<p class="card-where" data-testid="card-where"><span class="sr-only">Clinic: </span>'
        f'Clinic A · <a href="/clinics/clinic-a/portal/incidents/{running.pk}/">'
        "Incident: Illness rumour</a></p>"
    )
    card = _card(replies, f"card-reply-{drafts[0].pk}")
    assert incident_line in card and card.index(incident_line) < card.index("<h2")
    assert _card(statements, f"card-statement-{statement.pk}").count(incident_line) == 1
    plain_card = _card(replies, f"card-reply-{drafts[1].pk}")
    assert (
        '<p class="card-where" data-testid="card-where"><span class="sr-only">Clinic: </span>'
        "Clinic A</p>"
    ) in plain_card

    # and the card an approval in place swaps in names them too
    done = client.post(
        _url(clinic_a, "act/"),
        {"kind": "reply", "id": drafts[0].pk, "action": "approve",
         "expected_status": "pending_client", "expected_version": drafts[0].version},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert done.status_code == 200
    assert incident_line in _card(done.content.decode(), f"card-reply-{drafts[0].pk}")


def test_a_fact_to_confirm_names_its_clinic(world, clinic_a, login):
    # given a fact of the fact sheet the agency asked the clinic to confirm
    with schema_context(clinic_a.schema_name):
        fill_in("licences")
        fact = Fact.objects.get(slug="licences")
        facts_ask_clinic(
            fact_ids=[fact.pk], access=access_for(world.users["alpha_manager"], clinic_a)
        )

    html = login("a_approver").get(_url(clinic_a, "facts/")).content.decode()

    card = _card(html, f"fact-{fact.pk}")
    where = '<p class="card-where" data-testid="card-where"><span class="sr-only">Clinic: </span>'
    assert f"{where}Clinic A</p>" in card and card.index(where) < card.index("<h2")


# --- 3. the brand, never the agency's internal name ---------------------------------------


@pytest.mark.parametrize("page", ["", "privacy/", "notifications/", "incidents/", "follow-ups/"])
def test_the_portal_names_the_agency_by_its_brand(world, clinic_a, login, page):
    # given the agency has a brand besides its internal name
    Agency.objects.filter(pk=clinic_a.agency_id).update(display_name=BRAND)

    html = login("a_approver").get(_url(clinic_a, page)).content.decode()

    assert "Alpha Agency" not in html
    assert BRAND in html


def test_the_privacy_page_says_whom_people_ask_by_the_brand(world, clinic_a, login):
    Agency.objects.filter(pk=clinic_a.agency_id).update(display_name=BRAND)

    html = login("a_approver").get(_url(clinic_a, "privacy/")).content.decode()

    assert f"When someone asks {BRAND} to remove what they wrote about Clinic A" in html


# --- 4. the privacy check's advice, for the clinic's reader -------------------------------


@pytest.mark.parametrize(
    "message, words",
    [
        (
            PERSON_ADVICE,
            "Names a person who is not on the clinic's staff list; it may identify a patient or "
            f"a relative. {BRAND} keeps the clinic's staff list: if this is one of your staff, "
            f"tell {BRAND} and they add the name.",
        ),
        (
            CLINICIAN_ADVICE,
            "Names a clinician, and the clinic's staff list is empty: check it is one of the "
            f"clinic's own. {BRAND} keeps the clinic's staff list: if this is one of your "
            f"staff, tell {BRAND} and they add the name.",
        ),
        ("Gives a date of a visit.", "Gives a date of a visit."),
    ],
    ids=["person", "clinician without a staff list", "no agency page"],
)
def test_a_findings_advice_in_the_portal_names_what_the_clinic_can_do(message, words):
    assert finding_words_for_clinic(message, brand=BRAND) == words


def test_legal_reads_advice_they_can_follow_and_the_stored_finding_keeps_its_words(
    world, clinic_a, login
):
    # given a reply blocked by the privacy check for naming someone not on the staff list
    Agency.objects.filter(pk=clinic_a.agency_id).update(display_name=BRAND)
    draft = _blocked_draft(clinic_a, world)
    with schema_context(clinic_a.schema_name):
        finding = {
            "start": 0, "end": 5, "text": "Dr. Q", "kind": "identifier", "subtype": "person",
            "severity": "block", "message": PERSON_ADVICE, "suggestion": "",
        }  # fmt: skip
        ReplyVersion.objects.filter(draft=draft, number=draft.version).update(
            guard_findings=[finding]
        )

    # when legal reads it in the portal
    html = login("a_legal").get(_url(clinic_a, "review/")).content.decode()

    # then the advice says the agency keeps the list, and names no agency page
    card = _card(html, f"card-reply-{draft.pk}")
    assert "Settings →" not in card and "Reply templates" not in card
    assert f"{BRAND} keeps the clinic&#x27;s staff list" in card
    with schema_context(clinic_a.schema_name):
        stored = ReplyVersion.objects.get(draft=draft, number=draft.version).guard_findings
    assert stored[0]["message"] == PERSON_ADVICE


# --- 5. a done notice says who handled it -------------------------------------------------


def _blocked_draft(clinic, world):
    review = review_in(clinic, "csv", text="They lost my chart.")
    with schema_context(clinic.schema_name):
        w = access_for(world.users["alpha_writer"], clinic)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=w, text=BLOCK_TEXT)
        return reply_services.reply_submit(draft_id=draft.pk, access=w)


@pytest.mark.parametrize(
    "second_name, shown",
    [
        ("B Counsel", "Handled by A Legal · "),
        ("A Legal", "Handled by A Legal (a_legal@clinics.test) · "),
    ],
    ids=["names differ", "names collide"],
)
def test_the_other_legal_person_reads_who_handled_the_block(
    world, clinic_a, login, client, second_name, shown
):
    # given two legal people at the clinic, and a blocked reply waiting for them both
    second = clinic_member_add(
        clinic=clinic_a, email="counsel@clinics.test", full_name=second_name, role="viewer",
        crisis_roles=["legal"],
    ).user  # fmt: skip
    draft = _blocked_draft(clinic_a, world)
    notice = Notification.objects.get(user=second, clinic=clinic_a, ref=f"reply:{draft.pk}")
    assert notice.open

    # when the first one sends it back to its writer, keeping the block
    sent = login("a_legal").post(
        _url(clinic_a, "override/"),
        {"kind": "reply", "id": draft.pk, "action": "send_back",
         "comment": "Leave the chart out.", "expected_version": draft.version},
    )  # fmt: skip
    assert sent.status_code == 302

    # then the second one's history says who handled it and when, in place of a bare "done"
    client.force_login(second)
    html = client.get(_url(clinic_a, "notifications/")).content.decode()
    row = html[html.index(f'id="notification-{notice.pk}"') :]
    row = row[: row.index("</li>")]
    assert f'done · <span data-testid="handled-by">{shown}<time datetime=' in row
    at = timezone.localtime(timezone.now())
    assert abs(Notification.objects.get(pk=notice.pk).updated_at - at) < timedelta(minutes=1)
    # and the one who handled it reads "you" in their own
    mine = login("a_legal").get(_url(clinic_a, "notifications/")).content.decode()
    assert 'data-testid="handled-by">Handled by you · ' in mine
