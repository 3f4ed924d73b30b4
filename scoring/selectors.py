"""Reads of scores. "The latest score of a review" is decided here and only here: the newest
row by `created_at`, ties broken by the higher id (a rescore in the same instant wins). It is
also stored (`LatestScore`, written by `scoring.services.latest_scores_refresh` with
`LATEST_OF_REVIEWS_SQL`): filters read it there (`latest_score_stored`), and lists read its
fields there (`latest_score_field`: the export, the monthly report, the post-crisis figures,
the dashboard, the reply target), so every page reads the score the inbox filters on."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, OuterRef, Prefetch, QuerySet

from feeds.models import Review
from scoring.models import LatestScore, ReviewScore

NEWEST_FIRST = ("-created_at", "-id")
_NEWEST_FIRST_SQL = "created_at DESC, id DESC"


def _names_sql(column: str, keys: tuple[str, ...]) -> str:
    """The entries of the JSON list `column` with only `keys` (those present), in order."""
    kept = ", ".join(f"'{key}', t->'{key}'" for key in keys)
    return (
        f"CASE WHEN jsonb_typeof({column}) = 'array' THEN (SELECT coalesce(jsonb_agg("  # noqa: S608
        f"jsonb_strip_nulls(jsonb_build_object({kept})) ORDER BY n), '[]'::jsonb) "
        f"FROM jsonb_array_elements({column}) WITH ORDINALITY AS e(t, n)) ELSE '[]'::jsonb END"
    )


# Each review's latest score by this module's rule, as `LatestScore` stores it (review_id,
# score_id, label, topics, flags), for the reviews in `%(ids)s` (all of them without the
# condition: the backfill, scoring/migrations/0006): what `scoring.services.
# latest_scores_refresh` stores.
LATEST_OF_REVIEWS_SQL = (
    "SELECT DISTINCT ON (review_id) review_id, id AS score_id, label, "  # noqa: S608
    f"{_names_sql('topics', ('name', 'sentiment'))} AS topics, "
    f"{_names_sql('flags', ('name',))} AS flags "
    f"FROM {ReviewScore._meta.db_table} WHERE review_id = ANY(%(ids)s) "
    f"ORDER BY review_id, {_NEWEST_FIRST_SQL}"
)


def topics_public(topics: list[dict]) -> list[dict]:
    """Stored care topics (`{name, triggers, sentiment?}`) as the API and webhooks name them:
    the words that raised a topic are its `evidence`, as a risk flag's are. `triggers` is
    still sent, deprecated, until the release after 2026-12-03 (CHANGELOG.md)."""
    public = []
    for topic in topics:
        evidence = topic.get("evidence", topic.get("triggers", []))
        public.append({**topic, "evidence": evidence, "triggers": evidence})
    return public


# The same in SQL, for JSON the database writes (the reviews API): `topics_public` of `column`.
TOPICS_PUBLIC_SQL = (
    "(SELECT coalesce(jsonb_agg(t || jsonb_build_object("
    "'evidence', coalesce(t->'evidence', t->'triggers'), "
    "'triggers', coalesce(t->'evidence', t->'triggers')) ORDER BY n), '[]'::jsonb) "
    "FROM jsonb_array_elements({column}) WITH ORDINALITY AS e(t, n))"
)


def scores_newest_first() -> QuerySet[ReviewScore]:
    return ReviewScore.objects.order_by(*NEWEST_FIRST)


def latest_score(review) -> ReviewScore | None:
    """The latest score of one review (a Review or its id)."""
    return scores_newest_first().filter(review=review).first()


def latest_score_stored(*, review_ref: str = "pk") -> QuerySet[LatestScore]:
    """The latest score of the review at `review_ref` as stored (`LatestScore`: its label,
    topic and flag names), for `Exists(latest_score_stored().filter(<condition>))`: a filter
    on the latest score. PostgreSQL reads one row per review it checks (a page newest first
    stops at 50), or the rows that meet the condition as a set (a COUNT), never each
    review's scores in turn."""
    return LatestScore.objects.filter(review=OuterRef(review_ref))


