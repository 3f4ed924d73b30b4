"""Keeping claim clusters as items are scored. Runs in the `ml` worker right after a batch is
scored (`scoring.tasks.reviews_score`), with the scorer's encoder; never in the web process.

A scored item is a claim candidate when its latest score carries a misinformation flag (its
`claim` span is the claim), another risk flag, or negative sentiment: praise is not a claim to
answer. Each candidate joins the most similar recent cluster whose claim it shares
(`phrases.match`: most key words in common and the encoder agreeing; two claims that
contradict the same fact of the sheet, or the same known myth, join however worded; two that
contradict different facts never do), or starts a cluster of its own, so a claim that spreads
later finds its first mention. A mention that repeats the words of a claim one of the
cluster's mentions made (`phrases.repeats`) joins it, answered or not: in its flagged claim
("Still hearing they reuse needles"), or in another of its sentences when its flag picked
something else it said ("They reuse needles. The health department should shut them down."
flagged for the second sentence). "Recent" is by publication: a cluster whose mentions were
all published more than RECENT_DAYS away from a mention's is closed to it, however recently
it was clustered (a history import clusters months-old reviews today). Within a batch, a
mention that would start a cluster of its own but says more than its claim waits until the
others have their clusters, so the order of arrival does not split a claim.

A cluster started by a mention that made no flagged claim takes its name from the first false
claim that joins it. Clusters are kept per clinic schema; one transaction with an advisory
lock per clinic, so two ml workers never start two clusters for one claim."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from core.privacy import REDACTED_TEXT
from core.tenancy import current_clinic
from facts.models import Fact
from feeds.models import Review
from scoring.claims import phrases
from scoring.models import ClaimCluster, ClaimMention
from scoring.selectors import latest_scores_prefetch

logger = logging.getLogger(__name__)

RECENT_DAYS = 30  # a claim quiet for a month starts a new cluster when it comes back
MAX_OPEN_CLUSTERS = 2000  # the most recent clusters a new mention is compared with
MAX_CLAIM_CHARS = 500
RISK_FLAGS = frozenset({"misinformation", "patient_safety", "legal_threat", "threat_abuse"})
# Two mentions whose claims contradict the same fact of the clinic's sheet are one claim (one
# correction answers both) when the encoder does not find them unrelated: "reuses needles",
# "their needles aren't single use" and "a used needle on my kid" share few words.
SAME_FACT_MIN_COSINE = 0.3
MAX_SAID = 200  # the distinct member claims of a cluster a new mention is compared with
_LOCK_KEY = -7301  # pg_advisory_xact_lock(hashtext(schema), key): claim clustering

Embed = Callable[[Sequence[str]], np.ndarray]


def misinformation_flag(flags: list) -> dict | None:
    for flag in flags or []:
        if isinstance(flag, dict) and flag.get("name") == "misinformation":
            return flag
    return None


def span_text(span) -> str:
    """A claim span as text: the detectors write {"text", "start", "end"} or a string."""
    if isinstance(span, dict):
        return str(span.get("text") or "")
    if isinstance(span, str):
        return span
    return ""


def claim_of(text: str, flags: list) -> str:
    """The claim a mention makes: the misinformation flag's claim span, else its text."""
    flag = misinformation_flag(flags)
    claim = span_text(flag.get("claim")) if flag else ""
    return (claim or text or "").strip()[:MAX_CLAIM_CHARS]


def is_candidate(score) -> bool:
    if score is None:
        return False
    names = {f.get("name") for f in score.flags or [] if isinstance(f, dict)}
    return bool(names & RISK_FLAGS) or score.label == "negative"


def _contradicts(flags: list) -> dict:
    flag = misinformation_flag(flags)
    found = (flag or {}).get("contradicts")
    if not isinstance(found, dict) or not found.get("slug"):
        return {}
    out = {
        "kind": str(found.get("kind") or "fact"),
        "slug": str(found["slug"]),
        "statement": str(found.get("statement") or ""),
        "similarity": float(found.get("similarity") or 0.0),
    }
    detail = found.get("detail")
    if isinstance(detail, dict) and {"kind", "post", "fact"} <= set(detail):
        out["detail"] = {k: str(detail[k]) for k in ("kind", "post", "fact")}
    return out


