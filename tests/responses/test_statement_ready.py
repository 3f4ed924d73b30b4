"""An approved statement waits for the agency to publish it (walk-through 6, #14): its
writer, the agency's owners and managers and the clinic's on-call people are told "publish and
pin it", until it is published, changed or discarded; and saving a change to an approved
statement says, before and after, that its approvals are lost."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.alerting import on_call_set
from clinics.models import Notification
from tests.responses.conftest import source_of

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up

BASE = "/clinics/clinic-a"
BODY = "Our clinic is open as usual. Every needle is used once. Questions: +1 555 0100."
TITLE = "About the needles rumour"


def _approved_statement(clinic, as_user, django_capture_on_commit_callbacks) -> int:
    writer = as_user("alpha_writer", clinic)
    sid = writer.post("statements/", {"title": TITLE, "body": BODY}).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic).post(f"statements/{sid}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        approved = as_user("a_approver", clinic).post(f"statements/{sid}/approve/").json()
    assert approved["status"] == "approved"
    return sid


def _open(sid: int) -> set[str]:
    rows = Notification.objects.filter(ref=f"statement:{sid}:publish", open=True)
    return {n.user.email for n in rows.select_related("user")}


def test_the_clinics_approval_tells_the_agency_to_publish_and_pin_until_it_is_published(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks, login
):
    # given the writer on the clinic's on-call list too (told once, not twice)
    on_call_set(clinic=clinic_a, entries=[str(world.users["alpha_writer"].pk)], actor=SETUP)
    mailoutbox.clear()

    # when the clinic's approver gives the last approval
    sid = _approved_statement(clinic_a, as_user, django_capture_on_commit_callbacks)

    # then its writer, the agency's owner and manager are told it waits to be published (the
    # clinic's approver who just approved, and people who cannot publish, are not)
    assert _open(sid) == {"writer@alpha.test", "owner@alpha.test", "manager@alpha.test"}
    note = Notification.objects.filter(ref=f"statement:{sid}:publish").first()
    assert note.kind == "publish"
    assert note.title == f"The statement “{TITLE}” is approved: publish and pin it"
    assert note.url == f"{BASE}/statements/{sid}/"
    mails = [m for m in mailoutbox if "publish and pin it" in m.subject]
    assert sorted(m.to[0] for m in mails) == [
        "manager@alpha.test", "owner@alpha.test", "writer@alpha.test",
    ]  # fmt: skip
    assert "A Approver gave the last approval." in mails[0].body
    # and the writer's "Waiting for you" shows it
    page = login("alpha_writer").get(f"{BASE}/statements/").content.decode()
    assert "Waiting for you" in page and note.title in page

    # when it is published, the notice is done for everyone
    assert as_user("alpha_writer", clinic_a).post(f"statements/{sid}/publish/").status_code == 200
    assert _open(sid) == set()


def test_changing_an_approved_statement_warns_first_says_what_was_lost_and_closes_the_notice(
    clinic_a, as_user, login, django_capture_on_commit_callbacks
):
    sid = _approved_statement(clinic_a, as_user, django_capture_on_commit_callbacks)
    assert _open(sid)
    manager = login("alpha_manager")
    url = f"{BASE}/statements/{sid}/"

    # before saving: beside the Save button, that both approvals would be lost
    page = manager.get(url).content.decode()
    warning = (
        "This version is approved. Saving a change makes a new draft version and sends it back "
        "through every approval: the agency approval of Alpha Manager and the clinic approval "
        "of A Approver are lost."
    )
    assert f'data-testid="save-warning">{warning}</p>' in page
    assert page.index('data-testid="save-warning"') < page.index('value="save"')
    assert 'aria-describedby="save-warning">Save as a new version' in page

    # when a word is changed and saved
    answer = manager.post(
        url,
        {"action": "save", "title": TITLE, "body": BODY.replace("usual", "always"),
         "expected_version": 1},
        follow=True,
    ).content.decode()  # fmt: skip

    # then the flash says it happened, and nothing waits to be published any more
    assert (
        "Saved as version 2; the guard checked it. Version 1 was approved: the agency approval "
        "of Alpha Manager and the clinic approval of A Approver are lost, and the new version "
        "is a draft that goes through every approval again once submitted." in answer
    )
    assert "Version 2 — draft" in answer
    assert 'data-testid="save-warning"' not in answer  # a draft loses nothing
    assert _open(sid) == set()


def test_saving_the_same_text_changes_nothing_and_says_so(
    clinic_a, as_user, login, django_capture_on_commit_callbacks
):
    sid = _approved_statement(clinic_a, as_user, django_capture_on_commit_callbacks)
    answer = (
        login("alpha_manager")
        .post(
            f"{BASE}/statements/{sid}/",
            {"action": "save", "title": TITLE, "body": BODY, "expected_version": 1},
            follow=True,
        )
        .content.decode()
    )
    assert "Nothing changed: the text is the same as version 1." in answer
    assert "Version 1 — approved" in answer
    assert _open(sid)


def _card_at_the_clinic(clinic, as_user, login) -> tuple[int, str]:
    """A Facebook page (it can pin) that is not connected, and a statement the agency approved:
    its id, and its card in the clinic approver's portal."""
    with schema_context(clinic.schema_name):
        source_of("facebook")
    writer = as_user("alpha_writer", clinic)
    sid = writer.post("statements/", {"title": TITLE, "body": BODY}).json()["id"]
    writer.post(f"statements/{sid}/submit/")
    as_user("alpha_manager", clinic).post(f"statements/{sid}/approve/")
    page = login("a_approver").get(f"{BASE}/portal/statements/").content.decode()
    return sid, page.split(f'id="card-statement-{sid}"', 1)[1].split("</article>", 1)[0]


def test_the_clinic_is_told_in_its_words_where_a_statement_goes_before_approving_it(
    clinic_a, as_user, login
):
    # given a Facebook page (it can pin) that is not connected, and a statement at the clinic
    _, card = _card_at_the_clinic(clinic_a, as_user, login)
    # a statement is pinned, not "the reply … posted"
    assert (
        "Your agency has not connected it yet. Once you approve, the statement waits until they "
        "do and is then pinned there by itself" in card
    )
    assert "the reply" not in card


def test_a_page_nobody_could_connect_is_said_to_take_the_statement_by_hand(
    clinic_a, as_user, login, settings
):
    """Walk 14: on the demo's unconnected page (connecting Facebook not set up on the server),
    the approver read that the statement "waits until they do and is then pinned there by
    itself", the editor warned "the page id is missing", and the outbox then said "to post by
    hand". The plan says what the outbox will: the agency posts and pins it by hand."""
    settings.FACEBOOK_APP_ID = settings.FACEBOOK_APP_SECRET = ""  # connecting not set up here
    sid, card = _card_at_the_clinic(clinic_a, as_user, login)
    assert "posted by hand" in card
    assert "your agency posts the statement (and pins it) there by hand once you approve" in card
    assert "waits until they do" not in card
    # approved, the editor's plan before publishing says the same, not a connector's reason
    assert as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/").status_code == 200
    editor = login("alpha_manager").get(f"{BASE}/statements/{sid}/").content.decode()
    assert "page id is missing" not in editor
    assert "Carewatch cannot post on Facebook here" in editor
