"""Adding a person who already has an account, with another name typed, keeps the account's
name (never renamed behind its owner's back) and the people page says so, on the clinic's
people page and the agency's staff page; a new person's typed name is saved, silently."""

from __future__ import annotations

from django.core import mail

from accounts.models import User
from clinics.models import ClinicMembership

PEOPLE = "/clinics/clinic-a/settings/people/"
STAFF = "/agency/settings/people/"


def _add(client, email: str, full_name: str):
    return client.post(
        PEOPLE,
        {"action": "save", "email": email, "full_name": full_name, "role": "viewer"},
        follow=True,
    )


def test_an_existing_account_keeps_its_name_and_the_page_says_so(login, world, clinic_a):
    # given B Approver (of clinic B) added to clinic A with another name typed
    mail.outbox.clear()
    page = _add(login("alpha_owner"), "B_Approver@clinics.test", "Rita Legal")

    # then they are added, under the name their account has, and the page says why
    html = page.content.decode()
    assert page.status_code == 200
    assert "b_approver@clinics.test added; an e-mail tells them." in html
    assert (
        "b_approver@clinics.test already has an account as B Approver; their name is "
        "unchanged (“Rita Legal” was not saved)."
    ) in html
    assert User.objects.get(pk=world.users["b_approver"].pk).full_name == "B Approver"
    assert ClinicMembership.objects.filter(
        clinic=clinic_a, user=world.users["b_approver"], role="viewer"
    ).exists()


def test_a_new_person_gets_the_typed_name_without_a_word_about_it(login, world):
    page = _add(login("alpha_owner"), "rita@clinic-a.test", "  Rita Legal ")
    assert "already has an account" not in page.content.decode()
    assert User.objects.get(email="rita@clinic-a.test").full_name == "Rita Legal"


def test_the_same_name_typed_again_says_nothing_more(login, world):
    page = _add(login("alpha_owner"), "b_approver@clinics.test", "B Approver")
    assert "already has an account" not in page.content.decode()


def test_the_agency_staff_page_says_the_same(login, world):
    # given someone with an account elsewhere (their own object: never the world's)
    User.objects.create_user("rita@elsewhere.test", None, full_name="Rita Q. Legal")
    page = login("alpha_owner").post(
        STAFF,
        {"action": "add", "email": "rita@elsewhere.test", "full_name": "Rita Legal",
         "role": "writer"},
        follow=True,
    )  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "rita@elsewhere.test already has an account as Rita Q. Legal; their name is unchanged "
        "(“Rita Legal” was not saved)."
    ) in html
    assert User.objects.get(email="rita@elsewhere.test").full_name == "Rita Q. Legal"
