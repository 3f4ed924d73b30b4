"""Google Business Profile connector against the fake platform server (real HTTP)."""

from __future__ import annotations

import json
import logging

import pytest

from feeds.connectors import (
    CURSOR_MAX_LENGTH,
    AnsweredElsewhere,
    AuthExpired,
    NotFound,
    NotSupported,
    TransientError,
    collect,
    make_connector,
)
from feeds.connectors.base import parse_time
from tests.feeds import fake_platforms as fp

REVIEWS_PATH = f"/v4/accounts/{fp.GOOGLE_ACCOUNT}/locations/{fp.GOOGLE_LOCATION}/reviews"


def test_lists_every_review_across_pages(fake_platforms, connect):
    ids = fake_platforms.add_google_reviews(120)
    result = collect(connect("google"))

    assert sorted(i.external_id for i in result.items) == sorted(ids)
    gets = fake_platforms.requests_for("google", "GET")
    assert len(gets) == 3  # 50 + 50 + 20
    assert gets[0].path == REVIEWS_PATH
    assert gets[0].params == {"pageSize": "50", "orderBy": "updateTime desc"}
    assert gets[1].params["pageToken"] and gets[2].params["pageToken"]
    assert gets[0].headers["authorization"] == f"Bearer {fp.GOOGLE_TOKEN}"
    assert len(result.next_cursor) <= CURSOR_MAX_LENGTH
    # only the last page carries the cursor
    pages = list(connect("google").list_items(None))
    assert [p.next_cursor is not None for p in pages] == [False] * (len(pages) - 1) + [True]


def test_maps_the_review_json(fake_platforms, connect):
    [review_id] = fake_platforms.add_google_reviews(1, rating=2, text="Rude at reception.")
    raw = fake_platforms.google_reviews[review_id]
    [item] = collect(connect("google", settings={"profile_url": "https://g.page/x"})).items

    assert item.external_id == review_id
    assert item.kind == "review"
    assert item.rating == 2
    assert item.text == "Rude at reception."
    assert item.author_name == raw["reviewer"]["displayName"]
    assert item.published_at == parse_time(raw["createTime"])
    assert item.published_at.utcoffset() is not None
    assert item.edited_at is None
    assert item.url == "https://g.page/x"
    assert item.language is None
    assert item.raw == raw


def test_second_sync_lists_only_new_and_changed_reviews(fake_platforms, connect):
    old = fake_platforms.add_google_reviews(120)
    first = collect(connect("google"))
    fake_platforms.reset_requests()

    new = fake_platforms.add_google_reviews(2)
    fake_platforms.edit_google_review(old[10], comment="Edited: it got worse.", rating=1)
    second = collect(connect("google"), first.next_cursor)

    assert sorted(i.external_id for i in second.items) == sorted([*new, old[10]])
    edited = next(i for i in second.items if i.external_id == old[10])
    assert edited.text == "Edited: it got worse." and edited.rating == 1
    assert edited.edited_at is not None and edited.edited_at > edited.published_at
    # newest-updated first: paging stopped at the first review older than the cursor
    assert len(fake_platforms.requests_for("google", "GET")) == 1

    third = collect(connect("google"), second.next_cursor)
    assert third.items == []


def test_reviews_sharing_the_newest_instant_are_neither_lost_nor_repeated(fake_platforms, connect):
    a, b = fake_platforms.add_google_reviews(2)
    same = fake_platforms.google_reviews[b]["updateTime"]
    fake_platforms.google_reviews[a]["createTime"] = same
    fake_platforms.google_reviews[a]["updateTime"] = same
    first = collect(connect("google"))
    assert len(first.items) == 2
    [c] = fake_platforms.add_google_reviews(1)  # new, but at the same instant as a and b
    fake_platforms.google_reviews[c]["createTime"] = same
    fake_platforms.google_reviews[c]["updateTime"] = same

    second = collect(connect("google"), first.next_cursor)
    assert [i.external_id for i in second.items] == [c]


def test_expired_token_is_renewed_with_the_refresh_token(fake_platforms, connect):
    fake_platforms.add_google_reviews(2)
    fake_platforms.expire_token("google")
    connector = connect("google", credentials=fake_platforms.google_refresh_credentials())

    assert len(collect(connector).items) == 2
    assert [(r.platform, r.status) for r in fake_platforms.requests] == [
        ("google", 401),
        ("google-oauth", 200),
        ("google", 200),
    ]
    assert fake_platforms.requests[1].form["grant_type"] == "refresh_token"
    renewed = connector.updated_credentials["access_token"]
    assert renewed != fp.GOOGLE_TOKEN and renewed in fake_platforms.valid_tokens["google"]


def test_revoked_refresh_token_raises_auth_expired(fake_platforms, connect):
    fake_platforms.expire_token("google")
    credentials = {**fake_platforms.google_refresh_credentials(), "refresh_token": "1//revoked"}
    with pytest.raises(AuthExpired) as caught:
        collect(connect("google", credentials=credentials))
    assert caught.value.message == "Token has been expired or revoked."


def test_timeouts_and_dropped_connections_are_retried(fake_platforms, connect):
    fake_platforms.add_google_reviews(1)
    fake_platforms.delay(1, seconds=1.0, platform="google")
    fake_platforms.drop(1, platform="google")
    assert len(collect(connect("google", timeout=0.3)).items) == 1
    assert len(fake_platforms.requests_for("google")) == 3