@dataclass
class _Open:
    cluster: ClaimCluster
    words: frozenset[str]
    normalised: str
    vector: np.ndarray | None  # the sum of member embeddings
    # when its first and latest mentions were published (None: no mention yet)
    first: datetime | None = None
    last: datetime | None = None
    # the key words of the claims its mentions made (and of its title), distinct, and all of
    # them together (a repeat shares two of them at least)
    said: set[frozenset[str]] = field(default_factory=set)
    vocabulary: set[str] = field(default_factory=set)
    changed: bool = False
    retitled: bool = False
    mentions: list[ClaimMention] = field(default_factory=list)

    def cosine(self, v: np.ndarray | None) -> float | None:
        if v is None or self.vector is None:
            return None
        norm = float(np.linalg.norm(self.vector))
        return float(self.vector @ v) / norm if norm else 0.0

    def near(self, at: datetime) -> bool:
        """Whether a mention published at `at` may join: one of the claim's mentions was
        published within RECENT_DAYS of it."""
        if self.first is None or self.last is None:
            return True
        gap = timedelta(days=RECENT_DAYS)
        return self.first - gap <= at <= self.last + gap

    def repeated_by(self, words: frozenset[str]) -> float | None:
        """How closely `words` repeat a claim one of its mentions made (the best Jaccard), or
        None when they repeat none (`phrases.repeats`)."""
        if len(words & (self.vocabulary | self.words)) < phrases.REPEAT_MIN_WORDS:
            return None
        best = None
        for said in self.said | {self.words}:
            if phrases.repeats(words, said):
                fit = phrases.jaccard(words, said)
                best = fit if best is None else max(best, fit)
        return best

    def saw(self, words: frozenset[str], at: datetime) -> None:
        if words and len(self.said) < MAX_SAID:
            self.said.add(words)
            self.vocabulary |= words
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)


def _vector(raw) -> np.ndarray | None:
    if not raw:
        return None
    return np.frombuffer(bytes(raw), dtype=np.float32).copy()


def _apart(state: _Open, contradicts: dict) -> bool:
    """Two claims that contradict two different facts of the sheet are two claims."""
    theirs = state.cluster.contradicts or {}
    return (
        theirs.get("kind") == "fact"
        and contradicts.get("kind") == "fact"
        and theirs.get("slug") != contradicts.get("slug")
    )


def _same_claim(state: _Open, *, words, norm, vector, contradicts) -> float | None:
    """How well a claim fits an open cluster (higher is better), or None if it does not."""
    theirs = state.cluster.contradicts or {}
    if _apart(state, contradicts):
        return None
    if norm and norm == state.normalised:
        return 3.0
    cosine = state.cosine(vector)
    if (  # two claims the same fact of the sheet (or known myth) answers are one claim
        theirs.get("slug")
        and theirs.get("kind") == contradicts.get("kind")
        and theirs.get("slug") == contradicts.get("slug")
        and cosine is not None  # without an encoder, key words alone decide (below)
        and cosine >= SAME_FACT_MIN_COSINE
    ):
        return 2.0 + (cosine or 0.0)
    repeated = state.repeated_by(words)
    if repeated is not None:  # it repeats the words of a claim one of its mentions made
        return 2.0 + repeated
    if cosine is None:  # no encoder (a bring-your-own model): key words alone, strictly
        if (
            phrases.overlap(words, state.words) >= 0.9
            and phrases.jaccard(words, state.words) >= 0.6
        ):
            return 1.0 + phrases.overlap(words, state.words)
        return None
    if not phrases.match(cosine=cosine, words_a=words, words_b=state.words):
        return None
    return cosine + phrases.overlap(words, state.words)


def _rank(contradicts: dict) -> tuple[bool, float]:
    """A fact of the clinic's own sheet (what a correction cites) before a known myth, then
    the closer match."""
    if not contradicts:
        return (False, -1.0)
    return (contradicts.get("kind") == "fact", float(contradicts.get("similarity", 0.0)))