def latest_score_stored_exists_sql(condition: str, *, review_ref: str = "r.id") -> str:
    """`latest_score_stored` in SQL: `EXISTS` of the stored latest score `x` of `review_ref`
    meeting `condition` (on `x`)."""
    return (
        f"EXISTS (SELECT 1 FROM {LatestScore._meta.db_table} x "  # noqa: S608 - constants
        f"WHERE x.review_id = {review_ref} AND {condition})"
    )


def latest_score_field(field: str, *, through: str = "") -> F:
    """`field` of the latest score of the review (or of the row's review at `through`:
    "review" for replies), for `.annotate()` / `.values()`: read through the stored pointer
    (`LatestScore`), one join a review, so a page reads the very score the inbox filters on.
    None while the review has no score. The label is the pointer's own; the other fields are
    the score's (`score_latest__score`: its topics and flags whole, evidence included)."""
    at = f"{through}__" if through else ""
    if field == "label":
        return F(f"{at}score_latest__label")
    return F(f"{at}score_latest__score__{field}")


def latest_scores_prefetch(*, to_attr: str = "score_list", through: str = "") -> Prefetch:
    """Prefetch each review's scores newest first: `review.<to_attr>[0]` is the latest.
    `through`: the path to the review from the queryset's model ("review" for drafts)."""
    lookup = f"{through}__scores" if through else "scores"
    return Prefetch(lookup, queryset=scores_newest_first(), to_attr=to_attr)


def latest_score_lateral_sql(columns: str, *, review_ref: str = "r.id") -> str:
    """A LATERAL subquery body selecting `columns` of the latest score of `review_ref`."""
    return (
        f"SELECT {columns} FROM {ReviewScore._meta.db_table} "  # noqa: S608 - constants
        f"WHERE review_id = {review_ref} ORDER BY {_NEWEST_FIRST_SQL} LIMIT 1"
    )


def latest_score_join_sql(
    *, review_ref: str = "r.id", score: str = "s", pointer: str = "x", outer: bool = True
) -> str:
    """`latest_score_field` in SQL: the stored pointer `pointer` of `review_ref` and the score
    `score` it names, joined (LEFT JOINs with `outer`: a review with no score keeps its row,
    its score's columns NULL). Raw SQL reads the very score the inbox filters on this way,
    never its own pick of the review's scores."""
    join = "LEFT JOIN" if outer else "JOIN"
    return (
        f"{join} {LatestScore._meta.db_table} {pointer} "
        f"ON {pointer}.review_id = {review_ref} "
        f"{join} {ReviewScore._meta.db_table} {score} ON {score}.id = {pointer}.score_id"
    )


_SENTIMENT_BY_DAY_SQL = (
    "SELECT (r.published_at AT TIME ZONE %(tz)s)::date AS day, avg(s.score), count(*) "  # noqa: S608
    f"FROM {Review._meta.db_table} r {latest_score_join_sql(outer=False)} "
    "WHERE r.published_at >= %(start)s AND NOT r.is_deleted GROUP BY 1"
)


def sentiment_by_day(*, start, tz: str) -> dict:
    """Mean latest score per local day (in `tz`) of the current clinic's reviews published
    since `start`: {date: mean}. Days without a scored review are absent."""
    return {
        day: mean for day, (mean, _count) in sentiment_by_day_counted(start=start, tz=tz).items()
    }


def sentiment_by_day_counted(*, start, tz: str) -> dict:
    """As `sentiment_by_day`, with how many scored reviews each mean is of: {date: (mean, n)}
    (a trend weighs each day by it)."""
    with connection.cursor() as cursor:
        cursor.execute(_SENTIMENT_BY_DAY_SQL, {"start": start, "tz": tz})
        return {day: (float(mean), int(n)) for day, mean, n in cursor.fetchall()}


def reviews_unscored_ids(*, version: str, changed_before, limit: int = 20_000) -> list[int]:
    """Reviews of the current clinic with no score of `version`, last changed before
    `changed_before` (older than any task still in flight), not parked, not redacted (no text
    left to score: `Review.redacted_at`): the sweeper's list."""
    return list(
        Review.objects.filter(
            is_deleted=False, redacted_at__isnull=True, updated_at__lt=changed_before
        )
        .exclude(scores__model_version=version)
        .exclude(scoring_failure__parked_at__isnull=False)
        .values_list("pk", flat=True)[:limit]
    )
