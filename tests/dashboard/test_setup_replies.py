"""The overview's step "Connect the sources for posting replies" can be completed for a
clinic whose channels are posted by hand: it is done when every channel that takes replies
is connected or marked "We post replies on this channel by hand" (the Sources page), and where
connecting a platform is not set up on this server it says so in plain words and offers the
by-hand choice. Sources by their name, platforms by theirs."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from dashboard.selectors import clinic_setup_steps
from feeds.models import Source
from feeds.services import source_replies_by_hand_set, source_update

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up


def _replies_step(clinic) -> dict:
    with schema_context(clinic.schema_name):
        return next(s for s in clinic_setup_steps(clinic) if s["key"] == "replies")


@pytest.fixture
def harbor(clinic_a):
    """Clinic A with a Google source that is not connected and a Yelp source (Yelp takes no
    replies from Carewatch: always by hand)."""
    with schema_context(clinic_a.schema_name):
        Source.objects.all().delete()
        google = Source.objects.create(kind="google", name="Harbor reviews")
        Source.objects.create(kind="yelp", name="Harbor on Yelp")
    return google


def test_where_connecting_is_not_set_up_the_step_says_so_and_is_done_once_posted_by_hand(
    settings, clinic_a, harbor, login
):
    # given a server where connecting Google is not set up
    settings.GOOGLE_OAUTH_CLIENT_ID = ""

    # then the step is not done, and says why in plain words, with the choice to make
    step = _replies_step(clinic_a)
    assert step["done"] is False and step["url"] == "/clinics/clinic-a/sources/"
    assert step["detail"] == (
        "Connecting Google Business Profile is not set up on this server, so Carewatch cannot "
        "post replies on Harbor reviews (Google Business Profile): choose “We post replies on "
        "this channel by hand” on the sources page."
    )
    assert "missing" not in step["detail"] and "google Business" not in step["detail"]
    # and the Sources page says the same on the source's row, with the choice
    page = login("alpha_manager").get("/clinics/clinic-a/sources/").content.decode()
    assert (
        f'data-testid="cannot-connect-{harbor.pk}">Connecting Google Business Profile is not set '
        "up on this server: replies here are posted by hand.</span>"
    ) in page
    assert 'aria-label="We post replies on Harbor reviews by hand"> We post replies' in page

    # when the agency chooses to post its replies by hand (the Sources page)
    answer = login("alpha_manager").post(
        "/clinics/clinic-a/sources/",
        {"action": "replies_by_hand", "source": harbor.pk, "by_hand": "on"},
    )
    assert answer.status_code == 302

    # then the step is done
    step = _replies_step(clinic_a)
    assert step["done"] is True
    assert step["detail"] == (
        "Replies on Harbor on Yelp and Harbor reviews (Google Business Profile) are posted by hand."
    )


def test_where_connecting_is_set_up_an_unconnected_channel_is_connected_or_posted_by_hand(
    clinic_a, harbor
):
    step = _replies_step(clinic_a)
    assert step["done"] is False
    assert step["detail"] == (
        "Harbor reviews (Google Business Profile) is not connected: replies cannot be posted "
        "there. Connect it, or choose “We post replies on this channel by hand”, on the sources "
        "page."
    )
    with schema_context(clinic_a.schema_name):
        source_replies_by_hand_set(source=harbor, by_hand=True, actor=SETUP)
    assert _replies_step(clinic_a)["done"] is True


def test_a_connected_channel_and_one_posted_by_hand_complete_the_step(clinic_a, harbor):
    with schema_context(clinic_a.schema_name):
        source_update(
            source=harbor,
            settings={"account_id": "accounts/1", "location_id": "locations/2"},
            credentials={"access_token": "token"},
            actor=SETUP,
        )
    step = _replies_step(clinic_a)
    assert step["done"] is True
    assert step["detail"] == "Connected; replies on Harbor on Yelp are posted by hand."
