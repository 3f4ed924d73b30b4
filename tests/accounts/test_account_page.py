"""The account page's own controls: change the password (the other sessions end, tokens are
revoked, an e-mail tells the person), sign out everywhere else, and one's personal tokens with
Revoke. Every security change e-mails the person, so one they did not make is noticed."""

from __future__ import annotations

from django.core import mail
from django.utils import timezone

from accounts.models import PersonalToken, SecurityEvent, User
from accounts.services import user_token_issue
from tests.fixtures.tenants import PASSWORD

NEW = "a-much-longer-passphrase-42"


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    login, world, django_capture_on_commit_callbacks
):
    approver = world.users["a_approver"]
    here, elsewhere = login("a_approver", otp=False), login("a_approver", otp=False)
    token, _ = user_token_issue(user=approver, name="script")
    mail.outbox.clear()
    # a wrong current password, or a common new one, is refused on its own field
    wrong = here.post("/account/password/", {"old_password": "nope", "new_password1": NEW,
                                             "new_password2": NEW})  # fmt: skip
    assert wrong.status_code == 400
    assert 'aria-describedby="old_password-error"' in wrong.content.decode()
    common = here.post("/account/password/", {"old_password": PASSWORD,
                                              "new_password1": "password",
                                              "new_password2": "password"})  # fmt: skip
    assert common.status_code == 400
    html = common.content.decode()
    assert 'id="new_password1-error"' in html and "too common" in html
    # the change
    with django_capture_on_commit_callbacks(execute=True):
        done = here.post("/account/password/", {"old_password": PASSWORD, "new_password1": NEW,
                                                "new_password2": NEW}, follow=True)  # fmt: skip
    assert "Password changed." in done.content.decode()
    # (a fresh row: the world's user object is shared by every test)
    assert User.objects.get(pk=approver.pk).check_password(NEW)
    assert _signed_in(here) and not _signed_in(elsewhere)
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None
    [notice] = mail.outbox
    assert (
        notice.to == [approver.email] and notice.subject == "Your Alpha Agency password was changed"
    )
    assert "If this was not you, reset your password now" in notice.body
    assert SecurityEvent.objects.filter(actor_id=approver.pk, event="password.changed").exists()


def test_sign_out_everywhere_else(login, world):
    here, elsewhere = login("alpha_writer"), login("alpha_writer")
    answer = here.post("/account/sessions/end/", follow=True)
    assert "Signed out everywhere else. This browser stays signed in." in answer.content.decode()
    assert _signed_in(here)
    assert elsewhere.get("/account/")["Location"].startswith("/login/")
    assert SecurityEvent.objects.filter(
        actor_id=world.users["alpha_writer"].pk, event="sessions.ended"
    ).exists()


def test_ones_personal_tokens_are_listed_and_revoked_on_the_page(login, world):
    mine, _ = user_token_issue(user=world.users["a_approver"], name="Nightly export")
    theirs, _ = user_token_issue(user=world.users["a_viewer"], name="Someone else's")
    client = login("a_approver", otp=False)
    html = client.get("/account/").content.decode()
    assert "Nightly export" in html and f"<code>{mine.prefix}</code>" in html
    assert "Someone else" not in html
    # another person's token: not found, untouched
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert PersonalToken.objects.get(pk=theirs.pk).revoked_at is None
    answer = client.post(f"/account/tokens/{mine.pk}/revoke/", follow=True)
    assert "Token “Nightly export” revoked: it no longer works." in answer.content.decode()
    assert PersonalToken.objects.get(pk=mine.pk).revoked_at <= timezone.now()
    assert "Nightly export" not in client.get("/account/").content.decode()
