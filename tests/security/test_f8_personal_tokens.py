"""Finding 8: personal tokens could not be listed or revoked, survived a password reset, and a
staff member removed from the agency kept clinic access through hers. Tokens now have a name,
created / last used / expiry; GET /api/v1/auth/tokens/ lists one's own (never secrets),
DELETE /api/v1/auth/tokens/<id>/ revokes; all of a person's tokens die on a password reset,
when they leave the agency, lose their last clinic, or are deactivated."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import PersonalToken, User
from accounts.services import user_deactivate, user_token_issue
from agency.models import AgencyMembership
from agency.services import agency_member_remove
from clinics.models import ClinicMembership
from clinics.services import clinic_member_add, clinic_member_remove

ME = "/clinics/clinic-a/api/v1/me/"


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_list_shows_only_my_working_tokens_without_secrets(world, db):
    mine, secret = user_token_issue(user=world.users["a_approver"], name="laptop")
    old, _ = user_token_issue(user=world.users["a_approver"], name="old")
    PersonalToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(1))
    user_token_issue(user=world.users["a_viewer"], name="someone else's")
    client = _bearer(secret.secret)
    client.get(ME)  # marks it used
    body = client.get("/api/v1/auth/tokens/").json()
    assert [t["name"] for t in body["results"]] == ["laptop"]
    row = body["results"][0]
    assert set(row) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert row["last_used_at"] is not None and secret.secret not in str(body)


def test_revoke_my_token_and_not_someone_elses(world, db):
    mine, secret = user_token_issue(user=world.users["a_approver"], name="ci")
    theirs, _ = user_token_issue(user=world.users["a_viewer"], name="theirs")
    client = _bearer(secret.secret)
    assert client.delete(f"/api/v1/auth/tokens/{theirs.pk}/").status_code == 404
    assert PersonalToken.objects.get(pk=theirs.pk).revoked_at is None
    assert client.delete(f"/api/v1/auth/tokens/{mine.pk}/").status_code == 204
    assert client.get(ME).status_code == 401


def test_session_lists_too_and_api_keys_cannot(world, login, api, db):
    user_token_issue(user=world.users["alpha_owner"], name="mine")
    assert [
        t["name"] for t in login("alpha_owner").get("/api/v1/auth/tokens/").json()["results"]
    ] == ["mine"]
    assert api("key_alpha").get("/api/v1/auth/tokens/").status_code == 403
    assert Client().get("/api/v1/auth/tokens/").status_code == 401


def test_every_token_expires(world, db):
    token, _ = user_token_issue(user=world.users["a_viewer"], name="t")
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    legacy, issued = user_token_issue(user=world.users["a_viewer"], name="legacy")
    PersonalToken.objects.filter(pk=legacy.pk).update(expires_at=None)
    assert _bearer(issued.secret).get(ME).status_code == 401


def test_a_password_reset_revokes_all_tokens(world, db):
    user = User.objects.get(pk=world.users["a_viewer"].pk)
    _, issued = user_token_issue(user=user, name="t")
    assert _bearer(issued.secret).get(ME).status_code == 200
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    client = Client()
    page = client.get(
        f"/password-reset/{uid}/{default_token_generator.make_token(user)}/", follow=True
    )
    new = "a new long passphrase 42"
    done = client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert _bearer(issued.secret).get(ME).status_code == 401


def test_staff_removed_from_the_agency_lose_their_tokens(world, db):
    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    _, issued = user_token_issue(user=world.users["alpha_writer"], name="t")
    assert _bearer(issued.secret).get(ME).status_code == 200
    agency_member_remove(membership=membership, acting_role="owner")
    assert _bearer(issued.secret).get(ME).status_code == 401


def test_losing_the_last_clinic_revokes_but_losing_one_of_two_does_not(world, clinic_b, db):
    user = world.users["a_viewer"]
    second = clinic_member_add(
        clinic=clinic_b, email=user.email, full_name=user.full_name, role="viewer"
    )
    _, issued = user_token_issue(user=user, name="t")
    clinic_member_remove(membership=second)
    assert _bearer(issued.secret).get(ME).status_code == 200
    clinic_member_remove(membership=ClinicMembership.objects.get(user=user))
    assert PersonalToken.objects.get(prefix=issued.prefix).revoked_at is not None


def test_deactivation_revokes_tokens(world, db):
    user = User.objects.get(pk=world.users["a_viewer"].pk)  # not the world's shared object
    token, _ = user_token_issue(user=user, name="t")
    user_deactivate(user=user)
    assert PersonalToken.objects.get(pk=token.pk).revoked_at is not None


def test_bad_token_ids_are_404_not_500(world, db):
    _, issued = user_token_issue(user=world.users["a_viewer"], name="t")
    client = _bearer(issued.secret)
    assert client.delete("/api/v1/auth/tokens/999999999/").status_code == 404
    assert client.delete("/api/v1/auth/tokens/abc/").status_code == 404
