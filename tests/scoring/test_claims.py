"""Claim clusters: the same claim in many mentions is one cluster (near-duplicates and
paraphrases), different claims about the same clinic are not; count, reach and first seen come
from the live mentions; clustering twice changes nothing; the sweeper finds what was missed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from facts.defaults import DEFAULT_FACTS
from facts.models import Fact
from feeds.models import Review
from scoring.claims import phrases
from scoring.claims.selectors import (
    claims_unclustered_ids,
    cluster_reviews,
    clusters_list,
    facts_about_claim,
)
from scoring.claims.services import claim_of, claims_cluster
from scoring.ml.claims import MYTHS_FILE
from scoring.ml.engine import ScorerConfig, load_scorer
from scoring.models import ClaimCluster, ClaimMention
from tests.fixtures.rows import score_add
from tests.responses.conftest import source_of

CLINIC = "Riverside Family Dental"
# Each group: mentions of one claim, as people write it. Different groups: different claims.
GROUPS = {
    "needles": [
        "Riverside Family Dental reuses needles",
        "Riverside Family Dental reuses needles!!",
        "RIVERSIDE FAMILY DENTAL REUSES NEEDLES",
        "They re-use needles at Riverside dental. Stay away.",
        "I heard Riverside Family Dental reuses needles on patients, disgusting",
        "Riverside Family Dental is reusing needles, beware",
    ],
    "vaccines": [
        "Riverside Family Dental gives kids expired vaccines",
        "The vaccines at Riverside are expired, my friend said",
        "Expired vaccines given to children at Riverside Family Dental",
    ],
    "licence": [
        "Dr Patel at Riverside Family Dental has no licence",
        "Riverside's Dr Patel is practising without a licence",
    ],
    "receptionist": [
        "The receptionist at Riverside Family Dental was so rude to me",
        "Rude receptionist at Riverside, never again",
    ],
    "fees": ["Riverside Family Dental charges hidden fees on every bill"],
    "parking": ["Parking at Riverside Family Dental is terrible"],
}


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(ScorerConfig(model="default", misinformation=False))


@pytest.fixture(autouse=True)
def _no_earlier_claims(request):
    """Each test starts from a clinic without claims: the shared world's clinic A also holds
    what a real worker's scoring committed for another test. Inside the test's transaction, so
    the rows come back afterwards."""
    if "clinic_a" in request.fixturenames:
        clinic = request.getfixturevalue("clinic_a")
        with schema_context(clinic.schema_name):
            ClaimMention.objects.all().delete()
            ClaimCluster.objects.all().delete()


def _same(scorer, a: str, b: str) -> bool:
    ignore = phrases.name_words(CLINIC)
    va, vb = scorer.embed([a, b])
    return phrases.match(
        cosine=float(va @ vb),
        words_a=phrases.key_phrases(a, ignore=ignore).words,
        words_b=phrases.key_phrases(b, ignore=ignore).words,
    ) or phrases.normalised(a) == phrases.normalised(b)


def test_mentions_of_one_claim_match_and_different_claims_do_not(scorer):
    names = list(GROUPS)
    for texts in GROUPS.values():
        for other in texts[1:]:
            assert _same(scorer, texts[0], other), (texts[0], other)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for x in GROUPS[a]:
                for y in GROUPS[b]:
                    assert not _same(scorer, x, y), (x, y)


def test_key_phrases_leave_out_the_clinics_name_and_fold_spelling():
    ignore = phrases.name_words(CLINIC)
    found = phrases.key_phrases("They re-use needles at Riverside Family Dental!", ignore=ignore)
    assert found.words == {"reus", "needl"}
    assert found.as_list() == ["reus needl", "needl", "reus"]


def test_the_claim_is_the_misinformation_flags_span_when_there_is_one():
    flags = [{"name": "misinformation", "claim": {"text": "reuses needles", "start": 4, "end": 18}}]
    assert claim_of("Omg reuses needles, so gross", flags) == "reuses needles"
    assert claim_of("Omg reuses needles", [{"name": "misinformation", "claim": "x y"}]) == "x y"
    assert claim_of("Just text", []) == "Just text"


def _mention(text, *, label="negative", flags=(), likes=0, shares=0, replies=0, minutes=0):
    review = Review.objects.create(
        source=source_of("facebook"),
        external_id=f"fb-{Review.objects.count()}-{text[:8]}-{minutes}",
        author_name="Pat",
        text=text,
        likes=likes,
        shares=shares,
        replies=replies,
        published_at=timezone.now() - timedelta(hours=5) + timedelta(minutes=minutes),
    )
    score_add(review=review, model_version="t1", label=label, score=-0.5, flags=list(flags))
    return review


def _misinfo(slug="single-use-needles", similarity=0.8):
    return {
        "name": "misinformation",
        "evidence": ["reuses needles"],
        "probability": 0.97,
        "contradicts": {
            "kind": "fact",
            "slug": slug,
            "statement": "Every needle is single-use and sealed.",
            "similarity": similarity,
        },
    }


def test_sixteen_copies_and_a_viral_post_are_one_claim_with_its_reach_and_fact(clinic_a, scorer):
    with schema_context(clinic_a.schema_name):
        fact = Fact.objects.create(
            slug="single-use-needles", title="Needles", statement="Every needle is single-use.",
            source="Sterilisation log", verified_on=timezone.now().date(),
        )  # fmt: skip
        copies = [
            _mention("Riverside Family Dental reuses needles", flags=[_misinfo()], likes=1,
                     minutes=i)
            for i in range(16)
        ]  # fmt: skip
        viral = _mention(
            "WARNING: Riverside Family Dental reuses needles on kids!!",
            flags=[_misinfo(similarity=0.9)], likes=1200, shares=300, replies=90, minutes=30,
        )  # fmt: skip
        other = _mention("The receptionist at Riverside was so rude to me", minutes=31)
        praise = _mention("Lovely staff, thank you", label="positive", minutes=32)
        ids = [r.pk for r in [*copies, viral, other, praise]]

        joined = claims_cluster(review_ids=ids, embed=scorer.embed)

        assert joined == 18  # the praise is no claim
        assert not ClaimMention.objects.filter(review=praise).exists()
        needles = ClaimMention.objects.get(review=viral).cluster
        assert set(needles.mentions.values_list("review_id", flat=True)) == {
            *(r.pk for r in copies),
            viral.pk,
        }
        assert needles.misinformation and needles.flags == ["misinformation"]
        assert needles.fact == fact and needles.contradicts["similarity"] == 0.9
        assert ClaimMention.objects.get(review=other).cluster != needles

        listed = list(clusters_list())
        assert [c.pk for c in listed][0] == needles.pk
        assert (listed[0].mention_count, listed[0].reach) == (17, 16 + 1590)
        assert listed[0].first_seen_at == copies[0].published_at
        assert [c.pk for c in clusters_list(misinformation=True)] == [needles.pk]
        assert [r.pk for r in cluster_reviews(needles.pk)][0] == viral.pk

        # clustering the same reviews again changes nothing
        assert claims_cluster(review_ids=ids, embed=scorer.embed) == 0
        assert ClaimCluster.objects.count() == 2

        # a later paraphrase joins the claim; a deleted mention no longer counts
        later = _mention("They re-use needles at Riverside dental", flags=[_misinfo()], minutes=60)
        assert claims_cluster(review_ids=[later.pk], embed=scorer.embed) == 1
        assert ClaimMention.objects.get(review=later).cluster == needles
        Review.objects.filter(pk=copies[0].pk).update(is_deleted=True)
        assert clusters_list().get(pk=needles.pk).mention_count == 17


def test_claims_that_contradict_different_facts_never_join(clinic_a, scorer):
    with schema_context(clinic_a.schema_name):
        a = _mention("Riverside reuses needles", flags=[_misinfo("single-use-needles")])
        b = _mention("Riverside reuses needles", flags=[_misinfo("vaccine-storage")], minutes=1)
        myth = {**_misinfo(), "contradicts": {**_misinfo()["contradicts"], "kind": "myth",
                                             "slug": "needle-reuse"}}  # fmt: skip
        c = _mention("Riverside reuses needles", flags=[myth], minutes=2)
        claims_cluster(review_ids=[a.pk, b.pk, c.pk], embed=scorer.embed)
        cluster = {r: ClaimMention.objects.get(review=r).cluster_id for r in (a, b, c)}
        assert cluster[a] != cluster[b]
        # a known myth and a fact of the sheet can be the same claim; the fact is what it shows
        assert cluster[c] in (cluster[a], cluster[b])
        joined = ClaimMention.objects.get(review=c).cluster
        assert (joined.contradicts["kind"], joined.fact is not None) == ("fact", False)


def test_a_claims_wrong_detail_is_kept_with_the_fact_it_contradicts(clinic_a, scorer):
    with schema_context(clinic_a.schema_name):
        hours = {**_misinfo("hours"), "contradicts": {
            **_misinfo("hours")["contradicts"],
            "detail": {"kind": "time", "post": "closes at 4", "fact": "Mon-Thu 8am-6pm"},
        }}  # fmt: skip
        bad = {**_misinfo("prices"), "contradicts": {
            **_misinfo("prices")["contradicts"], "detail": {"kind": "price"},
        }}  # fmt: skip
        a = _mention("Riverside closes at 4 every weekday now", flags=[hours])
        b = _mention("Riverside charges $350 for a cleaning", flags=[bad], minutes=1)
        claims_cluster(review_ids=[a.pk, b.pk], embed=scorer.embed)
        shown = ClaimMention.objects.get(review=a).cluster.contradicts
        assert shown["detail"] == {"kind": "time", "post": "closes at 4", "fact": "Mon-Thu 8am-6pm"}
        # a malformed detail is dropped, the fact kept
        kept = ClaimMention.objects.get(review=b).cluster.contradicts
        assert kept["slug"] == "prices" and "detail" not in kept


def test_without_an_encoder_only_near_identical_claims_are_grouped(clinic_a):
    with schema_context(clinic_a.schema_name):
        a = _mention("Riverside Family Dental reuses needles")
        b = _mention("riverside family dental REUSES needles!", minutes=1)
        c = _mention("Riverside Family Dental uses dirty needles", minutes=2)
        claims_cluster(review_ids=[a.pk, b.pk, c.pk], embed=None)
        clusters = {r: ClaimMention.objects.get(review=r).cluster_id for r in (a, b, c)}
        assert clusters[a] == clusters[b] != clusters[c]


def test_the_sweeper_lists_scored_claims_that_were_never_clustered(clinic_a):
    with schema_context(clinic_a.schema_name):
        claim = _mention("Riverside reuses needles", flags=[_misinfo()])
        negative = _mention("Waited two hours", minutes=1)
        _mention("Great visit", label="positive", minutes=2)
        later = timezone.now() + timedelta(minutes=5)
        assert sorted(claims_unclustered_ids(version="t1", changed_before=later)) == [
            claim.pk, negative.pk
        ]  # fmt: skip
        claims_cluster(review_ids=[claim.pk, negative.pk], embed=None)
        assert claims_unclustered_ids(version="t1", changed_before=later) == []


def test_claims_worded_apart_that_the_same_fact_answers_are_one_claim_named_by_a_false_one(
    clinic_a, scorer
):
    # given a complaint that mentions a needle but makes no flagged claim, then four false
    # claims worded apart that each contradict the sheet's needles fact (as a walk-through
    # found them: they had been split into three clusters, headed by the complaint)
    with schema_context(clinic_a.schema_name):
        complaint = _mention(
            "Went to Riverside Family Dental last week and the hygienist was rough, and I saw "
            "her take a needle out of a drawer. Never going back."
        )
        claims = [
            _mention(text, flags=[_misinfo()], minutes=i + 1)
            for i, text in enumerate(
                [
                    "Riverside Family Dental recycles needles between patients - report them",
                    "They don't throw away their needles at Riverside, they use them again on "
                    "the next patient",
                    "Heard the needles at Riverside Family Dental aren't single use. Gross.",
                    "My kid got an injection with a used needle at Riverside Family Dental",
                ]
            )
        ]
        other_fact = _mention(
            "Riverside Family Dental gives kids expired vaccines",
            flags=[_misinfo("vaccine-storage")],
            minutes=9,
        )
        claims_cluster(review_ids=[complaint.pk, *(c.pk for c in claims), other_fact.pk],
                       embed=scorer.embed)  # fmt: skip

        # then the four are one cluster, and a claim against another fact is not in it
        clusters = {c.pk: ClaimMention.objects.get(review=c).cluster for c in claims}
        [needles] = {c.pk: c for c in clusters.values()}.values()
        assert ClaimMention.objects.get(review=other_fact).cluster_id != needles.pk
        assert needles.misinformation and needles.contradicts["slug"] == "single-use-needles"
        # and a cluster the complaint started, once a false claim joins it, is named by the claim
        start = ClaimMention.objects.get(review=complaint).cluster
        if start.pk == needles.pk:
            assert needles.title.startswith("Riverside Family Dental recycles needles")
        for cluster in ClaimCluster.objects.filter(misinformation=True):
            assert "hygienist was rough" not in cluster.title


def test_a_false_claim_joining_a_cluster_from_an_earlier_batch_names_it(clinic_a, scorer):
    with schema_context(clinic_a.schema_name):
        first = _mention("Riverside Family Dental reuses needles?? my cousin says so")
        claims_cluster(review_ids=[first.pk], embed=scorer.embed)
        cluster = ClaimMention.objects.get(review=first).cluster
        assert not cluster.misinformation

        later = _mention("Riverside Family Dental reuses needles", flags=[_misinfo()], minutes=5)
        claims_cluster(review_ids=[later.pk], embed=scorer.embed)

        cluster.refresh_from_db()
        assert ClaimMention.objects.get(review=later).cluster_id == cluster.pk
        assert cluster.misinformation
        assert cluster.title == "Riverside Family Dental reuses needles"
        assert "reus" in cluster.key_phrases and "cousin" not in cluster.key_phrases


def _myth(slug: str, claim: str) -> dict:
    """A misinformation flag citing a known myth of the library (the clinic's fact sheet not
    confirmed yet), with its claim span."""
    return {
        "name": "misinformation",
        "evidence": [claim],
        "probability": 0.9,
        "claim": {"text": claim, "start": 0, "end": len(claim)},
        "contradicts": {"kind": "myth", "slug": slug, "statement": f"The {slug} correction.",
                        "similarity": 0.7},
    }  # fmt: skip


NEEDLES = "Riverside Family Dental reuses needles."
SHUT = "Health department should shut them down."


@pytest.mark.parametrize("first", [True, False], ids=["its-own-first", "its-own-last"])
def test_a_mention_whose_flag_picked_another_sentence_joins_the_claim_it_repeats(
    clinic_a, scorer, first
):
    # given 15 needle posts and one that also says the health department should shut the
    # clinic down, so its flag cites the "inspections" myth for that sentence (as a walk-through
    # found it: a 15-mention claim and a 1-mention claim "Health department should shut them
    # down"), whichever of them arrives first in the batch
    with schema_context(clinic_a.schema_name):
        texts = [
            f"{NEEDLES} Share this",
            "Riverside Family Dental reuses needles!! disgusting",
            "Just heard Riverside Family Dental reuses needles on patients.",
        ]
        posts = [
            _mention(text, flags=[_myth("needles-reused", text.split(" Share")[0])],
                     minutes=i + (0 if first else -20))
            for i, text in enumerate(texts * 5)
        ]  # fmt: skip
        both = _mention(f"{NEEDLES} {SHUT}", flags=[_myth("inspections-never", SHUT)], minutes=-1)

        claims_cluster(review_ids=[both.pk, *(p.pk for p in posts)], embed=scorer.embed)

        # then the 16 posts are one claim, named and matched by the needles, not the inspections
        [cluster] = ClaimCluster.objects.all()
        assert cluster.mentions.count() == 16
        assert cluster.title.startswith("Riverside Family Dental reuses needles")
        assert cluster.contradicts["slug"] == "needles-reused" and cluster.misinformation
        # and the post's claim in it is the sentence that repeats the claim
        assert ClaimMention.objects.get(review=both).claim == NEEDLES


def test_a_later_wave_that_repeats_an_answered_claims_words_joins_it(clinic_a):
    # given a claim named by a long first mention, and a shorter copy of it
    with schema_context(clinic_a.schema_name):
        first = _mention("Riverside Family Dental reuses needles on patients, disgusting",
                         flags=[_misinfo()])  # fmt: skip
        copy = _mention("Riverside Family Dental reuses needles!!", flags=[_misinfo()], minutes=1)
        claims_cluster(review_ids=[first.pk, copy.pk], embed=None)
        claim = ClaimMention.objects.get(review=first).cluster
        assert ClaimMention.objects.get(review=copy).cluster == claim
        # when a second wave says it again in other words around it (its claim shares too few
        # of the first mention's words to match the title alone)
        again = "Still hearing Riverside Family Dental reuses needles."
        wave = [
            _mention(f"{again} Why is nobody doing anything?",
                     flags=[_misinfo() | {"claim": again}], minutes=60 + i)
            for i in range(4)
        ]  # fmt: skip
        claims_cluster(review_ids=[w.pk for w in wave], embed=None)
        # then it joins the claim rather than starting "Still hearing …"
        assert {ClaimMention.objects.get(review=w).cluster_id for w in wave} == {claim.pk}
        assert ClaimCluster.objects.count() == 1


def test_a_claim_quiet_for_months_is_not_joined_even_if_clustered_today(clinic_a):
    # given an old complaint cluster: reviews published in September, clustered today (a
    # history import)
    with schema_context(clinic_a.schema_name):
        calls = "Disappointing. Nobody returned my calls about my bill"
        old = [_mention(calls, minutes=-80 * 24 * 60 + i) for i in range(3)]
        claims_cluster(review_ids=[r.pk for r in old], embed=None)
        september = ClaimMention.objects.get(review=old[0]).cluster
        assert september.mentions.count() == 3
        # when a new review says the same today
        new = _mention(calls, minutes=10)
        claims_cluster(review_ids=[new.pk], embed=None)
        # then it starts a claim of its own: the September one is closed by publication
        assert ClaimMention.objects.get(review=new).cluster_id != september.pk
        # and a September review imported late still joins September's
        late = _mention(calls, minutes=-80 * 24 * 60 + 30)
        claims_cluster(review_ids=[late.pk], embed=None)
        assert ClaimMention.objects.get(review=late).cluster_id == september.pk


def test_repeating_a_claims_words_needs_two_of_them_and_not_a_denial():
    ignore = phrases.name_words(CLINIC)

    def words(text):
        return phrases.key_phrases(text, ignore=ignore).words

    assert phrases.repeats(words("Still hearing Riverside reuses needles"),
                           words("Riverside Family Dental reuses needles!!"))  # fmt: skip
    assert not phrases.repeats(words("So rude"), words("Rude!"))
    assert not phrases.repeats(words("They reuse needles and gloves and masks and gowns"),
                               words("reuses needles"))  # fmt: skip
    assert phrases.against("They do NOT reuse needles.")
    assert phrases.against("That needle story is a lie")
    assert not phrases.against("Riverside Family Dental reuses needles.")
    assert phrases.sentences("One. Two!  Three?\nFour") == ["One.", "Two!", "Three?", "Four"]


def test_a_claim_is_offered_only_the_facts_about_it():
    # given the default fact sheet, confirmed, and the shipped myth library's corrections
    facts = [Fact(slug=f["slug"], title=f["title"], statement=f["statement"])
             for f in DEFAULT_FACTS]  # fmt: skip
    myths = {m["slug"]: m["correction"] for m in json.loads(MYTHS_FILE.read_text())}

    def offered(contradicts):
        return [f.slug for f in facts_about_claim(contradicts, facts)]

    # the fact the claim contradicts, and only it
    assert offered({"kind": "fact", "slug": "needles-single-use"}) == ["needles-single-use"]
    # a known myth: the facts that say what its correction says
    assert offered({"kind": "myth", "slug": "needles-reused",
                    "statement": myths["needles-reused"]}) == ["needles-single-use"]  # fmt: skip
    assert offered({"kind": "myth", "slug": "unlicensed-doctors",
                    "statement": myths["unlicensed-doctors"]}) == ["licences"]  # fmt: skip
    assert offered({"kind": "myth", "slug": "inspections-never",
                    "statement": myths["inspections-never"]}) == []  # fmt: skip
    # a complaint or an opinion contradicts nothing: no fact corrects it
    assert offered({}) == [] and offered(None) == []