def _join(
    state: _Open,
    review: Review,
    score,
    claim: str,
    vector,
    fit: float,
    now,
    ignore,
    *,
    aside: bool = False,
) -> None:
    """`review` joins the cluster with `claim`. `aside`: the claim is another sentence of the
    mention than its flagged claim, which says something else: its flag and its embedding
    (of that other claim) say nothing about this cluster's claim."""
    cluster = state.cluster
    flags = [f for f in score.flags or [] if isinstance(f, dict)]
    names = {f.get("name") for f in flags if f.get("name")}
    if aside:
        flags = [f for f in flags if f.get("name") != "misinformation"]
        names.discard("misinformation")
        vector = None
    cluster.flags = sorted(set(cluster.flags) | names)
    if "misinformation" in names and not cluster.misinformation:
        # the cluster was headed by a mention that made no flagged claim (a complaint that
        # mentions needles): the first false claim names it from now on
        cluster.misinformation = True
        if state.mentions or cluster.pk:
            cluster.title = claim[:300]
            cluster.key_phrases = phrases.key_phrases(claim, ignore=ignore).as_list()
            state.words = phrases.key_phrases(claim, ignore=ignore).words
            state.normalised = phrases.normalised(claim)
            state.retitled = True
    found = _contradicts(flags)
    if found and _rank(found) >= _rank(cluster.contradicts or {}):
        cluster.contradicts = found
        cluster.fact = (
            Fact.objects.filter(slug=found["slug"]).first() if found["kind"] == "fact" else None
        )
    if vector is not None:
        state.vector = vector.copy() if state.vector is None else state.vector + vector
        cluster.centroid = state.vector.astype(np.float32).tobytes()
    cluster.last_joined_at = now
    state.changed = True
    state.saw(phrases.key_phrases(claim, ignore=ignore).words, review.published_at)
    state.mentions.append(
        ClaimMention(
            review=review, cluster=cluster, claim=claim, similarity=round(min(fit, 1.0), 4)
        )
    )


def _open_clusters(since, ignore) -> list[_Open]:
    """The clusters joined since `since` (the clustering time bounds the publication of
    their mentions from above), with when their mentions were published and what they said."""
    rows = list(
        ClaimCluster.objects.filter(last_joined_at__gte=since)
        .annotate(
            first_at=Min("mentions__review__published_at"),
            last_at=Max("mentions__review__published_at"),
        )
        .order_by("-last_joined_at")[:MAX_OPEN_CLUSTERS]
    )
    said: dict[int, set[frozenset[str]]] = {}
    for cluster_id, claim in (
        ClaimMention.objects.filter(cluster_id__in=[c.pk for c in rows])
        .exclude(claim="")
        .order_by("-id")
        .values_list("cluster_id", "claim")
    ):
        words = said.setdefault(cluster_id, set())
        if len(words) < MAX_SAID:
            found = phrases.key_phrases(claim, ignore=ignore).words
            if found:
                words.add(found)
    return [
        _Open(
            cluster=c,
            words=phrases.key_phrases(c.title, ignore=ignore).words,
            normalised=phrases.normalised(c.title),
            vector=_vector(c.centroid),
            first=c.first_at,
            last=c.last_at,
            said=said.get(c.pk, set()),
            vocabulary=set().union(*said.get(c.pk, ())),
        )
        for c in rows
    ]


def _other_sentences(text: str, claim: str, ignore) -> list[tuple[str, frozenset[str]]]:
    """The mention's sentences other than its claim that may repeat a claim: (the sentence,
    its key words), without those that dispute what they say (`phrases.against`)."""
    norm = phrases.normalised(claim)
    out = []
    for sentence in phrases.sentences(text):
        if phrases.normalised(sentence) == norm or phrases.against(sentence):
            continue
        words = phrases.key_phrases(sentence, ignore=ignore).words
        if len(words) >= phrases.REPEAT_MIN_WORDS:
            out.append((sentence[:MAX_CLAIM_CHARS], words))
    return out


