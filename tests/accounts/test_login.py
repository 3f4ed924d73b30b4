from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import PersonalToken, User
from tests.fixtures.tenants import PASSWORD


def test_login_with_email_is_case_insensitive_and_lands_in_the_clinics_portal(world, db):
    client = Client()
    response = client.post("/login/", {"username": "A_APPROVER@clinics.test", "password": PASSWORD})
    # a person of one clinic lands in its portal; the clinic list shows only their clinic
    assert response.status_code == 302 and response["Location"] == "/start/"
    landing = client.get("/start/")
    assert landing.status_code == 302 and landing["Location"] == "/clinics/clinic-a/portal/"
    assert client.get("/clinics/clinic-a/portal/").status_code == 200
    home = client.get("/").content.decode()
    assert "Clinic A" in home and "Clinic B" not in home


def test_wrong_password_shows_an_error_and_five_failures_lock_the_account(world, db):
    client = Client()
    for _ in range(5):
        response = client.post(
            "/login/", {"username": "a_viewer@clinics.test", "password": "wrong"}
        )
        assert response.status_code == 400
        assert "E-mail or password is wrong" in response.content.decode()
    user = User.objects.get(email="a_viewer@clinics.test")
    assert user.locked_until is not None and user.locked_until > timezone.now() + timedelta(
        minutes=14
    )
    # even the right password is refused while locked
    response = client.post("/login/", {"username": "a_viewer@clinics.test", "password": PASSWORD})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_failure_count(world, db):
    client = Client()
    client.post("/login/", {"username": "a_legal@clinics.test", "password": "wrong"})
    assert User.objects.get(email="a_legal@clinics.test").failed_login_count == 1
    client.post("/login/", {"username": "a_legal@clinics.test", "password": PASSWORD})
    assert User.objects.get(email="a_legal@clinics.test").failed_login_count == 0


def test_token_api_issues_a_hashed_personal_token_that_acts_as_the_user(world, db):
    response = Client().post(
        "/api/v1/auth/token/",
        {"email": "a_approver@clinics.test", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert secret.startswith("cwt_")
    stored = PersonalToken.objects.get(user__email="a_approver@clinics.test")
    assert secret not in (stored.digest, stored.prefix)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/clinics/clinic-a/api/v1/me/").json()["clinic_role"] == "approver"
    assert client.get("/clinics/clinic-b/api/v1/me/").status_code == 404


def test_token_api_refuses_wrong_password_and_bad_input(world, db):
    before = PersonalToken.objects.count()
    wrong = Client().post(
        "/api/v1/auth/token/",
        {"email": "a_approver@clinics.test", "password": "nope"},
        content_type="application/json",
    )
    assert wrong.status_code == 401
    bad = Client().post(
        "/api/v1/auth/token/", {"email": "not-an-email"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"email", "password"}
    assert PersonalToken.objects.count() == before


def test_expired_token_is_refused(world, db):
    from accounts.credentials import token_create

    token, issued = token_create(user=world.users["a_viewer"], name="old", ttl=timedelta(days=1))
    PersonalToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get(
        "/clinics/clinic-a/api/v1/me/"
    )
    assert response.status_code == 401


def test_garbage_credentials_are_401_not_500(world, db):
    for header in [
        "Bearer x",
        "Bearer cwk_",
        "Bearer cwk_abc_def",
        "Bearer cwt_zzzzzzzzzzzz_" + "a" * 43,
    ]:
        response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/clinics/")
        assert response.status_code == 401, header


@pytest.mark.parametrize(
    "username, password, messages",
    [
        ("writer@alpha.test", "", {"password": "Enter your password."}),
        ("", "", {"username": "Enter your e-mail address.", "password": "Enter your password."}),
        ("not-an-email", "x", {"username": "Enter an e-mail address, such as name@clinic.com."}),
    ],
    ids=["no-password", "nothing", "malformed-email"],
)
def test_an_incomplete_sign_in_form_says_what_is_missing(username, password, messages, db):
    response = Client().post("/login/", {"username": username, "password": password})
    html = response.content.decode()
    assert response.status_code == 400
    for field, message in messages.items():
        assert f'<p class="error" id="{field}-error" role="alert">{message}</p>' in html
        assert f'aria-describedby="{field}-error"' in html


@pytest.mark.parametrize(
    ("name", "otp", "query", "landing"),
    [
        ("a_approver", True, "", "/start/"),  # a clinic person: where signing in takes them
        ("alpha_manager", True, "?next=/agency/", "/agency/"),  # staff past the code: `next`
        ("alpha_manager", True, "?next=https://evil.example/", "/start/"),  # never off-site
        # staff who still owe the code: the code step, then here again (and on)
        ("alpha_manager", False, "", "/account/two-factor/verify/?next=%2Flogin%2F"),
    ],
    ids=["clinic-person", "staff-next", "staff-offsite-next", "staff-half-signed-in"],
)
def test_the_sign_in_page_sends_someone_signed_in_on(login, name, otp, query, landing):
    client = login(name, otp=otp)
    response = client.get(f"/login/{query}")
    assert response.status_code == 302
    assert response["Location"] == landing


def test_someone_signed_in_can_still_sign_in_as_another_person(login, world):
    client = login("a_approver")
    response = client.post("/login/", {"username": "a_viewer@clinics.test", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.users["a_viewer"].pk