def test_unreachable_platform_raises_transient_error(fake_platforms):
    base_url = fake_platforms.base_url
    fake_platforms.stop()
    connector = make_connector(
        "google",
        fake_platforms.settings("google"),
        fake_platforms.credentials("google"),
        base_url,
        max_retries=1,
        backoff_base=0.01,
    )
    with pytest.raises(TransientError, match="Could not connect"):
        collect(connector)


def test_reply_is_one_put_with_the_documented_body(fake_platforms, connect):
    [review_id] = fake_platforms.add_google_reviews(1)
    connector = connect("google")

    posted = connector.post_reply(review_id, "Thank you for the kind words.", idempotency_key="k1")

    assert posted.external_reply_id == review_id
    [put] = fake_platforms.writes("google")
    assert put.method == "PUT"
    assert put.path == f"{REVIEWS_PATH}/{review_id}/reply"
    assert put.query == {}
    assert put.json == {"comment": "Thank you for the kind words."}
    assert put.headers["content-type"].startswith("application/json")
    assert put.headers["authorization"] == f"Bearer {fp.GOOGLE_TOKEN}"
    [item] = collect(connector).items
    assert item.owner_reply.text == "Thank you for the kind words."


def test_reply_put_is_retried_after_a_503_and_stays_one_reply(fake_platforms, connect):
    [review_id] = fake_platforms.add_google_reviews(1)
    fake_platforms.fail(1, status=503, platform="google", method="PUT")
    connect("google").post_reply(review_id, "Sorry to hear this.", idempotency_key="k2")
    assert [w.status for w in fake_platforms.writes("google")] == [503, 200]
    assert fake_platforms.google_reviews[review_id]["reviewReply"]["comment"] == (
        "Sorry to hear this."
    )


def test_reply_to_a_deleted_review_raises_not_found(fake_platforms, connect):
    with pytest.raises(NotFound, match="Requested entity was not found."):
        connect("google").post_reply("gone", "Hello", idempotency_key="k3")


def test_a_reply_the_business_wrote_on_google_is_never_replaced(fake_platforms, connect):
    [review_id] = fake_platforms.add_google_reviews(1)
    theirs = {"comment": "The owner answered here.", "updateTime": "2026-12-01T10:00:00Z"}
    fake_platforms.google_reviews[review_id]["reviewReply"] = dict(theirs)

    with pytest.raises(AnsweredElsewhere, match="The owner answered here.") as caught:
        connect("google").post_reply(review_id, "Our reply.", idempotency_key="k5")

    assert caught.value.existing_text == "The owner answered here."
    assert fake_platforms.writes("google") == []
    assert fake_platforms.google_reviews[review_id]["reviewReply"] == theirs


def test_an_earlier_reply_of_ours_is_replaced_and_the_same_text_is_not_written_again(
    fake_platforms, connect
):
    [review_id] = fake_platforms.add_google_reviews(1)
    connector = connect("google")
    connector.post_reply(review_id, "Version one.", idempotency_key="k6")

    connector.post_reply(
        review_id, "Version two.", idempotency_key="k7", may_replace=["Version one."]
    )
    again = connect("google").post_reply(review_id, "Version two.", idempotency_key="k7")

    assert again.already_existed
    assert [w.json for w in fake_platforms.writes("google")] == [
        {"comment": "Version one."},
        {"comment": "Version two."},
    ]


def test_delete_reply(fake_platforms, connect):
    [review_id] = fake_platforms.add_google_reviews(1)
    connector = connect("google")
    connector.post_reply(review_id, "Thanks!", idempotency_key="k4")
    connector.delete_reply(review_id)
    connector.delete_reply(review_id)  # already gone: fine
    assert "reviewReply" not in fake_platforms.google_reviews[review_id]
    assert [w.method for w in fake_platforms.writes("google")] == ["PUT", "DELETE", "DELETE"]


def test_google_cannot_pin_hide_or_reply_privately(fake_platforms, connect):
    connector = connect("google")
    assert connector.capabilities.can_reply and not connector.capabilities.can_pin
    for call in (
        lambda: connector.pin("x"),
        lambda: connector.hide("x"),
        lambda: connector.private_reply("x", "hi", idempotency_key="k"),
    ):
        with pytest.raises(NotSupported, match="Google Business Profile does not let"):
            call()
    assert fake_platforms.requests == []


def test_credentials_never_reach_logs_or_errors(fake_platforms, connect, caplog):
    caplog.set_level(logging.DEBUG, logger="feeds.connectors")
    credentials = fake_platforms.google_refresh_credentials()
    secrets = [credentials[k] for k in ("access_token", "refresh_token", "client_secret")]
    fake_platforms.add_google_reviews(1)
    fake_platforms.throttle(1, retry_after=0, platform="google")
    fake_platforms.fail(1, status=503, platform="google")
    connector = connect("google", credentials=credentials)
    collect(connector)

    errors = []
    fake_platforms.fail(
        5, status=400, platform="google", message=f"Bad token {fp.GOOGLE_TOKEN} given"
    )
    with pytest.raises(Exception) as caught:
        collect(connect("google", credentials=credentials, max_retries=0))
    errors.append(caught.value)
    fake_platforms.clear_scenarios()
    fake_platforms.expire_token("google")
    with pytest.raises(AuthExpired) as caught:
        collect(connect("google"))
    errors.append(caught.value)

    assert "[REDACTED]" in errors[0].message
    texts = [r.getMessage() for r in caplog.records] + [
        text for e in errors for text in (str(e), repr(e), json.dumps(e.args))
    ]
    assert caplog.records
    for secret in secrets:
        assert not any(secret in text for text in texts), secret
