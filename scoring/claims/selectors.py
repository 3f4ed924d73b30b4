"""Reading claim clusters. Count, reach (likes + shares + replies, as the platforms last
showed them) and first seen are computed from the member reviews that are still up."""

from __future__ import annotations

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from feeds.models import Review
from scoring.ml.claims import content_words, word_overlap
from scoring.models import ClaimCluster, ClaimMention, ReviewScore
from scoring.selectors import latest_scores_prefetch

SORTS = {
    "reach": ("-reach", "-mention_count", "-id"),
    "mentions": ("-mention_count", "-reach", "-id"),
    "first_seen": ("first_seen_at", "id"),
    "last_seen": ("-last_seen_at", "-id"),
}
_LIVE = Q(mentions__review__is_deleted=False)


def reach_expression(prefix: str = ""):
    return F(f"{prefix}likes") + F(f"{prefix}shares") + F(f"{prefix}replies")


def clusters_annotated() -> QuerySet[ClaimCluster]:
    return ClaimCluster.objects.select_related("fact").annotate(
        mention_count=Count("mentions", filter=_LIVE),
        reach=Coalesce(Sum(reach_expression("mentions__review__"), filter=_LIVE), Value(0)),
        first_seen_at=Min("mentions__review__published_at", filter=_LIVE),
        last_seen_at=Max("mentions__review__published_at", filter=_LIVE),
    )


def clusters_list(
    *,
    flag: str | None = None,
    misinformation: bool | None = None,
    min_mentions: int = 1,
    review_ids: list[int] | None = None,
    sort: str = "reach",
) -> QuerySet[ClaimCluster]:
    """Claim clusters of the current clinic with at least `min_mentions` live mentions, most
    reach first (or `sort`: mentions, first_seen, last_seen); `flag`: a member carries it;
    `review_ids`: clusters that hold one of these reviews (an incident's mentions)."""
    qs = clusters_annotated().filter(mention_count__gte=max(1, min_mentions))
    if flag:
        qs = qs.filter(flags__contains=[flag])
    if misinformation is not None:
        qs = qs.filter(misinformation=misinformation)
    if review_ids is not None:
        qs = qs.filter(pk__in=ClaimCluster.objects.filter(mentions__review_id__in=review_ids))
    return qs.order_by(*SORTS.get(sort, SORTS["reach"]))


def claims_to_answer(
    *, within: QuerySet[Review] | None = None, limit: int = 8, unflagged: bool = False
) -> list[ClaimCluster]:
    """The claims worth one answer, most reach first: flagged as misinformation, or repeated
    (two mentions or more) with a risk flag (patient safety, a legal threat, ...); with
    `unflagged` (an incident is running: a pile-on) any repeated one too. Two ordinary
    complaints alike ("parking is a nightmare") are not a claim: each gets its own reply.
    `within`: only claims with a mention among these reviews (the inbox's filters); the
    figures stay the whole claim's, as its answer covers every mention."""
    repeated = Q(mention_count__gte=2)
    if not unflagged:
        repeated &= ~Q(flags=[])
    qs = clusters_annotated().filter(repeated | Q(misinformation=True, mention_count__gte=1))
    if within is not None:
        qs = qs.filter(
            pk__in=ClaimMention.objects.filter(review__in=within.values("pk")).values("cluster")
        )
    return list(qs.order_by(*SORTS["reach"])[:limit])


def cluster_get(cluster_id: int) -> ClaimCluster | None:
    return clusters_annotated().filter(pk=cluster_id).first()


def cluster_reviews(cluster_id: int) -> list[Review]:
    """The cluster's live mentions, most reach first, each with its latest score
    (`review.score_list`) and `review.reach`."""
    return list(
        Review.objects.filter(claim_mention__cluster_id=cluster_id, is_deleted=False)
        .select_related("source", "claim_mention")
        .prefetch_related(latest_scores_prefetch())
        .annotate(reach=reach_expression())
        .order_by("-reach", "published_at", "pk")
    )


def cluster_review_ids(cluster_id: int) -> list[int]:
    return list(
        Review.objects.filter(claim_mention__cluster_id=cluster_id, is_deleted=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def clusters_of_reviews(review_ids: list[int]) -> dict[int, ClaimCluster]:
    """review id -> its cluster (with the annotated figures), for the reviews in one."""
    pairs = list(
        Review.objects.filter(pk__in=review_ids, claim_mention__isnull=False).values_list(
            "pk", "claim_mention__cluster_id"
        )
    )
    clusters = {c.pk: c for c in clusters_annotated().filter(pk__in={c for _, c in pairs})}
    return {rid: clusters[cid] for rid, cid in pairs if cid in clusters}


def claims_unclustered_ids(*, version: str, changed_before, limit: int = 20_000) -> list[int]:
    """Reviews scored by `version` that are claim candidates (a risk flag or negative) but in
    no cluster, last changed before `changed_before`: clustering that a lost or failed task
    left undone (the scoring sweeper queues them again; scoring skips them, clustering not)."""
    scored = ReviewScore.objects.filter(model_version=version).filter(
        Q(label="negative")
        | Q(flags__contains=[{"name": "misinformation"}])
        | Q(flags__contains=[{"name": "patient_safety"}])
        | Q(flags__contains=[{"name": "legal_threat"}])
        | Q(flags__contains=[{"name": "threat_abuse"}])
    )
    return list(
        Review.objects.filter(
            is_deleted=False,
            updated_at__lt=changed_before,
            claim_mention=None,
            pk__in=scored.values("review_id"),
        ).values_list("pk", flat=True)[:limit]
    )


# A fact answers a claim matched to a known myth when the myth's correction and the fact say
# the same thing in the misinformation check's words (`scoring.ml.claims.content_words`,
# `word_overlap`): checked on the shipped myths against the default fact sheet, "needles
# reused" finds "single-use needles" (5 words, 0.41) and "never inspected" finds no fact
# ("licences": 2 words, 0.21).
MYTH_FACT_MIN_WORDS = 3
MYTH_FACT_MIN_OVERLAP = 0.3


def facts_about_claim(contradicts: dict | None, facts) -> list:
    """Those of `facts` (confirmed facts: slug, title, statement) a correction of the claim
    may cite: the fact the claim contradicts (the misinformation check's match, kept on the
    cluster), or for a claim that repeats a known myth, the facts that say what the myth's
    correction says. None for a claim that contradicts nothing: a complaint or an opinion
    (billing, calls not returned) is not corrected with a fact."""
    contradicts = contradicts or {}
    slug, kind = contradicts.get("slug"), contradicts.get("kind")
    if not slug:
        return []
    if kind == "fact":
        return [f for f in facts if f.slug == slug]
    said = content_words(str(contradicts.get("statement") or ""))
    out = []
    for fact in facts:
        words = content_words(f"{fact.title} {fact.statement}")
        if (
            len(said & words) >= MYTH_FACT_MIN_WORDS
            and word_overlap(said, words) >= MYTH_FACT_MIN_OVERLAP
        ):
            out.append(fact)
    return out
