"""Reviews as staff and integrators read them: every filter of the inbox and the reviews API,
each review with its latest score (`scoring.selectors`)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from clinics.selectors import changed_after, changed_since, clinic_days_as_instants
from core.answering import answer_chosen, pinned_statement
from core.api import RawItem
from core.tenancy import current_clinic
from facts.selectors import facts_citable, facts_to_confirm, facts_waiting_for_clinic
from feeds.models import (
    AWAITING_REPLY_STATUSES,
    Review,
    ReviewRevision,
    Source,
    rating_lowest_first,
)
from feeds.selectors import author_term, reviews_by_author
from scoring.claims.selectors import facts_about_claim, reach_expression
from scoring.models import ClaimMention
from scoring.selectors import (
    TOPICS_PUBLIC_SQL,
    latest_score_field,
    latest_score_join_sql,
    latest_score_stored,
    latest_score_stored_exists_sql,
    latest_scores_prefetch,
    scores_newest_first,
)

# The orders of a list of reviews (the inbox and `GET reviews/`): value -> words.
ORDERS = {
    "newest": "Newest first",
    "oldest": "Oldest first (longest waiting)",
    "rating": "Lowest rating first",
    "reach": "Most reach first",
}


def _topic_wanted(topic: str | None, topic_sentiment: str | None) -> dict:
    """What the latest score's topics list must hold one of: a topic of that name and/or of
    that sentiment (`topic_sentiment` alone: any topic said with that sentiment)."""
    wanted = {}
    if topic:
        wanted["name"] = topic
    if topic_sentiment:
        wanted["sentiment"] = topic_sentiment
    return wanted


def reviews_matching(
    *,
    source: str | None = None,
    source_id: int | None = None,
    rating: int | None = None,
    rating_max: int | None = None,
    sentiment: str | None = None,
    status: str | None = None,
    published_from: date | datetime | None = None,
    published_to: date | datetime | None = None,
    updated_after: date | datetime | None = None,
    q: str | None = None,
    author: str | None = None,
    include_deleted: bool = False,
    flag: str | None = None,
    topic: str | None = None,
    topic_sentiment: str | None = None,
    sla: str | None = None,
    cluster: int | None = None,
    order: str = "newest",
) -> QuerySet[Review]:
    """The reviews of the current clinic matching every filter given (a falsy one filters
    nothing), in `order` (`ORDERS`). `sla="breached"`: past the clinic's reply target now
    (`reviews_past_reply_target`). `published_from`/`_to`: a day is the whole day in the
    clinic's time zone (both inclusive); an instant is exact (`published_to` exclusive).
    `updated_after`: changed since (`clinics.selectors.changed_after`)."""
    published_from, published_to = clinic_days_as_instants(published_from, published_to)
    qs = Review.objects.all()
    if not include_deleted:
        qs = qs.filter(is_deleted=False)
    if source:
        qs = qs.filter(source__kind=source)
    if source_id:
        qs = qs.filter(source_id=source_id)
    if rating:
        qs = qs.filter(rating=rating)
    if rating_max:
        qs = qs.filter(rating__lte=rating_max)
    if status:
        qs = qs.filter(status=status)
    if published_from:
        qs = qs.filter(published_at__gte=published_from)
    if published_to:
        qs = qs.filter(published_at__lt=published_to)
    if updated_after:
        qs = qs.filter(changed_after("updated_at", updated_after))
    if q:
        qs = qs.filter(text__icontains=q.strip())
    if author and author_term(author):
        qs = qs & reviews_by_author(author)
    # the latest score has such a label, flag or topic: EXISTS of the latest score as stored
    # (`latest_score_stored`, one row a review), never each review's scores read in turn; a
    # rescored review lists under its new label only
    latest = latest_score_stored()
    if sentiment == "unscored":
        qs = qs.filter(~Exists(latest))
    elif sentiment:
        qs = qs.filter(Exists(latest.filter(label=sentiment)))
    if flag:
        qs = qs.filter(Exists(latest.filter(flags__contains=[{"name": flag}])))
    if wanted := _topic_wanted(topic, topic_sentiment):
        qs = qs.filter(Exists(latest.filter(topics__contains=[wanted])))
    if sla:
        qs = qs.filter(pk__in=_breached_now().values("pk"))
    if cluster:
        qs = qs.filter(claim_mention__cluster_id=cluster)
    if order == "reach":
        return qs.annotate(reach=reach_expression()).order_by("-reach", "-id")
    if order == "oldest":
        return qs.order_by("published_at", "id")
    if order == "rating":  # the lowest first, unrated mentions last; then newest first
        return qs.order_by(rating_lowest_first().desc(), "-published_at", "-id")
    return qs.order_by("-published_at", "-id")


def _breached_now() -> QuerySet[Review]:
    return reviews_past_reply_target(
        target_minutes=current_clinic().reply_target_minutes, now=timezone.now()
    )


# Older unanswered reviews (an imported history) are not "breaches" of the reply target.
SLA_LOOKBACK_DAYS = 30


def reviews_awaiting_reply(*, since: datetime) -> QuerySet[Review]:
    """Unanswered negative reviews published since `since`: the latest score negative or a
    rating of 1-2, still new or needing a reply, and no reply published; past reviews
    (`imported_as_past`: a history back-filled by CSV) have no reply clock and are not here.
    The one definition behind the dashboard's SLA breaches, the inbox's `?sla=breached` and
    the agency's "Waiting for a reply". "No reply published" reads `responses.ReplyDraft`
    through the reverse relation it declares on Review (`reply_drafts`), never by importing
    it (docs/architecture.md)."""
    return reply_target_counted(
        Review.objects.filter(
            is_deleted=False,
            status__in=AWAITING_REPLY_STATUSES,
            published_at__gte=since,
        )
    ).exclude(reply_drafts__status="published")


# The latest score's label, as `reply_target_counted` annotates it.
_TARGET_LABEL = "_reply_target_label"


def _reply_target_rule(through: str) -> Q:
    """The rule "does the reply target (the SLA) count this review" as a query condition on
    a queryset annotated with `_TARGET_LABEL`: not a past review imported as history, and
    rated 1-2 or negative by its latest score. `through`: the path to the review ("review"
    for replies)."""
    at = f"{through}__" if through else ""
    return Q(**{f"{at}imported_as_past": False}) & (
        Q(**{f"{at}rating__lte": 2}) | Q(**{_TARGET_LABEL: "negative"})
    )


def _with_target_label(qs: QuerySet, through: str) -> QuerySet:
    return qs.annotate(**{_TARGET_LABEL: latest_score_field("label", through=through)})


def reply_target_counted(qs: QuerySet, *, through: str = "") -> QuerySet:
    """`qs` narrowed to the reviews the reply target (the SLA) counts, or to the rows whose
    review it counts (`through="review"`: replies): the one rule, as a query, behind the
    dashboard's and the inbox's SLA breaches (`reviews_awaiting_reply`), the reply clock the
    pages show (`review_counts_for_reply_target`) and the monthly report's "within the reply
    target"."""
    return _with_target_label(qs, through).filter(_reply_target_rule(through))


