"""A delivery that failed because its channel's connection expired or was revoked, or because
the connected account may not post on the page, fails the same way on every retry until the
channel is reconnected; reconnecting sends it again by itself. So "Try again" is refused
(409 `retry_cannot_work`, saying who can reconnect it) on the outbox page and in the API, and
not offered on the batch page, while nothing changed on the channel since it failed; once the
channel is reconnected (or its connection renewed), it is offered and works again. Other
failures (an outage, a refusal) stay retryable. The fake Google and Facebook answer over real
HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from feeds.models import Source, SourceConnection
from feeds.services import source_create, source_update
from responses.models import OutboxItem, OutboxStatus
from responses.services.outbox import retry_refusal
from tests.responses.conftest import approved_reply, deliver_in, review_in
from tests.responses.test_batches import _claim, approved_batch

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up

NOT_RECONNECTED = (
    "Trying again cannot work: google source has not been reconnected since it failed, so it "
    "would fail the same way."
)
WHO = "Only the agency's owners and managers (Alpha Owner or Alpha Manager) can "
THEN = (
    ": ask one of them; it is then sent by itself. Meanwhile, post it by hand and mark it posted."
)


def _fail(platforms, scenario: str) -> None:
    """The fake Google's next answer: the token expired, no permission, or another refusal."""
    if scenario == "expired":
        platforms.expire_token("google")
    elif scenario == "forbidden":
        platforms.fail(
            1, status=403, platform="google", message="The caller does not have permission"
        )
    else:
        platforms.fail(
            1, status=400, platform="google", message="Request contains an invalid argument."
        )


def _failed_reply(clinic, platforms, as_user, scenario: str) -> int:
    """A reply on the clinic's connected Google source, delivered and failed."""
    review = review_in(clinic, fake=platforms)
    item_id = approved_reply(clinic, as_user, review)["delivery"][0]["outbox_id"]
    _fail(platforms, scenario)
    assert deliver_in(clinic, item_id) == "failed"
    return item_id


def _item(clinic, item_id: int) -> OutboxItem:
    with schema_context(clinic.schema_name):
        return OutboxItem.objects.select_related("source").get(pk=item_id)


def _reconnect(clinic, platforms) -> None:
    """Credentials entered again on the Sources page (the token of a reconnect)."""
    with schema_context(clinic.schema_name):
        source_update(
            source=Source.objects.get(kind="google"),
            credentials=platforms.credentials("google"),
            actor=SETUP,
        )


@pytest.mark.parametrize(
    ("scenario", "kind", "verb"),
    [
        pytest.param("expired", "auth", "reconnect google source", id="expired-token"),
        pytest.param(
            "forbidden",
            "permission",
            "reconnect google source with an account that manages the page",
            id="no-permission",
        ),
    ],
)
def test_try_again_is_refused_until_the_channel_is_reconnected(
    platforms, clinic_a, as_user, scenario, kind, verb
):
    # given a reply that failed for want of a working connection
    item_id = _failed_reply(clinic_a, platforms, as_user, scenario)
    assert _item(clinic_a, item_id).failure_kind == kind
    writer = as_user("alpha_writer", clinic_a)

    # when the writer tries again through the API
    response = writer.post(f"outbox/{item_id}/retry/")

    # then it is refused, saying why and who can reconnect it; nothing changed
    assert response.status_code == 409
    assert response.json()["code"] == "retry_cannot_work"
    assert response.json()["detail"] == f"{NOT_RECONNECTED} {WHO}{verb}{THEN}"
    item = _item(clinic_a, item_id)
    assert (item.status, item.failure_kind, item.attempts) == (OutboxStatus.FAILED, kind, 1)

    # the outbox page offers no "Try again": it says why, beside what to do
    outbox = f"/clinics/{clinic_a.slug}/outbox/"
    page = writer.client.get(outbox).content.decode()
    assert (
        f'name="item" value="{item_id}"><input type="hidden" name="action" value="retry">'
        not in page
    )
    assert f'<p class="muted" data-testid="no-retry">{NOT_RECONNECTED}</p>' in page
    assert f"{WHO}{verb}".replace("'", "&#x27;") in page
    # and a retry posted from it anyway is refused on its card, nothing changed
    refused = writer.client.post(outbox, {"item": item_id, "action": "retry"})
    assert refused.status_code == 409
    assert NOT_RECONNECTED in refused.content.decode()
    assert _item(clinic_a, item_id).status == OutboxStatus.FAILED

    # when the channel is reconnected (its retry task lost: the broker was down)
    _reconnect(clinic_a, platforms)

    # then "Try again" is offered and works
    page = writer.client.get(outbox).content.decode()
    assert (
        f'name="item" value="{item_id}"><input type="hidden" name="action" value="retry">' in page
    )
    response = writer.post(f"outbox/{item_id}/retry/")
    assert response.status_code == 200
    assert _item(clinic_a, item_id).status == OutboxStatus.PENDING
    if scenario == "forbidden":  # the fake refused once: now it takes it
        assert deliver_in(clinic_a, item_id) == "sent"


