"""Facebook page (Graph API): ratings (recommendations), the page feed and its comments;
replies, private replies (Messenger), hiding comments, pinning page posts.

Settings: `page_id`; optional `api_version` (default v21.0), `lookback_days` (default 30:
posts created earlier are no longer watched for new comments), `limit` (page size, 1..100,
default 50), `include_ratings`, `include_posts` (default true).
Credentials: `access_token` (a Page access token with pages_read_engagement,
pages_read_user_content, pages_manage_engagement, pages_messaging, pages_manage_posts);
optional `app_secret`, which adds `appsecret_proof` to every call. The token travels as the
`access_token` parameter (query for GET, form body for POST), as the Graph API documents;
it is redacted from every log line and error.

What is listed, and the cursor - {"r": watermark on ratings' created_time,
"p": watermark on posts' updated_time}, each never later than our clock less its skew
(`Watermark.not_after`: a platform clock ahead of ours must not hide what it dates before):

- Ratings: GET /{page}/ratings?fields=created_time,recommendation_type,review_text,
  reviewer{name,id},open_graph_story{id}, newest first, paged by cursors.after while
  paging.next exists; stops at the first rating older than the watermark. Facebook has no
  stars any more (recommendations replaced them), so `rating` is None and
  raw["recommendation_type"] keeps "positive"/"negative". A rating has no edit time: edits
  of old ratings are seen only by a full sync. external_id = open_graph_story.id (what a
  reply is posted to), or a stable hash when Facebook withholds it.
- Posts: GET /{page}/feed?fields=id,message,created_time,updated_time,permalink_url,
  from{name,id},shares,reactions.summary(total_count),comments.summary(total_count),
  pages until posts were created before now - lookback_days. A post whose updated_time is
  past the watermark is listed again (Facebook moves updated_time on an edit and on every
  new comment), kind "mention", likes = reactions, shares, replies = comments; by_owner is
  true for the page's own posts.
- Comments of each such post: GET /{post}/comments?fields=id,message,created_time,
  from{name,id},like_count,comment_count,parent{id},permalink_url&filter=stream
  &order=reverse_chronological, those created after the previous posts watermark, one Page
  per post ordered oldest first (a parent before its replies); parent_external_id = the
  comment replied to, else the post. Comments carry no edit time: a comment edited later is
  not listed again until a full sync. by_owner marks the page's own replies.

Writes: reply POST /{object}/comments message=...; private reply POST /{page}/messages
{"recipient": {"comment_id": ...}, "message": {"text": ...}} (one per comment: a second
raises AlreadyReplied); an answer in the conversation POST /{page}/messages
{"recipient": {"id": <page-scoped id>}, "messaging_type": "RESPONSE", ...}; the person's
messages GET /{page}/conversations?platform=messenger&user_id=... then
/{conversation}/messages; hide POST /{comment} is_hidden=true|false; pin POST /{post}
is_pinned=true|false (page posts only: Facebook refuses it for comments and says so);
publish POST /{page}/feed message=...; delete DELETE /{comment}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from feeds.connectors.base import (
    Capabilities,
    Connector,
    ExternalItem,
    Page,
    PostedReply,
    Watermark,
    WatermarkBuilder,
    decode_cursor,
    encode_cursor,
    items_past_mark,
    parse_time,
    with_last_cursor,
)
from feeds.connectors.errors import (
    AlreadyReplied,
    AuthExpired,
    ConfigurationError,
    ConnectorError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)
from feeds.connectors.http import HttpErrorInfo, JsonHttpClient, generic_error

log = logging.getLogger("feeds.connectors.facebook")

DEFAULT_API_VERSION = "v21.0"
RATING_FIELDS = (
    "created_time,recommendation_type,review_text,reviewer{name,id},open_graph_story{id}"
)
POST_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,from{name,id},shares,"
    "reactions.summary(total_count),comments.summary(total_count)"
)
COMMENT_FIELDS = (
    "id,message,created_time,from{name,id},like_count,comment_count,parent{id},permalink_url"
)
REPLY_MAX_CHARS = 8000
# Graph API error codes
AUTH_CODES = {102, 190, 463, 467}
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))
TRANSIENT_CODES = {1, 2}
ALREADY_REPLIED_CODES = {10900}


def _regain_seconds(headers) -> float | None:
    """Facebook's own throttling hint: estimated_time_to_regain_access (minutes) in the
    X-Business-Use-Case-Usage header."""
    raw = headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in (usage.values() if isinstance(usage, dict) else [])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    minutes = [float(m) for m in minutes if isinstance(m, (int, float))]
    return max(minutes) * 60 if minutes else None


def classify_facebook(info: HttpErrorInfo) -> ConnectorError:
    """{"error": {"message", "type", "code", "error_subcode", "error_user_msg", "fbtrace_id"}}"""
    err = info.data.get("error") if isinstance(info.data, dict) else None
    if not isinstance(err, dict):
        return generic_error(info, info.text or f"HTTP {info.status}", platform="facebook")
    message = str(err.get("error_user_msg") or err.get("message") or f"HTTP {info.status}")
    code = err.get("code")
    subcode = err.get("error_subcode")
    kw = {"platform": "facebook", "status": info.status, "platform_code": code}
    if code in AUTH_CODES or (info.status == 401 and code is None):
        return AuthExpired(message, **kw)
    if code in RATE_CODES or info.status == 429:
        wait = info.retry_after if info.retry_after is not None else _regain_seconds(info.headers)
        return RateLimited(message, retry_after_seconds=wait, **kw)
    if code in ALREADY_REPLIED_CODES:
        return AlreadyReplied(message, **kw)
    if (code == 100 and subcode == 33) or info.status == 404:
        return NotFound(message, **kw)
    if code in TRANSIENT_CODES or err.get("is_transient") or info.status >= 500:
        return TransientError(message, **kw)
    return PermanentError(message, **kw)


class FacebookConnector(Connector):
    kind = "facebook"
    display_name = "Facebook"
    default_base_url = "https://graph.facebook.com"
    capabilities: ClassVar[Capabilities] = Capabilities(
        can_reply=True,
        can_private_reply=True,
        can_pin=True,
        can_hide=True,
        can_delete_reply=True,
        can_publish_post=True,
    )

    def __init__(self, settings, credentials, *, base_url=None, options=None) -> None:
        super().__init__(settings, credentials, base_url=base_url, options=options)
        self.page_id = self._require(self.settings, "page_id", "the page id")
        self.access_token = self._require(self.credentials, "access_token", "the page token")
        self.api_version = str(self.settings.get("api_version") or DEFAULT_API_VERSION)
        if not self.api_version.startswith("v"):
            self.api_version = "v" + self.api_version
        try:
            self.lookback = timedelta(days=float(self.settings.get("lookback_days") or 30))
            self.limit = max(1, min(100, int(self.settings.get("limit") or 50)))
        except (TypeError, ValueError):
            raise ConfigurationError(
                "Facebook: lookback_days and limit must be numbers.", platform="facebook"
            ) from None
        self.include_ratings = self.settings.get("include_ratings", True) is not False
        self.include_posts = self.settings.get("include_posts", True) is not False
        app_secret = str(self.credentials.get("app_secret") or "")
        self.proof = (
            hmac.new(app_secret.encode(), self.access_token.encode(), hashlib.sha256).hexdigest()
            if app_secret
            else None
        )
        self.http = JsonHttpClient(
            self.base_url,
            platform="facebook",
            classify=classify_facebook,
            secrets=[self.access_token, app_secret, self.proof or ""],
            options=self.options,
        )
        self._posted: dict[str, PostedReply] = {}

    # ------------------------------------------------------------------- transport
    def _auth(self) -> dict[str, str]:
        auth = {"access_token": self.access_token}
        if self.proof:
            auth["appsecret_proof"] = self.proof
        return auth

    def _path(self, *parts: str) -> str:
        return "/".join([self.api_version, *(quote(p, safe="") for p in parts)])

    def _get(self, *parts: str, params: dict | None = None) -> Any:
        query = {**(params or {}), **self._auth()}
        return self.http.request("GET", self._path(*parts), params=query)

    def _post(self, *parts: str, form: dict) -> Any:
        return self.http.request("POST", self._path(*parts), form={**form, **self._auth()})

    def _pages(self, *parts: str, params: dict) -> Iterator[list[dict]]:
        """Follow Graph cursor paging (paging.cursors.after while paging.next exists). The
        `next` URL itself is never fetched: it embeds the token and could point anywhere."""
        after = None
        while True:
            query = {**params, "limit": self.limit}
            if after:
                query["after"] = after
            data = self._get(*parts, params=query)
            rows = data.get("data") or []
            stop = yield rows
            paging = data.get("paging") or {}
            new_after = (paging.get("cursors") or {}).get("after")
            if stop or not rows or not paging.get("next") or not new_after or new_after == after:
                return
            after = new_after

    # --------------------------------------------------------------------- reading
    def list_items(self, since_cursor: str | None) -> Iterator[Page]:
        state = decode_cursor(self.kind, since_cursor)
        ceiling = self.watermark_ceiling()
        ratings_mark = Watermark.from_json(state.get("r")).not_after(ceiling)
        posts_mark = Watermark.from_json(state.get("p")).not_after(ceiling)
        ratings_builder = WatermarkBuilder(ratings_mark)
        posts_builder = WatermarkBuilder(posts_mark)

        def pages() -> Iterator[list[ExternalItem]]:
            if self.include_ratings:
                yield from self._ratings(ratings_mark, ratings_builder)
            if self.include_posts:
                yield from self._posts(posts_mark, posts_builder)

        def cursor() -> str:
            return encode_cursor(
                self.kind,
                r=ratings_builder.build(not_after=ceiling).to_json(),
                p=posts_builder.build(not_after=ceiling).to_json(),
            )

        return with_last_cursor(pages(), cursor)

    def _ratings(self, mark: Watermark, builder: WatermarkBuilder) -> Iterator[list[ExternalItem]]:
        pager = self._pages(self.page_id, "ratings", params={"fields": RATING_FIELDS})
        rows = next(pager, None)
        while rows is not None:
            items, reached_old = items_past_mark(map(self.rating_item, rows), mark, builder)
            yield items
            try:
                rows = pager.send(reached_old)
            except StopIteration:
                rows = None

    def _posts(self, mark: Watermark, builder: WatermarkBuilder) -> Iterator[list[ExternalItem]]:
        cutoff = self.now() - self.lookback
        pager = self._pages(self.page_id, "feed", params={"fields": POST_FIELDS})
        rows = next(pager, None)
        while rows is not None:
            posts, changed, too_old = [], [], False
            for row in rows:
                item = self.post_item(row)
                if item.published_at < cutoff:
                    too_old = True
                    continue
                updated = parse_time(row.get("updated_time") or row["created_time"])
                if mark.admits(updated, item.external_id):
                    posts.append(item)
                    changed.append(item.external_id)
                    builder.observe(updated, item.external_id)
            yield posts
            for post_id in changed:
                yield self._comments(post_id, mark.at)
            try:
                rows = pager.send(too_old)
            except StopIteration:
                rows = None

    def _comments(self, post_id: str, since: datetime | None) -> list[ExternalItem]:
        pager = self._pages(
            post_id,
            "comments",
            params={"fields": COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological"},
        )
        out: list[ExternalItem] = []
        rows = next(pager, None)
        while rows is not None:
            reached_old = False
            for row in rows:
                item = self.comment_item(row, post_id)
                if since is not None and item.published_at <= since:
                    reached_old = True
                    continue
                out.append(item)
            try:
                rows = pager.send(reached_old)
            except StopIteration:
                rows = None
        out.sort(key=lambda i: (i.published_at, i.external_id))
        return out

    # ------------------------------------------------------------------- mapping
    def rating_item(self, row: dict) -> ExternalItem:
        story = (row.get("open_graph_story") or {}).get("id")
        reviewer = row.get("reviewer") or {}
        if story:
            external_id = str(story)
        else:  # Facebook withheld the story: a stable id from what identifies the rating
            basis = "|".join(
                str(x or "")
                for x in (reviewer.get("id"), row.get("created_time"), row.get("review_text"))
            )
            external_id = "rating:" + hashlib.sha256(basis.encode()).hexdigest()[:24]
        return ExternalItem(
            external_id=external_id,
            kind="review",
            author_name=str(reviewer.get("name") or ""),
            rating=None,  # recommendations are positive/negative: see raw["recommendation_type"]
            text=str(row.get("review_text") or ""),
            language=None,
            url="",
            published_at=parse_time(row["created_time"]),
            raw=row,
        )

    def post_item(self, row: dict) -> ExternalItem:
        author = row.get("from") or {}
        return ExternalItem(
            external_id=str(row["id"]),
            kind="mention",
            author_name=str(author.get("name") or ""),
            rating=None,
            text=str(row.get("message") or ""),
            language=None,
            url=str(row.get("permalink_url") or ""),
            published_at=parse_time(row["created_time"]),
            likes=_total(row.get("reactions")),
            shares=int((row.get("shares") or {}).get("count") or 0),
            replies=_total(row.get("comments")),
            by_owner=str(author.get("id") or "") == self.page_id,
            raw=row,
        )

    def comment_item(self, row: dict, post_id: str) -> ExternalItem:
        author = row.get("from") or {}
        parent = (row.get("parent") or {}).get("id")
        return ExternalItem(
            external_id=str(row["id"]),
            kind="comment",
            author_name=str(author.get("name") or ""),
            rating=None,
            text=str(row.get("message") or ""),
            language=None,
            url=str(row.get("permalink_url") or ""),
            published_at=parse_time(row["created_time"]),
            likes=int(row.get("like_count") or 0),
            replies=int(row.get("comment_count") or 0),
            parent_external_id=str(parent or post_id),
            by_owner=str(author.get("id") or "") == self.page_id,
            raw=row,
        )

    def check(self) -> None:
        self._get(self.page_id, params={"fields": "id,name"})

    # --------------------------------------------------------------------- writing
    def _own_row(self, data: dict, text: str) -> PostedReply | None:
        """Of a Graph list answer, the page's own post or comment with exactly `text`."""
        for row in data.get("data") or []:
            if str((row.get("from") or {}).get("id") or "") == self.page_id and (
                str(row.get("message") or "").strip() == text.strip()
            ):
                return PostedReply(
                    external_reply_id=str(row["id"]),
                    url=row.get("permalink_url"),
                    already_existed=True,
                    raw=row,
                )
        return None

    def _existing_reply(self, object_id: str, text: str) -> PostedReply | None:
        """The page's own reply with exactly this text under `object_id`, if one is there (a
        previous try that timed out after Facebook had taken it)."""
        data = self._get(
            object_id,
            "comments",
            params={
                "fields": "id,message,from{id},permalink_url",
                "filter": "toplevel",
                "order": "reverse_chronological",
                "limit": 100,
            },
        )
        return self._own_row(data, text)

    def post_reply(
        self,
        external_id: str,
        text: str,
        *,
        idempotency_key: str,
        may_replace: Collection[str] = (),
    ) -> PostedReply:
        """Comment as the page on a post, comment or rating (its open_graph_story id).

        Graph has no idempotency keys and a comment POST is not idempotent, so: a timeout or
        5xx is not retried here (TransientError.maybe_applied=True); before posting, the
        page's recent replies under the object are checked and an identical one is returned
        (already_existed=True) instead of posting it twice."""
        self._check_text(text, REPLY_MAX_CHARS)
        if idempotency_key in self._posted:
            return self._posted[idempotency_key]
        posted = self._existing_reply(external_id, text)
        if posted is None:
            data = self._post(external_id, "comments", form={"message": text})
            posted = PostedReply(external_reply_id=str(data["id"]), url=None, raw=data)
            log.info("facebook: replied to %s (key %s)", external_id, idempotency_key)
        self._posted[idempotency_key] = posted
        return posted

    def private_reply(self, external_id: str, text: str, *, idempotency_key: str) -> PostedReply:
        """A Messenger message to the author of comment `external_id` (within 7 days of the
        comment, once per comment: a second try raises AlreadyReplied)."""
        self._check_text(text, 2000)
        if idempotency_key in self._posted:
            return self._posted[idempotency_key]
        data = self.http.request(
            "POST",
            self._path(self.page_id, "messages"),
            params=self._auth(),
            json_body={"recipient": {"comment_id": external_id}, "message": {"text": text}},
        )
        posted = PostedReply(external_reply_id=str(data.get("message_id") or ""), raw=data)
        self._posted[idempotency_key] = posted
        log.info("facebook: private reply to %s (key %s)", external_id, idempotency_key)
        return posted

    def send_message(self, recipient_id: str, text: str, *, idempotency_key: str) -> PostedReply:
        """A Messenger message to a person who wrote to the page (`recipient_id`: their
        page-scoped id), as an answer within Messenger's 24-hour window (messaging_type
        RESPONSE)."""
        self._check_text(text, 2000)
        if idempotency_key in self._posted:
            return self._posted[idempotency_key]
        data = self.http.request(
            "POST",
            self._path(self.page_id, "messages"),
            params=self._auth(),
            json_body={
                "recipient": {"id": recipient_id},
                "messaging_type": "RESPONSE",
                "message": {"text": text},
            },
        )
        posted = PostedReply(external_reply_id=str(data.get("message_id") or ""), raw=data)
        self._posted[idempotency_key] = posted
        log.info("facebook: message to a person (key %s)", idempotency_key)
        return posted

    def person_messages(self, recipient_id: str) -> list[dict]:
        """The Messenger messages between the page and one person (page-scoped id), newest
        first, as {"id", "message", "from": {"id", ...}, "created_time"}: GET
        /{page}/conversations?platform=messenger&user_id=..., then /{conversation}/messages.
        For reading answers when webhooks are not set up (or a delivery was lost)."""
        found = self._get(
            self.page_id,
            "conversations",
            params={"platform": "messenger", "user_id": recipient_id, "fields": "id"},
        )
        rows: list[dict] = []
        for conversation in (found.get("data") or [])[:1]:
            data = self._get(
                str(conversation["id"]),
                "messages",
                params={"fields": "id,message,from,created_time", "limit": 25},
            )
            rows.extend(r for r in data.get("data") or [] if isinstance(r, dict))
        return rows

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        self._post(external_id, form={"is_hidden": hidden})

    def pin(self, external_id: str, *, pinned: bool = True) -> None:
        """Pin (or unpin) a page post to the top of the page."""
        self._post(external_id, form={"is_pinned": pinned})

    def _existing_post(self, text: str) -> PostedReply | None:
        """The page's own recent post with exactly this text, if one is there (a previous try
        that timed out, or answered 5xx, after Facebook had taken it)."""
        data = self._get(
            self.page_id,
            "feed",
            params={"fields": "id,message,from{id},permalink_url", "limit": 25},
        )
        return self._own_row(data, text)

    def publish_post(self, text: str, *, idempotency_key: str) -> PostedReply:
        """A post on the page's feed (an official statement, to pin next). A feed POST is not
        idempotent, so, as for replies, the page's recent posts are read first and an
        identical one is returned (already_existed=True) instead of posting it twice."""
        self._check_text(text, 60000)
        if idempotency_key in self._posted:
            return self._posted[idempotency_key]
        posted = self._existing_post(text)
        if posted is not None:
            self._posted[idempotency_key] = posted
            return posted
        data = self._post(self.page_id, "feed", form={"message": text})
        posted = PostedReply(external_reply_id=str(data["id"]), raw=data)
        self._posted[idempotency_key] = posted
        return posted

    def delete_reply(self, external_reply_id: str) -> None:
        try:
            self.http.request("DELETE", self._path(external_reply_id), params=self._auth())
        except NotFound:
            log.info("facebook: %s was already deleted", external_reply_id)


def _total(edge: Any) -> int:
    if not isinstance(edge, dict):
        return 0
    return int((edge.get("summary") or {}).get("total_count") or 0)
