"""The Sources page's choice "We post replies on this channel by hand", per source that
Carewatch could post replies on (Google, Facebook): only those who manage the clinic's sources
make it; turning it on tells the outbox (what waited for the channel goes to be posted by hand).
Where a source is not connected and connecting its platform is not set up on this server, its
row says so. One rule decides "not set up" (`connecting_set_up`), for the page's buttons too."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from feeds.models import Source, platform_name
from feeds.services.connections import connecting_set_up

BASE = "/clinics/clinic-a/sources/"


@pytest.fixture
def sources(clinic_a):
    with schema_context(clinic_a.schema_name):
        return SimpleNamespace(
            google=Source.objects.create(kind="google", name="Harbor reviews"),
            yelp=Source.objects.create(kind="yelp", name="Harbor on Yelp"),
        )


def _by_hand(clinic, source) -> bool:
    with schema_context(clinic.schema_name):
        return Source.objects.get(pk=source.pk).replies_by_hand


def test_a_manager_marks_a_channel_posted_by_hand_and_the_outbox_is_told(
    clinic_a, sources, login, queued, django_capture_on_commit_callbacks
):
    manager = login("alpha_manager")
    page = manager.get(BASE).content.decode()
    # the choice is offered where Carewatch could post replies, not on Yelp (always by hand)
    assert f'data-testid="by-hand-{sources.google.pk}"' in page
    assert f'data-testid="by-hand-{sources.yelp.pk}"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        answer = manager.post(
            BASE, {"action": "replies_by_hand", "source": sources.google.pk, "by_hand": "on"}
        )
    assert answer.status_code == 302
    assert _by_hand(clinic_a, sources.google) is True
    assert queued == [("responses.tasks.outbox_retry_for_source", (sources.google.pk,))]
    page = manager.get(BASE).content.decode()
    assert "Harbor reviews: replies are posted by hand." in page
    assert (
        f'id="by-hand-{sources.google.pk}" type="checkbox" name="by_hand" value="on" checked'
        in page
    )

    # turned off again (the box unticked): nothing to retry
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(BASE, {"action": "replies_by_hand", "source": sources.google.pk})
    assert _by_hand(clinic_a, sources.google) is False
    assert queued == []


def test_only_those_who_manage_sources_choose_and_an_unknown_source_changes_nothing(
    clinic_a, sources, login
):
    writer = login("alpha_writer")
    assert f'data-testid="by-hand-{sources.google.pk}"' not in writer.get(BASE).content.decode()
    refused = writer.post(
        BASE, {"action": "replies_by_hand", "source": sources.google.pk, "by_hand": "on"}
    )
    assert refused.status_code == 403
    assert _by_hand(clinic_a, sources.google) is False
    unknown = login("alpha_manager").post(
        BASE, {"action": "replies_by_hand", "source": "nope", "by_hand": "on"}
    )
    assert unknown.status_code == 400
    assert "That source does not exist." in unknown.content.decode()
    assert _by_hand(clinic_a, sources.google) is False


@pytest.mark.parametrize(
    ("cleared", "google", "facebook"),
    [
        pytest.param((), True, True, id="both-set-up"),
        pytest.param(("GOOGLE_OAUTH_CLIENT_ID",), False, True, id="google-not-set-up"),
        pytest.param(("FACEBOOK_APP_SECRET",), True, False, id="facebook-not-set-up"),
    ],
)
def test_connecting_is_set_up_per_platform_as_the_sources_page_says(
    settings, cleared, google, facebook
):
    for name in cleared:
        setattr(settings, name, "")
    assert connecting_set_up("google") is google
    assert (connecting_set_up("facebook"), connecting_set_up("instagram")) == (facebook, facebook)
    assert connecting_set_up("yelp") is False and connecting_set_up("csv") is False


def test_a_row_says_when_its_platform_cannot_be_connected_here(settings, clinic_a, sources, login):
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    page = login("alpha_manager").get(BASE).content.decode()
    assert "Google Business Profile: connecting is not set up on this server" in page
    assert (
        f'data-testid="cannot-connect-{sources.google.pk}">Connecting Google Business Profile is '
        "not set up on this server: replies here are posted by hand."
    ) in page


def test_platforms_have_their_plain_names():
    assert [platform_name(k) for k in ("google", "facebook", "instagram", "yelp")] == [
        "Google Business Profile", "Facebook", "Instagram", "Yelp",
    ]  # fmt: skip