def claims_cluster(*, review_ids: Sequence[int], embed: Embed | None) -> int:
    """Put the scored claim candidates among `review_ids` (of the current clinic) into claim
    clusters; items already in one are left where they are (a task that runs twice changes
    nothing). `embed` is the scorer's encoder (texts -> L2-normalised rows); without one, only
    mentions that share nearly all their key words are grouped. Returns how many joined."""
    reviews = list(
        Review.objects.filter(pk__in=list(review_ids), is_deleted=False, claim_mention=None)
        .prefetch_related(latest_scores_prefetch())
        .order_by("published_at", "pk")
    )
    chosen = [
        (r, r.score_list[0]) for r in reviews if r.score_list and is_candidate(r.score_list[0])
    ]
    if not chosen:
        return 0
    claims = [claim_of(r.text, s.flags) for r, s in chosen]
    vectors = np.asarray(embed(claims), dtype=np.float32) if embed is not None else None
    try:
        ignore = phrases.name_words(current_clinic().name)
    except RuntimeError:
        ignore = frozenset()
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [_LOCK_KEY]
            )
        done = set(
            ClaimMention.objects.filter(review_id__in=[r.pk for r, _ in chosen]).values_list(
                "review_id", flat=True
            )
        )
        earliest = min(r.published_at for r, _ in chosen)
        states = _open_clusters(min(now, earliest) - timedelta(days=RECENT_DAYS), ignore)
        created: list[_Open] = []
        waiting: list[int] = []
        for i, (review, _) in enumerate(chosen):
            if review.pk in done:
                continue
            if not _place(i, chosen, claims, vectors, states, created, now, ignore, last=False):
                waiting.append(i)
        for i in waiting:  # said more than their claim: now every cluster of the batch exists
            _place(i, chosen, claims, vectors, states, created, now, ignore, last=True)
        for state in created:
            state.cluster.save()
        changed = [s for s in states if s.changed]
        for state in changed:
            if state not in created:
                state.cluster.save(
                    update_fields=[
                        "flags", "misinformation", "contradicts", "fact", "centroid",
                        "last_joined_at", "updated_at",
                        *(["title", "key_phrases"] if state.retitled else []),
                    ]
                )  # fmt: skip
        mentions = [m for s in changed for m in s.mentions]
        for mention in mentions:
            mention.cluster_id = mention.cluster.pk
        ClaimMention.objects.bulk_create(mentions, ignore_conflicts=True)
    logger.info("claims: %d mentions clustered (%d new clusters)", len(mentions), len(created))
    return len(mentions)


def _place(i, chosen, claims, vectors, states, created, now, ignore, *, last: bool) -> bool:
    """Put the i-th chosen mention into the cluster of the claim it makes or repeats, or
    start one (unless `last` is False and it says more than its claim: False, it waits)."""
    review, score = chosen[i]
    claim = claims[i]
    vector = vectors[i] if vectors is not None else None
    words = phrases.key_phrases(claim, ignore=ignore)
    norm = phrases.normalised(claim)
    contradicts = _contradicts(score.flags)
    # another sentence may repeat a false claim; a flagged mention's, any claim (its flag may
    # have picked another thing it said)
    flagged = misinformation_flag(score.flags) is not None
    others = _other_sentences(review.text, claim, ignore)
    best, best_fit, aside = None, None, None
    for state in states:
        if not state.near(review.published_at):
            continue
        fit = _same_claim(
            state, words=words.words, norm=norm, vector=vector, contradicts=contradicts
        )
        if fit is not None and (best_fit is None or fit > best_fit):
            best, best_fit, aside = state, fit, None
        if _apart(state, contradicts) or not (flagged or state.cluster.misinformation):
            continue
        for sentence, sentence_words in others:
            repeated = state.repeated_by(sentence_words)
            # below a repeat of its flagged claim (2 +), above a loose match of it (≤ 2)
            if repeated is not None and (best_fit is None or 1.5 + repeated > best_fit):
                best, best_fit, aside = state, 1.5 + repeated, sentence
    if best is None:
        if others and not last:
            return False
        best = _Open(
            cluster=ClaimCluster(
                title=claim[:300], key_phrases=words.as_list(), last_joined_at=now
            ),
            words=words.words,
            normalised=norm,
            vector=None,
        )
        states.insert(0, best)
        created.append(best)
        best_fit = 1.0
    _join(
        best, review, score, aside or claim, vector, best_fit, now, ignore, aside=aside is not None
    )
    return True