def test_a_manager_is_told_to_reconnect_it_on_the_sources_page(platforms, clinic_a, as_user):
    item_id = _failed_reply(clinic_a, platforms, as_user, "expired")

    response = as_user("alpha_manager", clinic_a).post(f"outbox/{item_id}/retry/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"{NOT_RECONNECTED} Reconnect google source on the Sources page; it is then sent by "
        "itself. Or post it by hand and mark it posted."
    )


def test_a_connection_renewed_after_the_failure_lets_it_be_tried_again(
    platforms, clinic_a, as_user
):
    # given a reply that failed because the connection expired, its source connected by OAuth
    item_id = _failed_reply(clinic_a, platforms, as_user, "expired")
    item = _item(clinic_a, item_id)
    with schema_context(clinic_a.schema_name):
        connection = SourceConnection.objects.create(
            source=item.source, platform="google", account_ref="accounts/1/locations/2",
            account_name="Sunrise Clinic", grant_ref="g1",
            connected_at=item.last_error_at - timedelta(days=30),
            refreshed_at=item.last_error_at - timedelta(days=1),
        )  # fmt: skip
        Source.objects.filter(pk=item.source_id).update(
            updated_at=item.last_error_at - timedelta(days=30)
        )
        item = OutboxItem.objects.select_related("source").get(pk=item_id)
        # renewed before it failed: nothing changed since
        assert retry_refusal(item) == NOT_RECONNECTED

        # when the connection is renewed after it failed
        SourceConnection.objects.filter(pk=connection.pk).update(refreshed_at=timezone.now())
        item = OutboxItem.objects.select_related("source").get(pk=item_id)

        # then trying again may work
        assert retry_refusal(item) == ""


@pytest.mark.parametrize("scenario", [pytest.param("refused", id="other-refusal")])
def test_other_failures_stay_retryable(platforms, clinic_a, as_user, scenario):
    item_id = _failed_reply(clinic_a, platforms, as_user, scenario)

    response = as_user("alpha_writer", clinic_a).post(f"outbox/{item_id}/retry/")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_the_batch_page_offers_no_retry_until_the_page_is_reconnected(platforms, clinic_a, as_user):
    # given a batch's replies on a Facebook page whose token expired
    with schema_context(clinic_a.schema_name):
        source_create(
            kind="facebook",
            name="Sunrise Facebook page",
            settings=platforms.settings("facebook"),
            credentials=platforms.credentials("facebook"),
        )
    cluster_id, _ = _claim(clinic_a, 2, kind="facebook")
    bid, ids = approved_batch(clinic_a, as_user, cluster_id)
    platforms.expire_token("facebook")
    assert [deliver_in(clinic_a, i) for i in ids] == ["failed"] * 2
    assert {_item(clinic_a, i).failure_kind for i in ids} == {"auth"}
    url = f"/clinics/{clinic_a.slug}/replies/batches/{bid}/"

    page = as_user("alpha_writer", clinic_a).client.get(url).content.decode()

    # what to do is to reconnect it (who can, named), not to retry
    assert "retry in the outbox" not in page
    assert (
        "Only the agency&#x27;s owners and managers (Alpha Owner or Alpha Manager) can "
        "reconnect Sunrise Facebook page: ask one of them"
    ) in page

    # once it is reconnected, retrying is offered again
    with schema_context(clinic_a.schema_name):
        source_update(
            source=Source.objects.get(kind="facebook"),
            credentials=platforms.credentials("facebook"),
            actor=SETUP,
        )
    page = as_user("alpha_writer", clinic_a).client.get(url).content.decode()
    assert page.count("retry in the outbox") == 2
