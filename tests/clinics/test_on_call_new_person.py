"""Someone invited minutes ago who never signed in may be put on call; the alerts page says
plainly how alerts reach them until they sign in (by e-mail only: the banner and badge wait
for a sign-in)."""

from __future__ import annotations

from django.utils import timezone

from agency.services import agency_member_add
from clinics.models import OnCall

CLINIC_ALERTS = "/clinics/clinic-a/settings/alerts/"
NOTE = (
    "Nina Novak has not signed in yet (their invitation is still open): until then, incident "
    "alerts reach them by e-mail only, where the acknowledge link works without signing in; "
    "the banner and badge on these pages wait until they sign in."
)


def test_a_person_who_never_signed_in_is_accepted_on_call_and_the_page_says_so(
    login, world, clinic_a
):
    # given: a writer invited a minute ago, who has not chosen a password yet
    nina = agency_member_add(
        agency=world.agencies["alpha"], email="nina@alpha.test", full_name="Nina Novak",
        role="writer",
    ).user  # fmt: skip
    client = login("alpha_owner")

    # when
    response = client.post(CLINIC_ALERTS, {"action": "on_call", "on_call": [nina.pk]})

    # then: accepted, and the page says what alerts do for her until she signs in
    assert response.status_code == 302
    assert list(OnCall.objects.filter(clinic=clinic_a).values_list("user_id", flat=True)) == [
        nina.pk
    ]
    html = client.get(CLINIC_ALERTS).content.decode()
    assert NOTE in html

    # once she has signed in, the note goes
    nina.set_password("a long passphrase 42")
    nina.last_login = timezone.now()
    nina.save(update_fields=["password", "last_login"])
    assert "has not signed in yet" not in client.get(CLINIC_ALERTS).content.decode()