def reply_target_marked(qs: QuerySet, *, through: str = "") -> QuerySet:
    """`qs` with `counts_for_reply_target`: whether the reply target counts the review (or the
    row's review, `through`), by `reply_target_counted`'s rule."""
    return _with_target_label(qs, through).annotate(
        counts_for_reply_target=ExpressionWrapper(
            _reply_target_rule(through), output_field=BooleanField()
        )
    )


def review_counts_for_reply_target(review: Review, *, label: str | None = None) -> bool:
    """Whether the reply target (the SLA) counts `review`: not a past review imported as
    history, and rated 1-2 or negative by its latest score (`label`, read when not given):
    `reply_target_counted`'s rule, for one review in hand. Pages show a reply clock only for
    these; a 5-star thank-you has none. Lists prefetch the scores
    (`latest_scores_prefetch(through="review")`) so this reads no row per review."""
    if review.imported_as_past:
        return False
    if review.rating is not None and review.rating <= 2:
        return True
    if label is None:
        prefetched = getattr(review, "score_list", None)  # scoring.selectors.latest_scores_prefetch
        if prefetched is not None:
            label = prefetched[0].label if prefetched else None
        else:
            label = (
                scores_newest_first().filter(review=review).values_list("label", flat=True).first()
            )
    return label == "negative"


# Where a review's reply stands, from responses.ReplyDraft's statuses read through the reverse
# relation Review declares (`reply_drafts`; the inbox sits below responses and names them).
REPLY_IN_PROGRESS = (
    "draft", "changes_requested", "pending_agency", "pending_legal", "pending_clinician",
    "pending_client",
)  # fmt: skip
REPLY_STATES = {
    "none": "No reply in Carewatch yet",
    "drafted": "Reply in progress",
    "approved": "Reply approved, not posted yet",
    "published": "Reply posted",
}