def claims_redact(*, review_ids: Sequence[int]) -> tuple[int, int]:
    """The claim texts of reviews redacted at their author's request (`core.privacy`): each
    mention's claim is emptied, and a cluster titled by one of them (a cluster takes its
    title and key phrases from its first or first false claim) is renamed after another
    member's claim, or "removed" when none is left. The mentions stay in their cluster (the
    claim was still made; its count and reach stay true). Returns (mentions, clusters)."""
    mentions = list(
        ClaimMention.objects.filter(review_id__in=list(review_ids)).select_related("review")
    )
    if not mentions:
        return 0, 0
    gone: dict[int, set[str]] = {}
    for mention in mentions:
        said = {mention.claim.strip()[:300], (mention.review.text or "").strip()[:300]}
        gone.setdefault(mention.cluster_id, set()).update(s for s in said if s)
    ClaimMention.objects.filter(pk__in=[m.pk for m in mentions]).update(claim="")
    try:
        ignore = phrases.name_words(current_clinic().name)
    except RuntimeError:
        ignore = frozenset()
    renamed = 0
    for cluster in ClaimCluster.objects.filter(pk__in=list(gone)).select_for_update():
        if cluster.title.strip() not in gone[cluster.pk] and not any(
            cluster.title.strip() in said for said in gone[cluster.pk]
        ):
            continue
        other = (
            ClaimMention.objects.filter(cluster=cluster, review__redacted_at__isnull=True)
            .exclude(review_id__in=list(review_ids))
            .exclude(claim="")
            .order_by("created_at", "pk")
            .values_list("claim", flat=True)
            .first()
        )
        cluster.title = other[:300] if other else REDACTED_TEXT
        cluster.key_phrases = phrases.key_phrases(other, ignore=ignore).as_list() if other else []
        cluster.save(update_fields=["title", "key_phrases", "updated_at"])
        renamed += 1
    return len(mentions), renamed


RECHECK_CLAIMS = 200  # the most recent claims a fact sheet change checks again
RECHECK_TEXTS = 3  # per claim: its title and the claims of its latest mentions


def claims_recheck(*, scorer, context: dict) -> int:
    """The current clinic's fact sheet changed (a fact confirmed, a confirmed statement
    edited): the false claims of the last RECENT_DAYS (at most RECHECK_CLAIMS, the latest
    first) are checked against it again, each by its title and its latest mentions' claims,
    with `scorer` and the clinic's `context` (`scoring.services.scoring_context`). Where one
    now contradicts a fact of the sheet, the claim names that fact, as a new mention of it
    would have made it (`_rank`: the clinic's own fact before a known myth), so the room
    offers the correction that cites it at once. Returns how many claims changed."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    clusters = list(
        ClaimCluster.objects.filter(misinformation=True, last_joined_at__gte=since).order_by(
            "-last_joined_at", "-id"
        )[:RECHECK_CLAIMS]
    )
    texts, owners = [], []
    for cluster in clusters:
        said = cluster.mentions.order_by("-created_at", "-id").values_list("claim", flat=True)
        for text in dict.fromkeys([cluster.title, *said[:RECHECK_TEXTS]]):
            if text and text.strip():
                texts.append(text)
                owners.append(cluster)
    if not texts:
        return 0
    best: dict[int, dict] = {}
    for cluster, result in zip(owners, scorer.score(texts, **context), strict=True):
        found = _contradicts(list(getattr(result, "flags", None) or []))
        if found.get("kind") != "fact":
            continue
        if _rank(found) > _rank(best.get(cluster.pk) or {}):
            best[cluster.pk] = found
    changed = 0
    for cluster in clusters:
        found = best.get(cluster.pk)
        if found is None or _rank(found) <= _rank(cluster.contradicts or {}):
            continue
        if (cluster.contradicts or {}).get("slug") == found["slug"]:
            continue
        fact = Fact.objects.filter(slug=found["slug"]).first()
        ClaimCluster.objects.filter(pk=cluster.pk).update(contradicts=found, fact=fact)
        changed += 1
    return changed
