"""Facebook Graph connector against the fake platform server (real HTTP)."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from feeds.connectors import (
    CURSOR_MAX_LENGTH,
    AlreadyReplied,
    AuthExpired,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
    collect,
)
from tests.feeds import fake_platforms as fp

PAGE = fp.FACEBOOK_PAGE
V = "/v21.0"


def _ids(items, kind=None):
    return sorted(i.external_id for i in items if kind is None or i.kind == kind)


def test_lists_ratings_posts_and_comments_across_pages(fake_platforms, connect):
    ratings = fake_platforms.add_facebook_ratings(23)
    visitor_post = fake_platforms.add_facebook_post("Is the clinic open on Sunday?", by_page=False)
    page_post = fake_platforms.add_facebook_post("We have new opening hours.")
    comments = fake_platforms.add_facebook_comments(page_post, 12)
    [reply] = fake_platforms.add_facebook_comments(comments[0], 1)

    result = collect(connect("facebook", settings={"limit": 10}))

    assert _ids(result.items, "review") == sorted(ratings)
    assert _ids(result.items, "mention") == sorted([visitor_post, page_post])
    assert _ids(result.items, "comment") == sorted([*comments, reply])
    gets = fake_platforms.requests_for("facebook", "GET")
    assert [r.path for r in gets] == [
        f"{V}/{PAGE}/ratings",
        f"{V}/{PAGE}/ratings",
        f"{V}/{PAGE}/ratings",
        f"{V}/{PAGE}/feed",
        f"{V}/{page_post}/comments",
        f"{V}/{page_post}/comments",
        f"{V}/{visitor_post}/comments",
    ]
    assert "after" not in gets[0].params and gets[1].params["after"]
    assert gets[0].params["fields"] == (
        "created_time,recommendation_type,review_text,reviewer{name,id},open_graph_story{id}"
    )
    assert gets[0].params["limit"] == "10"
    assert gets[0].params["access_token"] == fp.FACEBOOK_TOKEN
    assert gets[4].params["filter"] == "stream"
    assert gets[4].params["order"] == "reverse_chronological"
    assert len(result.next_cursor) <= CURSOR_MAX_LENGTH


def test_maps_ratings_posts_and_comments(fake_platforms, connect):
    [story] = fake_platforms.add_facebook_ratings(1, text="Doctor listened.")
    post = fake_platforms.add_facebook_post("Flu shots available.")
    fake_platforms.fb_posts[post]["_reactions"] = 7
    fake_platforms.fb_posts[post]["_shares"] = 3
    [top] = fake_platforms.add_facebook_comments(post, 1, text="Which days?")
    [answer] = fake_platforms.add_facebook_comments(top, 1, text="Mondays.", by_page=True)

    items = {i.external_id: i for i in collect(connect("facebook")).items}

    rating = items[story]
    assert (rating.kind, rating.rating, rating.text) == ("review", None, "Doctor listened.")
    assert rating.raw["recommendation_type"] in ("positive", "negative")
    assert rating.author_name.startswith("Visitor")
    p = items[post]
    assert (p.kind, p.likes, p.shares, p.replies, p.by_owner) == ("mention", 7, 3, 2, True)
    assert p.url.startswith("https://www.facebook.com/")
    assert items[top].parent_external_id == post
    assert items[top].replies == 1 and not items[top].by_owner
    assert items[answer].parent_external_id == top and items[answer].by_owner
    assert items[top].published_at.utcoffset() is not None


def test_second_sync_lists_only_new_and_changed_items(fake_platforms, connect):
    fake_platforms.add_facebook_ratings(5)
    quiet, busy, edited = (fake_platforms.add_facebook_post() for _ in range(3))
    for post in (quiet, busy, edited):
        fake_platforms.add_facebook_comments(post, 3)
    first = collect(connect("facebook", settings={"limit": 2}))
    fake_platforms.reset_requests()

    [new_rating] = fake_platforms.add_facebook_ratings(1)
    [new_comment] = fake_platforms.add_facebook_comments(busy, 1)
    fake_platforms.edit_facebook_post(edited, "Corrected: we are open until 6pm.")
    second = collect(connect("facebook", settings={"limit": 2}), first.next_cursor)

    assert _ids(second.items) == sorted([new_rating, busy, new_comment, edited])
    assert next(i for i in second.items if i.external_id == busy).replies == 4
    assert next(i for i in second.items if i.external_id == edited).text.startswith("Corrected")
    paths = [r.path for r in fake_platforms.requests_for("facebook")]
    assert f"{V}/{quiet}/comments" not in paths  # unchanged post: comments not fetched
    # ratings: the page with the new one and the watermark's own, then the first older one
    assert paths.count(f"{V}/{PAGE}/ratings") == 2

    assert collect(connect("facebook"), second.next_cursor).items == []


def test_posts_older_than_the_lookback_are_not_watched(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()  # the fake's clock is a week back
    fake_platforms.add_facebook_comments(post, 2)
    result = collect(connect("facebook", settings={"lookback_days": 1}))
    assert result.items == []
    assert not fake_platforms.requests_for("facebook", path="/comments")


def test_rate_limit_beyond_the_cap_raises_rate_limited(fake_platforms, connect):
    # Facebook's own hint: X-Business-Use-Case-Usage estimated_time_to_regain_access (min)
    fake_platforms.throttle(1, retry_after=None, platform="facebook", code=32, regain_minutes=5)
    with pytest.raises(RateLimited) as caught:
        collect(connect("facebook"))
    assert caught.value.retry_after_seconds == 300
    assert caught.value.platform_code == 32
    assert "exceeded the rate limit" in caught.value.message
    assert len(fake_platforms.requests_for("facebook")) == 1


def test_invalid_token_raises_auth_expired(fake_platforms, connect):
    with pytest.raises(AuthExpired, match="Invalid OAuth access token"):
        collect(connect("facebook", credentials={"access_token": "EAAnot-a-real-one"}))


def test_reply_is_a_form_post_to_the_objects_comments(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    [comment] = fake_platforms.add_facebook_comments(post, 1)

    posted = connect("facebook").post_reply(
        comment, "Please call us at 555-0100.", idempotency_key="r1"
    )

    [write] = fake_platforms.writes("facebook")
    assert write.method == "POST"
    assert write.path == f"{V}/{comment}/comments"
    assert write.query == {}
    assert write.headers["content-type"] == "application/x-www-form-urlencoded"
    assert write.form == {
        "message": "Please call us at 555-0100.",
        "access_token": fp.FACEBOOK_TOKEN,
    }
    assert posted.external_reply_id in fake_platforms.fb_comments
    assert fake_platforms.fb_comments[posted.external_reply_id]["_parent"] == comment


def test_reply_to_a_rating_goes_to_its_story(fake_platforms, connect):
    [story] = fake_platforms.add_facebook_ratings(1)
    connect("facebook").post_reply(story, "Thank you!", idempotency_key="r2")
    [write] = fake_platforms.writes("facebook")
    assert write.path == f"{V}/{story}/comments"


def test_reply_that_timed_out_after_being_applied_is_posted_once(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    [comment] = fake_platforms.add_facebook_comments(post, 1)
    fake_platforms.delay(1, seconds=1.0, platform="facebook", method="POST")

    with pytest.raises(TransientError) as caught:
        connect("facebook", timeout=0.3).post_reply(comment, "We are sorry.", idempotency_key="r3")
    assert caught.value.maybe_applied
    assert len(fake_platforms.writes("facebook")) == 1  # a POST is not blindly resent

    def page_replies():
        return [c for c in fake_platforms.fb_comments.values() if c["from"]["id"] == PAGE]

    assert len(page_replies()) == 1  # Facebook took it; only its answer was late
    # the outbox retries later, from a fresh worker, with the same key
    again = connect("facebook").post_reply(comment, "We are sorry.", idempotency_key="r3")

    assert again.already_existed
    assert len(fake_platforms.writes("facebook")) == 1
    assert [c["id"] for c in page_replies()] == [again.external_reply_id]


def test_reply_post_is_not_resent_after_a_5xx(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    fake_platforms.fail(3, status=500, platform="facebook", method="POST")
    with pytest.raises(TransientError):
        connect("facebook").post_reply(post, "Hello", idempotency_key="r4")
    assert len(fake_platforms.writes("facebook")) == 1


def test_private_reply_is_a_messenger_send_with_the_comment_as_recipient(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    [comment] = fake_platforms.add_facebook_comments(post, 1)
    connector = connect("facebook")

    posted = connector.private_reply(
        comment, "Could you message us your contact details?", idempotency_key="p1"
    )

    [write] = fake_platforms.writes("facebook")
    assert write.method == "POST"
    assert write.path == f"{V}/{PAGE}/messages"
    assert write.params == {"access_token": fp.FACEBOOK_TOKEN}
    assert write.headers["content-type"].startswith("application/json")
    assert write.json == {
        "recipient": {"comment_id": comment},
        "message": {"text": "Could you message us your contact details?"},
    }
    assert posted.external_reply_id.startswith("m_")
    with pytest.raises(AlreadyReplied, match=r"\(#10900\) Activity already replied to"):
        connector.private_reply(comment, "Again", idempotency_key="p2")


def test_hide_and_unhide_a_comment(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    [comment] = fake_platforms.add_facebook_comments(post, 1)
    connector = connect("facebook")

    connector.hide(comment)
    assert comment in fake_platforms.fb_hidden
    connector.hide(comment, hidden=False)
    assert comment not in fake_platforms.fb_hidden

    hide, unhide = fake_platforms.writes("facebook")
    assert (hide.method, hide.path) == ("POST", f"{V}/{comment}")
    assert hide.form == {"is_hidden": "true", "access_token": fp.FACEBOOK_TOKEN}
    assert unhide.form["is_hidden"] == "false"


def test_publish_and_pin_a_statement(fake_platforms, connect):
    connector = connect("facebook")
    posted = connector.publish_post("Official statement: ...", idempotency_key="s1")
    connector.pin(posted.external_reply_id)

    publish, pin = fake_platforms.writes("facebook")
    assert (publish.path, publish.form["message"]) == (
        f"{V}/{PAGE}/feed",
        "Official statement: ...",
    )
    assert (pin.path, pin.form["is_pinned"]) == (f"{V}/{posted.external_reply_id}", "true")
    assert posted.external_reply_id in fake_platforms.fb_pinned


def test_statement_that_timed_out_after_being_applied_is_posted_once(fake_platforms, connect):
    fake_platforms.add_facebook_post("Another page post")
    fake_platforms.delay(1, seconds=1.0, platform="facebook", method="POST")
    with pytest.raises(TransientError) as caught:
        connect("facebook", timeout=0.3).publish_post("Our statement.", idempotency_key="s2")
    assert caught.value.maybe_applied

    # a person retries it later, from a fresh worker
    again = connect("facebook").publish_post("Our statement.", idempotency_key="s2")

    assert again.already_existed
    [publish] = fake_platforms.writes("facebook")
    statements = [p for p in fake_platforms.fb_posts.values() if p["message"] == "Our statement."]
    assert [p["id"] for p in statements] == [again.external_reply_id]


def test_pinning_a_comment_is_refused_with_facebooks_message(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    [comment] = fake_platforms.add_facebook_comments(post, 1)
    with pytest.raises(PermanentError, match="Only Page posts can be pinned"):
        connect("facebook").pin(comment)


def test_missing_object_raises_not_found(fake_platforms, connect):
    with pytest.raises(NotFound, match="does not exist"):
        connect("facebook").hide("123_456")


def test_delete_reply(fake_platforms, connect):
    post = fake_platforms.add_facebook_post()
    connector = connect("facebook")
    posted = connector.post_reply(post, "Thanks!", idempotency_key="d1")
    connector.delete_reply(posted.external_reply_id)
    connector.delete_reply(posted.external_reply_id)  # already gone: fine
    assert posted.external_reply_id not in fake_platforms.fb_comments


def test_app_secret_proof_is_sent_and_credentials_never_logged(fake_platforms, connect, caplog):
    caplog.set_level(logging.DEBUG, logger="feeds.connectors")
    credentials = {**fake_platforms.credentials("facebook"), "app_secret": fp.FACEBOOK_APP_SECRET}
    proof = hmac.new(
        fp.FACEBOOK_APP_SECRET.encode(), fp.FACEBOOK_TOKEN.encode(), hashlib.sha256
    ).hexdigest()
    post = fake_platforms.add_facebook_post()
    fake_platforms.add_facebook_comments(post, 2)
    fake_platforms.fail(1, status=500, platform="facebook")
    collect(connect("facebook", credentials=credentials))
    assert fake_platforms.requests[0].params["appsecret_proof"] == proof

    errors = []
    fake_platforms.fail(
        1, status=400, platform="facebook", code=100, message=f"bad {fp.FACEBOOK_TOKEN}"
    )
    with pytest.raises(PermanentError) as caught:
        collect(connect("facebook", credentials=credentials))
    errors.append(caught.value)
    fake_platforms.expire_token("facebook")
    with pytest.raises(AuthExpired) as caught:
        connect("facebook", credentials=credentials).post_reply(post, "x", idempotency_key="z")
    errors.append(caught.value)

    texts = [r.getMessage() for r in caplog.records] + [
        t for e in errors for t in (str(e), repr(e), e.request or "")
    ]
    assert any("access_token=[REDACTED]" in t for t in texts)
    for secret in (fp.FACEBOOK_TOKEN, fp.FACEBOOK_APP_SECRET, proof):
        assert not any(secret in t for t in texts)