def _replies(statuses) -> QuerySet:
    return Review._meta.get_field("reply_drafts").related_model.objects.filter(
        review=OuterRef("pk"), status__in=statuses
    )


# Each reply state as the statuses a reply must have (reached) and must not have (beyond it).
_REPLY_STATE_RULES = {
    "published": (("published",), ()),
    "approved": (("approved",), ("published",)),
    "drafted": (REPLY_IN_PROGRESS, ("published", "approved")),
    "none": ((), ("published", "approved", *REPLY_IN_PROGRESS)),
}


def reply_state_is(state: str) -> Q:
    """The condition "`with_reply_state` would say `state`", as plain EXISTS / NOT EXISTS: a
    filter PostgreSQL runs as a hash semi- or anti-join, where filtering on the CASE of
    `with_reply_state` runs three subqueries per review of the clinic."""
    reached, beyond = _REPLY_STATE_RULES[state]
    condition = Q(Exists(_replies(reached))) if reached else Q()
    if beyond:
        condition &= ~Exists(_replies(beyond))
    return condition


def with_reply_state(qs: QuerySet[Review]) -> QuerySet[Review]:
    """`qs` with `reply_state`: the furthest any reply to it got (published > approved >
    drafted > none). To filter on it, use `reply_state_is` (the same rule): this CASE is for
    the rows shown, it costs three subqueries per row read."""
    return qs.annotate(
        reply_state=Case(
            *(
                When(Exists(_replies(_REPLY_STATE_RULES[state][0])), then=Value(state))
                for state in ("published", "approved", "drafted")
            ),
            default=Value("none"),
            output_field=CharField(),
        )
    )


def claims_unanswered(cluster_ids) -> dict[int, int]:
    """claim id -> how many of its live mentions have no reply yet (none drafted, approved or
    posted): what answering the claim as a whole answers."""
    ids = list(cluster_ids)
    if not ids:
        return {}
    rows = (
        Review.objects.filter(
            reply_state_is("none"), claim_mention__cluster_id__in=ids, is_deleted=False
        )
        .values("claim_mention__cluster_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {row["claim_mention__cluster_id"]: row["n"] for row in rows}
    return {i: found.get(i, 0) for i in ids}


def answer_menus(claims) -> dict:
    """What the claims tables' "one answer" menus need (the inbox and the incident room): each
    claim gets `answer_chosen` (the answer its menu starts on), `unanswered` (what answering
    it as a whole answers) and `facts_offered` (the citable facts about it, which its menu
    offers: `scoring.claims.selectors.facts_about_claim`); returns the page's `facts`
    (citable, for the menu of mentions ticked by hand), `pinned_statement`, `facts_waiting`
    (facts to confirm, counted when none is citable), `facts_asked` (those of them the clinic
    was asked to confirm) and `bulk_chosen`."""
    facts = list(facts_citable())
    pinned = pinned_statement()
    fact_slugs = {f.slug for f in facts}
    unanswered = claims_unanswered(c.pk for c in claims)
    for claim in claims:
        claim.answer_chosen = answer_chosen(claim.contradicts, fact_slugs, pinned)
        claim.unanswered = unanswered[claim.pk]
        claim.facts_offered = facts_about_claim(claim.contradicts, facts)
    return {
        "facts": facts,
        "pinned_statement": pinned,
        "facts_waiting": 0 if facts else facts_to_confirm().count(),
        "facts_asked": 0 if facts else facts_waiting_for_clinic().count(),
        "bulk_chosen": answer_chosen(None, fact_slugs, pinned),
    }


# What a page says of a past review's reply clock (there is none).
NO_CLOCK_WORDS = "no reply target (a past review, imported as history)"


def reply_clock(
    review: Review, *, target_minutes: int, now: datetime, answered_at: datetime | None = None
) -> dict | None:
    """The reply clock of `review`, the one rule behind every "overdue by" and "past the
    target": due at its publication + the clinic's reply target; until `answered_at` (the
    reply's publication) it runs against `now`, then it stops there. `remaining_seconds` is
    negative once due (its absolute value is the time past the target, never the time
    waited). None for a past review (`imported_as_past`): no clock runs for it."""
    if review.imported_as_past:
        return None
    due = review.published_at + timedelta(minutes=target_minutes)
    remaining = (due - (answered_at or now)).total_seconds()
    return {
        "target_minutes": target_minutes,
        "due_at": due,
        "remaining_seconds": int(remaining),
        "breached": remaining < 0,
        "met": answered_at is not None and remaining >= 0,
        "running": answered_at is None,
    }


def reviews_past_reply_target(*, target_minutes: int, now: datetime) -> QuerySet[Review]:
    """The SLA breaches of the current clinic: reviews awaiting a reply (the last
    SLA_LOOKBACK_DAYS days) published more than `target_minutes` before `now`."""
    since = now - timedelta(days=SLA_LOOKBACK_DAYS)
    return reviews_awaiting_reply(since=since).filter(
        published_at__lt=now - timedelta(minutes=target_minutes)
    )


def reply_target_figures(*, target_minutes: int, now: datetime) -> tuple[int, datetime | None]:
    """(how many reviews are past the reply target now, the next moment another one passes
    it or None): the dashboard's SLA figures, from `reviews_awaiting_reply`."""
    target = timedelta(minutes=target_minutes)
    breaches = reviews_past_reply_target(target_minutes=target_minutes, now=now).count()
    first = (
        reviews_awaiting_reply(since=now - timedelta(days=SLA_LOOKBACK_DAYS))
        .filter(published_at__gte=now - target)
        .aggregate(first=Min("published_at"))["first"]
    )
    return breaches, (first + target if first is not None else None)


# "New in the last 24 hours" on the agency dashboard: what arrived in Carewatch since.
ARRIVALS_WINDOW = timedelta(hours=24)


def arrivals_figures(*, now: datetime) -> dict:
    """What arrived in the current clinic in the ARRIVALS_WINDOW before `now` (stored after
    `now - ARRIVALS_WINDOW`: an item exactly 24 hours old is out): reviews, comments and
    mentions, not taken down and not history imported as past. `arrived`: how many;
    `negative`: those of them rated 1-2 or negative by their latest score (the reply target's
    rule, `reply_target_counted`); `changes_at`: the moment the oldest of them leaves the
    window, when the figure drops without any new item (None when nothing arrived)."""
    qs = Review.objects.filter(
        is_deleted=False,
        imported_as_past=False,
        created_at__gt=now - ARRIVALS_WINDOW,
        created_at__lte=now,
    )
    found = qs.aggregate(arrived=Count("pk"), oldest=Min("created_at"))
    return {
        "arrived": found["arrived"],
        "negative": reply_target_counted(qs).count() if found["arrived"] else 0,
        "changes_at": found["oldest"] + ARRIVALS_WINDOW if found["oldest"] else None,
    }


def reviews_filtered(**filters) -> QuerySet[Review]:
    """The inbox query: every filter the API and the staff inbox offer (see `reviews_matching`),
    newest first, with the latest score of each review prefetched (`review.score_list`)."""
    return (
        reviews_matching(**filters)
        .select_related("source")
        .prefetch_related(latest_scores_prefetch())
    )


def score_rounded(score: float) -> float:
    """A score as the API shows it: 4 decimals, rounded half away from zero from its
    15-significant-digit decimal form. This is PostgreSQL's `round(score::numeric, 4)`, so that
    the reviews that PostgreSQL renders (`reviews_page_json`) and the serializers agree to the bit."""
    exact = Decimal(f"{score:.15g}").quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return float(exact) + 0.0  # no "-0.0"


def _iso_sql(column: str) -> str:
    """SQL writing a timestamptz exactly as the API (DRF, TIME_ZONE UTC) writes a datetime:
    ISO 8601 in UTC, microseconds only when there are any, "Z". NULL stays NULL."""
    return (
        f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
        "'.000000Z', 'Z')"
    )


# `score_rounded` in SQL, written as Python writes a float (1.0, not 1).
_SCORE_SQL = (
    "CASE WHEN round(s.score::numeric, 4) = trunc(s.score::numeric) "
    "THEN (trunc(s.score::numeric)::int::text || '.0')::json "
    "ELSE to_json(round(s.score::numeric, 4)::float8) END"
)


def _review_where(
    *,
    source: str | None = None,
    source_id: int | None = None,
    rating: int | None = None,
    rating_max: int | None = None,
    sentiment: str | None = None,
    status: str | None = None,
    published_from: date | datetime | None = None,
    published_to: date | datetime | None = None,
    updated_after: date | datetime | None = None,
    q: str | None = None,
    author: str | None = None,
    include_deleted: bool = False,
    flag: str | None = None,
    topic: str | None = None,
    topic_sentiment: str | None = None,
    sla: str | None = None,
    cluster: int | None = None,
    order: str = "newest",
) -> tuple[list[str], list]:
    """`reviews_matching`'s filters as SQL conditions on `r` (feeds_review) and their
    parameters. tests/inbox/test_reviews_api.py runs every filter through both and compares."""
    published_from, published_to = clinic_days_as_instants(published_from, published_to)

    where, params = [], []
    if not include_deleted:
        where.append("NOT r.is_deleted")
    if source:
        where.append(f"r.source_id IN (SELECT id FROM {Source._meta.db_table} WHERE kind = %s)")  # noqa: S608
        params.append(source)
    for value, condition in (
        (source_id, "r.source_id = %s"),
        (rating, "r.rating = %s"),
        (rating_max, "r.rating <= %s"),
        (status, "r.status = %s"),
        (published_from, "r.published_at >= %s"),
        (published_to, "r.published_at < %s"),
    ):
        if value:  # as reviews_matching: a falsy filter is no filter
            where.append(condition)
            params.append(value)
    if updated_after:
        since, inclusive = changed_since(updated_after)
        where.append(f"r.updated_at {'>=' if inclusive else '>'} %s")
        params.append(since)
    if q:  # Django's icontains on PostgreSQL, exactly
        where.append("UPPER(r.text::text) LIKE UPPER(%s)")
        params.append(f"%{connection.ops.prep_for_like_query(q.strip())}%")
    if author and author_term(author):  # feeds.selectors.reviews_by_author, exactly
        where.append("UPPER(r.author_name::text) LIKE UPPER(%s)")
        params.append(f"%{connection.ops.prep_for_like_query(author_term(author))}%")
    # the latest score as stored, as reviews_matching
    if sentiment == "unscored":
        where.append(f"NOT {latest_score_stored_exists_sql('true')}")
    elif sentiment:  # the latest score's label
        where.append(latest_score_stored_exists_sql("x.label = %s"))
        params.append(sentiment)
    if flag:  # the latest score has a flag of that name
        where.append(
            latest_score_stored_exists_sql(
                "x.flags @> jsonb_build_array(jsonb_build_object('name', %s::text))"
            )
        )
        params.append(flag)
    if wanted := _topic_wanted(topic, topic_sentiment):  # the latest score names such a topic
        where.append(latest_score_stored_exists_sql("x.topics @> jsonb_build_array(%s::jsonb)"))
        params.append(json.dumps(wanted))
    if sla:  # the ORM's definition, compiled: one rule for the page, the API and the dashboard
        breached, breached_params = _breached_now().values("pk").query.sql_with_params()
        where.append(f"r.id IN ({breached})")
        params += list(breached_params)
    if cluster:
        where.append(
            f"EXISTS (SELECT 1 FROM {ClaimMention._meta.db_table} cm "  # noqa: S608 - constants
            "WHERE cm.review_id = r.id AND cm.cluster_id = %s)"
        )
        params.append(cluster)
    return where, params


REACH_SQL = "(r.likes + r.shares + r.replies)"
_PUBLISHED_SQL = _iso_sql("r.published_at")

# Each order as its keyset: (the key's expressions before `r.id`, what the page writes of each
# (the cursor's key), ascending?). Every part runs the same way, so a row comparison seeks the
# page: "rating" (the lowest first, then the newest) sorts the negated rating descending.
ORDER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "newest": (("r.published_at",), (_PUBLISHED_SQL,), False),
    "oldest": (("r.published_at",), (_PUBLISHED_SQL,), True),
    "reach": ((REACH_SQL,), (REACH_SQL,), False),
    "rating": (
        ("(-coalesce(r.rating, 6))", "r.published_at"),
        ("(-coalesce(r.rating, 6))", _PUBLISHED_SQL),
        False,
    ),
}


@cache
def _review_object_sql(*, detail: bool) -> str:
    """`json_build_object(...)` of one review `r` with its source `src` and latest score `s`:
    the same text for every request, so built once."""
    fields = [
        ("id", "r.id"), ("source", "src.kind"), ("source_id", "r.source_id"),
        ("source_name", "src.name"), ("external_id", "r.external_id"), ("kind", "r.kind"),
        ("author_name", "r.author_name"), ("rating", "r.rating"), ("text", "r.text"),
        ("language", "r.language"), ("url", "r.url"),
        ("published_at", _iso_sql("r.published_at")), ("edited_at", _iso_sql("r.edited_at")),
        ("likes", "r.likes"), ("shares", "r.shares"), ("replies", "r.replies"),
        ("parent_id", "r.parent_id"), ("status", "r.status"),
        ("imported_as_past", "r.imported_as_past"),
        ("sentiment", "CASE WHEN s.label IS NULL THEN NULL ELSE json_build_object('label', "
                      f"s.label, 'score', {_SCORE_SQL}, 'model', s.model_version, "
                      f"'topics', {TOPICS_PUBLIC_SQL.format(column='s.topics')}, "
                      "'flags', s.flags) END"),
        ("created_at", _iso_sql("r.created_at")), ("updated_at", _iso_sql("r.updated_at")),
        ("is_deleted", "r.is_deleted"), ("deleted_at", _iso_sql("r.deleted_at")),
    ]  # fmt: skip
    if detail:
        revision = (
            "json_build_object('kind', v.kind, 'text', v.text, 'rating', v.rating, "
            f"'edited_at', {_iso_sql('v.edited_at')}, 'captured_at', {_iso_sql('v.captured_at')})"
        )
        fields += [
            ("revisions", f"(SELECT coalesce(json_agg({revision} ORDER BY v.captured_at DESC, "  # noqa: S608
                          f"v.id DESC), '[]') FROM {ReviewRevision._meta.db_table} v "
                          "WHERE v.review_id = r.id)"),
        ]  # fmt: skip
    pairs = ", ".join(f"'{name}', {value}" for name, value in fields)
    return f"json_build_object({pairs})"


def _review_json_sql(
    where: list[str], *, detail: bool, limit: bool, order: str = "newest", reverse: bool = False
) -> str:
    """The reviews matching `where` in `order` (`ORDER_KEYS`), each as its key parts and its
    JSON; `reverse` reads the page the other way (the rows before a cursor), written back in
    `order`."""
    keys, shown, ascending = ORDER_KEYS[order]
    read = "ASC" if ascending != reverse else "DESC"
    written = "ASC" if ascending else "DESC"
    page = (
        f"SELECT * FROM {Review._meta.db_table} r"  # noqa: S608 - constants; values are parameters
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {', '.join(f'{k} {read}' for k in keys)}, r.id {read}"
        + (" LIMIT %s" if limit else "")
    )
    return (
        f"SELECT {', '.join(shown)}, r.id, {_review_object_sql(detail=detail)}::text "  # noqa: S608
        f"FROM ({page}) r JOIN {Source._meta.db_table} src ON src.id = r.source_id "
        # the stored latest score (`latest_score_field`): the one the filters read
        f"{latest_score_join_sql(score='s', pointer='ls')} "
        f"ORDER BY {', '.join(f'{k} {written}' for k in keys)}, r.id {written}"
    )


def _reviews_json(sql: str, params: list) -> list[RawItem]:
    with connection.prepared_cursor() as cursor:  # planned once per connection and shape
        cursor.execute(sql, params)
        return [RawItem(key=tuple(row[:-1]), json=row[-1]) for row in cursor.fetchall()]


def reviews_page_json(
    filters: dict, *, after: tuple[datetime, int] | None, newer: bool, limit: int
) -> list[RawItem]:
    """Up to `limit` reviews matching `filters` (`reviews_matching`'s), in the order they name
    (`ORDER_KEYS`; newest first by default), each as the JSON text the API writes for it
    (`ReviewOutputSerializer`, with its latest score) and its ordering key (e.g. published_at
    as written, id). With `after` (a key), only the reviews after it in that order, or with
    `newer` the `limit` nearest reviews before it: a keyset page, one index range scan
    however deep.

    PostgreSQL writes the JSON, in one round trip: the list endpoint serves 50-500 reviews per
    request, and turning rows into Python objects and back into JSON was most of its time. The
    serializers stay the documented schema; tests compare both outputs field for field."""
    where, params = _review_where(**filters)
    order = filters.get("order") or "newest"
    keys, _, ascending = ORDER_KEYS[order]
    if after is not None:
        onward = "<" if ascending == newer else ">"  # "after" in the order's own direction
        where.append(f"({', '.join(keys)}, r.id) {onward} ({', '.join(['%s'] * len(after))})")
        params += list(after)
    sql = _review_json_sql(where, detail=False, order=order, reverse=newer, limit=True)
    return _reviews_json(sql, [*params, limit])


def review_detail_json(review_id: int) -> str | None:
    """One review (deleted ones too) as the JSON text of `ReviewDetailSerializer`, or None."""
    sql = _review_json_sql(["r.id = %s"], detail=True, limit=False)
    found = _reviews_json(sql, [review_id])
    return found[0].json if found else None


def reviews_recent(*, limit: int = 25) -> list[Review]:
    return list(reviews_filtered()[:limit])
