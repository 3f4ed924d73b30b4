"""Misinformation: false factual claims about a clinic or about health, with their evidence.
numpy only; it reads the embedding the scoring worker already computed for each text (the
sentiment encoder's), so a text is never encoded twice for the heads (the claim judge, step 6,
reads the few texts past its gate again, with their facts, and the veracity model, step 7, once
on their own).

For every text:

1. **Claim** (``claim_head``): a logistic regression on the embedding says whether the text
   states something as fact about the clinic's safety, treatments, staff licences, prices or a
   public-health matter, rather than an opinion or an experience.
2. **Nearest reference**: the clinic's active facts (its fact sheet) and the shipped library of
   common health myths (``myths.json``: the myth, its correction and a source) are the
   references. The sentiment encoder's embeddings are poor at topical similarity (its training
   pulled them towards sentiment), so similarity is measured in a learned projection of them
   (``map``: a ridge regression onto the original all-MiniLM-L6-v2 embedding space, trained on
   the training texts) plus the overlap of content words (stemmed) with the fact's title and
   statement. A myth also matches through its own wording.
3. **Contradiction** (``contra_head``): a logistic regression on features of the text and
   each of its nearest references (similarity to the statement, and for a myth to its
   wording; word overlap; the text's sentiment from the same embedding, alone and weighed by
   the similarity) says whether the text contradicts the reference's statement (for a myth:
   whether it repeats the myth rather than its correction).
4. **Falsehood of the text alone** (``false_head``): a small MLP on the embedding, trained on
   fact-checked claims (CONSTRAINT, the COVID rumour set, the clinic claims' training split and
   the myth library), for false claims no reference covers.
5. A logistic **stacker** over the four signals gives the probability; the flag is raised at the
   threshold chosen on out-of-fold predictions of the training data (never on a held-out split).
6. **The claim judge** (``scoring.ml.judge``, ``ClaimModel.judge``): a text whose claim
   probability passes the judge's gate is read together with each of its nearest facts by a
   cross-encoder; a contradiction flags it (citing that fact), an agreement clears it, and
   otherwise the stacker decides at the judge's stricter ``stack_at``. This step encodes again
   (one pass per pair), so it is gated.
7. **The veracity model** (``scoring.ml.veracity``, ``ClaimModel.veracity``): a text past the
   same gate that the judge did not decide (no fact contradicted or confirmed; every text past
   the gate when the clinic has no fact sheet) is read on its own by an encoder fine-tuned to
   tell false health claims from true ones, and by its wording model (words and word pairs);
   their P(false) and the stacker's probability, mixed in log-odds (``Veracity.decision``),
   decide it instead of the stacker alone. One more pass per gated text.
8. **The evidence gate** (``scoring.ml.claim_gate``): a flag that no fact decided (not the
   judge's contradiction, not a wrong detail) is dropped when the claim probability is under the
   judge's gate, or when the text is a service complaint or an opinion (phones, front desk,
   waiting, parking, scheduling, billing mistakes) naming no health, safety, treatment, licence,
   price or public-health matter, and its reference does not support it (``parts["gate"]``).

The flag::

    {"name": "misinformation", "evidence": [<claim span>], "probability": p, "claim": <span>,
     "contradicts": {"kind": "fact" | "myth", "slug", "statement", "similarity", ...} | None}

``contradicts`` is the clinic's own nearest fact when it is near enough (``min_similarity``),
else the nearest reference of any kind (a myth) when that is, otherwise None (a false claim that
no fact or myth covers); ``ClaimModel.cited``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoring.ml import claim_gate, details
from scoring.ml.head import logit, sigmoid, softmax
from scoring.ml.judge import JUDGED_FACTS, JUDGED_MYTHS

MYTHS_FILE = Path(__file__).resolve().parent / "myths.json"
HEADS_FILE = "misinformation.npz"
TOP_K = 3  # references judged for contradiction per text
# a wrong detail counts against the judged fact the text is most about, when the judge puts
# "unrelated" below this (set a priori, not tuned: the judge thinks it more likely about the fact
# than not)
DETAIL_UNRELATED_BELOW = 0.5
MAX_SPAN_CHARS = 280
# the probability of a flag the evidence gate dropped (claim_gate): under 0.5, as every unflagged
# text's is; the heads' own reading stays in the assessment's parts ("gated_probability")
GATED_BELOW = 0.4999

_STOP = frozenset(
    " ".join(
        [
            "a an the and or of to in on at for with is are was were be been being it its this ",
            "that these those they them their theirs we our ours you your yours i my me mine he ",
            "she his her hers him not no nor do does did doing done have has had having as by from ",
            "so just but if all any every each after before up down out about into than then there ",
            "here what which who whom whose why how when where very can will would should could ",
            "also only more most some such own same too again once get got getting let lets say ",
            "says said told tell one two like know knew heard hear anyone everyone someone people ",
            "today yesterday really actually even still ever always never",
        ]
    ).split()
)
_WORD = re.compile(r"[a-z]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")
_SUFFIXES = ("ings", "ing", "ised", "ized", "ises", "izes", "ise", "ize", "ed", "es", "s", "ly")
# British / American spellings that the stemmer does not join.
_SPELLING = {
    "licence": "license",
    "sterilis": "steriliz",
    "anaesthe": "anesthe",
    "paediat": "pediat",
}


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light stemmer: one suffix off, then a final "e" ("needles", "needle" -> "needl";
    "expired", "expire" -> "expir")."""
    for old, new in _SPELLING.items():
        if word.startswith(old):
            word = new + word[len(old) :]
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def content_words(text: str, exclude: frozenset[str] = frozenset()) -> frozenset[str]:
    """Stemmed words of 3+ letters that are not stop words (nor in `exclude`, e.g. the clinic's
    name)."""
    out = set()
    for word in _WORD.findall((text or "").lower()):
        if len(word) < 3 or word in _STOP:
            continue
        s = stem(word)
        if s not in exclude:
            out.add(s)
    return frozenset(out)


def word_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / float(np.sqrt(len(a) * len(b)))


def overlap_matrix(texts: Sequence[frozenset[str]], refs: Sequence[frozenset[str]]) -> np.ndarray:
    """[len(texts), len(refs)] float32 word_overlap of every pair, through an index of the
    references' words: a text costs its own words, not one set intersection per reference."""
    index: dict[str, list[int]] = {}
    for j, words in enumerate(refs):
        for w in words:
            index.setdefault(w, []).append(j)
    sizes = np.array([len(w) for w in refs], dtype=np.float64)
    out = np.zeros((len(texts), len(refs)), dtype=np.float32)
    for i, words in enumerate(texts):
        if not words:
            continue
        shared = np.zeros(len(refs), dtype=np.float64)
        for w in words:
            for j in index.get(w, ()):
                shared[j] += 1
        hit = shared > 0
        out[i, hit] = shared[hit] / np.sqrt(len(words) * sizes[hit])
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-9)


@dataclass(frozen=True)
class FactRef:
    """A fact of a clinic's fact sheet, as scoring needs it."""

    slug: str
    statement: str
    title: str = ""


@dataclass
class References:
    """The references one clinic's texts are matched against: its facts, then the myths."""

    kinds: list[str]
    slugs: list[str]
    statements: list[str]
    extra: list[dict]
    words: list[frozenset[str]]
    statement_vecs: np.ndarray  # [n, 384] projected, unit: the statement (a myth's correction)
    match_vecs: np.ndarray  # [n, 384] projected, unit: what a claim resembles (a myth's wording)
    digest: str = ""


@dataclass
class Assessment:
    probability: float
    claim_probability: float
    false_probability: float
    contradiction_probability: float
    reference: int | None  # index into References
    similarity: float
    flagged: bool
    parts: dict = field(default_factory=dict)


class ClaimModel:
    """The trained heads (``misinformation.npz``) and the myth library."""

    def __init__(self, arrays: dict, myths: list[dict], meta: dict):
        self.a = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
        self.myths = myths
        self.meta = meta
        self.threshold = float(meta["threshold"])
        self.min_similarity = float(meta["min_similarity"])
        self.lexical_weight = float(meta.get("lexical_weight", 1.0))
        # the heads' version, then the evidence gate's (claim_gate.version)
        self.version = versioned(str(meta.get("version", "")))
        self._cache: OrderedDict[str, References] = OrderedDict()
        # the claim judge (scoring.ml.judge.ClaimJudge) when loaded: the last word on texts it
        # is asked about
        self.judge = None
        # the veracity model (scoring.ml.veracity.Veracity) when loaded: the word on texts past
        # the judge's gate that the judge did not decide
        self.veracity = None
        myth_words = [
            content_words(f"{m['myth']} {m['correction']} {m.get('title', '')}") for m in myths
        ]
        self._myth_words = myth_words

    @classmethod
    def load(cls, artifacts_dir: str | Path, myths_file: str | Path = MYTHS_FILE) -> ClaimModel:
        path = Path(artifacts_dir) / HEADS_FILE
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "meta"}
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        myths = json.loads(Path(myths_file).read_text(encoding="utf-8"))
        if len(myths) != arrays["myth_match"].shape[0]:
            raise ValueError(
                f"{path} was trained with {arrays['myth_match'].shape[0]} myths but {myths_file} "
                f"has {len(myths)}: retrain with `python -m scoring.ml.misinfo_train`"
            )
        return cls(arrays, myths, meta)

    # ---------------------------------------------------------------- heads

    def project(self, emb: np.ndarray) -> np.ndarray:
        return _unit(emb @ self.a["map"])

    def claim_probability(self, emb: np.ndarray) -> np.ndarray:
        return sigmoid(emb @ self.a["claim_w"] + self.a["claim_b"])

    def false_probability(self, emb: np.ndarray) -> np.ndarray:
        h = np.maximum(emb @ self.a["false_w1"] + self.a["false_b1"], 0.0)
        return sigmoid(h @ self.a["false_w2"] + self.a["false_b2"])

    @staticmethod
    def pair_features(sem_statement, sem_match, lex, is_myth, negative, positive) -> np.ndarray:
        """Features of (text, reference) pairs, all [k]: similarity to the reference's
        statement and to its wording (a myth's own words), word overlap, and the text's
        sentiment (a fact states something reassuring; a claim near it that is negative about
        the clinic usually denies it)."""
        sem_statement = np.asarray(sem_statement, np.float32)
        sem_match = np.asarray(sem_match, np.float32)
        lex = np.asarray(lex, np.float32)
        myth = np.asarray(is_myth, np.float32)
        neg = np.broadcast_to(np.asarray(negative, np.float32), sem_statement.shape)
        pos = np.broadcast_to(np.asarray(positive, np.float32), sem_statement.shape)
        match = np.maximum(sem_statement, sem_match) + lex
        return np.stack(
            [
                match,
                sem_statement,
                lex,
                myth,
                myth * (sem_match - sem_statement),
                neg,
                pos,
                neg * match,
                pos * match,
                (1 - myth) * neg * match,
            ],
            axis=-1,
        )

    def contradiction_probability(self, features: np.ndarray) -> np.ndarray:
        return sigmoid(features @ self.a["contra_w"] + self.a["contra_b"])

    def stack(self, claim, false, contra, match) -> np.ndarray:
        x = np.stack([logit(claim), logit(false), contra, match, contra * match], axis=-1)
        return sigmoid(x @ self.a["stack_w"] + self.a["stack_b"])

    # ---------------------------------------------------------------- references

    def references(
        self,
        facts: Sequence[FactRef],
        encode: Callable[[list[str]], np.ndarray],
        key: str = "",
    ) -> References:
        """The clinic's facts (encoded with `encode`, the scorer's encoder) and the myths. Kept
        in a small LRU keyed by `key` (the clinic) and a digest of the facts' text, so a
        changed fact sheet is re-encoded and an unchanged one never is."""
        facts = [f for f in facts if (f.statement or "").strip()]
        h = hashlib.sha256(key.encode("utf-8"))
        for f in facts:
            h.update(f"\x00{f.slug}\x01{f.title}\x01{f.statement}".encode())
        digest = h.hexdigest()
        cached = self._cache.get(digest)
        if cached is not None:
            self._cache.move_to_end(digest)
            return cached
        if facts:
            fact_raw = np.asarray(encode([f.statement for f in facts]), dtype=np.float32)
        else:
            fact_raw = np.zeros((0, self.a["map"].shape[0]), dtype=np.float32)
        fact_proj = self.project(fact_raw) if len(facts) else fact_raw
        refs = References(
            kinds=["fact"] * len(facts) + ["myth"] * len(self.myths),
            slugs=[f.slug for f in facts] + [m["slug"] for m in self.myths],
            statements=[f.statement for f in facts] + [m["correction"] for m in self.myths],
            extra=[{"title": f.title} for f in facts]
            + [
                {
                    "myth": m["myth"],
                    "source": m.get("source", ""),
                    "source_url": m.get("source_url", ""),
                }
                for m in self.myths
            ],
            words=[content_words(f"{f.title} {f.statement}") for f in facts] + self._myth_words,
            statement_vecs=np.vstack([fact_proj, self.a["myth_statement"]]),
            match_vecs=np.vstack([fact_proj, self.a["myth_match"]]),
            digest=digest,
        )
        self._cache[digest] = refs
        while len(self._cache) > 64:
            self._cache.popitem(last=False)
        return refs

    # ---------------------------------------------------------------- assessment

    def assess(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        refs: References,
        exclude: frozenset[str] = frozenset(),
        sentiment: np.ndarray | None = None,
    ) -> list[Assessment]:
        """One assessment per text; `exclude` are words never matched (the clinic's name);
        `sentiment` the texts' [n, 3] sentiment probabilities (negative, neutral, positive)
        from the same embeddings (computed here when not given)."""
        n = len(texts)
        if n == 0:
            return []
        emb = np.asarray(embeddings, dtype=np.float32)
        claim = self.claim_probability(emb)
        false = self.false_probability(emb)
        if sentiment is None:
            sentiment = softmax(emb @ self.a["sentiment_w"].T + self.a["sentiment_b"])
        sentiment = np.asarray(sentiment, np.float32)
        proj = self.project(emb)
        sem_statement = proj @ refs.statement_vecs.T  # [n, r]
        sem_match = proj @ refs.match_vecs.T
        sem = np.maximum(sem_match, sem_statement)
        text_words = [content_words(t, exclude) for t in texts]
        lex = overlap_matrix(text_words, refs.words)
        match = sem + self.lexical_weight * lex
        top = np.argsort(-match, axis=1)[:, :TOP_K]
        is_myth = np.array([k == "myth" for k in refs.kinds], dtype=np.float32)
        facts = np.flatnonzero(is_myth == 0)
        judged = self.judge_pairs(texts, claim, match, is_myth, refs)
        veracity = self.veracity_of(texts, claim)
        out = []
        for i in range(n):
            idx = top[i]
            feats = self.pair_features(
                sem_statement[i, idx],
                sem_match[i, idx],
                lex[i, idx],
                is_myth[idx],
                sentiment[i, 0],
                sentiment[i, 2],
            )
            contra = self.contradiction_probability(feats)
            # the signal: the strongest contradiction among the nearest, weighed by how near
            # it is
            best = int(np.argmax(contra * match[i, idx]))
            p = float(self.stack(claim[i], false[i], contra[best], match[i, idx[best]]))
            ref = self.cited(match[i], facts)
            if ref in idx:
                contra_ref = float(contra[list(idx).index(ref)])
            else:
                one = [ref]
                contra_ref = float(
                    self.contradiction_probability(
                        self.pair_features(
                            sem_statement[i, one],
                            sem_match[i, one],
                            lex[i, one],
                            is_myth[one],
                            sentiment[i, 0],
                            sentiment[i, 2],
                        )
                    )[0]
                )
            parts = {"semantic": float(sem[i, ref]), "words": float(lex[i, ref]), "stack": p}
            flagged = p >= self.threshold
            if i in veracity:
                parts["veracity"], wording, near = veracity[i]
                if wording is not None:
                    parts["wording"] = wording
                if near is not None:
                    parts["neighbours"] = near
            if i in veracity and (i not in judged or self.veracity.undecided):
                # a possible claim the judge may leave undecided: the veracity model and the
                # heads together (decided below when the judge does decide)
                p_false, wording, near = veracity[i]
                p = self.veracity.decision(p_false, p, wording=wording, neighbours=near)
                flagged = p >= 0.5
            if i in judged:
                refs_i, probs = judged[i]
                k_contra = int(np.argmax(probs[:, 0]))
                contradicts, agrees = float(probs[k_contra, 0]), float(probs[:, 1].max())
                parts.update(judge_contradicts=contradicts, judge_agrees=agrees)
                judge = self.judge
                k, detail, right = self.details(texts[i], refs_i, probs, refs)
                if detail is not None:
                    # a price, time, day or span the fact says otherwise: flagged whatever the
                    # judge made of the rest ("closes at 4" reads to it as agreeing with "8am-6pm")
                    about = 1.0 - float(probs[k, 2])
                    flagged, p = True, max(p, about)
                    ref = int(refs_i[k])
                    contra_ref = max(float(probs[k, 0]), about)
                    parts.update(judge="wrong_detail", detail=detail.as_dict())
                elif right and (contradicts < judge.contradicts_at or k_contra == k):
                    # it states the fact's own price, times or days, and gets none wrong: a true
                    # claim ("open till 6 Mon-Thu"), whatever the judge, which reads numbers
                    # poorly, makes of that same fact ("they don't close at 5, it's 6")
                    flagged, p = False, min(p, 1.0 - float(probs[k, 1:].max()))
                    parts["judge"] = "right_detail"
                elif contradicts >= judge.contradicts_at:
                    # the judge read the text against this reference and found it denied: the
                    # flag cites it
                    flagged, p = True, max(p, contradicts)
                    ref = int(refs_i[k_contra])
                    contra_ref = contradicts
                    parts["judge"] = "contradicts"
                elif agrees >= judge.agrees_at:
                    flagged, p = False, min(p, 1.0 - agrees)
                    parts["judge"] = "agrees"
                elif i in veracity and self.veracity.undecided:
                    # neither: the veracity model and the heads (above) decide
                    parts["judge"] = "undecided"
                else:
                    # neither: the heads decide, more strictly than on a text never judged
                    flagged = p >= max(self.threshold, judge.stack_at)
                    parts["judge"] = "undecided"
            if flagged:
                # a flag no fact decided must be about a matter (claim_gate): not a service
                # complaint read as a false claim, nor a text the claim head barely reads as one
                why = claim_gate.blocks(
                    texts[i],
                    float(claim[i]),
                    parts.get("judge"),
                    text_words[i],
                    refs.words[ref],
                    float(match[i, ref]) >= self.min_similarity,
                )
                if why is not None:
                    parts.update(gate=why, gated_probability=p)
                    flagged, p = False, min(p, GATED_BELOW)
            out.append(
                Assessment(
                    probability=p,
                    claim_probability=float(claim[i]),
                    false_probability=float(false[i]),
                    contradiction_probability=contra_ref,
                    reference=ref,
                    similarity=float(match[i, ref]),
                    flagged=flagged,
                    parts=parts,
                )
            )
        return out

    def judge_pairs(self, texts, claim, match, is_myth, refs) -> dict:
        """text position -> (the references judged, [k, 3] judge probabilities), for the texts
        the claim head reads as a possible claim (the judge's gate), each against its
        JUDGED_FACTS nearest facts and JUDGED_MYTHS nearest myths, all pairs in one batch."""
        judge = self.judge
        rows = np.flatnonzero(claim >= judge.gate) if judge is not None else []
        if not len(rows):
            return {}

        def nearest(kind: np.ndarray, k: int) -> np.ndarray:
            """[len(rows), <= k] the k references of `kind` nearest each gated text."""
            if not k or not len(kind):
                return np.zeros((len(rows), 0), dtype=np.int64)
            order = np.argsort(-match[np.ix_(rows, kind)], axis=1, kind="stable")[:, :k]
            return kind[order]

        near = np.hstack(
            [
                nearest(np.flatnonzero(is_myth == 0), JUDGED_FACTS),
                nearest(np.flatnonzero(is_myth == 1), JUDGED_MYTHS),
            ]
        )
        if not near.shape[1]:
            return {}
        chosen = {int(i): idx for i, idx in zip(rows, near, strict=True)}
        statements = [refs.statements[j] for i in chosen for j in chosen[i]]
        pair_texts = [texts[i] for i in chosen for _ in chosen[i]]
        probs = judge.probabilities(statements, pair_texts)
        out, at = {}, 0
        for i, idx in chosen.items():
            out[i] = (idx, probs[at : at + len(idx)])
            at += len(idx)
        return out

    def veracity_of(self, texts, claim) -> dict[int, tuple[float, float | None, float | None]]:
        """text position -> (the veracity model's P(false claim), its wording model's and its
        nearest texts' or None), for the texts past the judge's gate (the veracity model's own
        when no judge is loaded), in one batch."""
        model = self.veracity
        if model is None:
            return {}
        gate = self.judge.gate if self.judge is not None else model.gate
        rows = [int(i) for i in np.flatnonzero(claim >= gate)]
        chosen = [texts[i] for i in rows]
        encoder = model.probabilities(chosen)
        wording = model.wording_probabilities(chosen)
        near = model.neighbours_votes(chosen, encoder, wording)
        return {
            i: (
                float(encoder[k]),
                None if wording is None else float(wording[k]),
                None if near is None else float(near[k]),
            )
            for k, i in enumerate(rows)
        }

    def details(self, text: str, judged: np.ndarray, probs: np.ndarray, refs: References):
        """(position among `judged`, the wrong Detail or None, whether the text gets the fact's
        details right) for the judged fact the text is most about, when the judge reads it as
        about that fact (not "unrelated"): the text states a price, opening time, opening day or
        span of time the fact says otherwise, or states its price, times or days and nothing
        wrong (details.check). (0, None, False) when no judged fact qualifies."""
        facts = [k for k, j in enumerate(judged) if refs.kinds[j] == "fact"]
        if not facts:
            return 0, None, False
        k = min(facts, key=lambda k: float(probs[k, 2]))
        if float(probs[k, 2]) >= DETAIL_UNRELATED_BELOW:
            return k, None, False
        sheet = [refs.statements[j] for j, kind in enumerate(refs.kinds) if kind == "fact"]
        wrong, right = details.check(text, refs.statements[int(judged[k])], sheet)
        return k, wrong, right

    def cited(self, match: np.ndarray, facts: np.ndarray) -> int:
        """The reference a flag cites as evidence: the clinic's own nearest fact when it is at
        least min_similarity near (the fact sheet is the clinic's word; on the training clinic
        claims the nearest reference of any kind was the right fact 66 times of 150, the nearest
        fact past min_similarity 101 times, a wrong fact 3 times either way), else the nearest
        reference of any kind."""
        if len(facts):
            nearest_fact = int(facts[np.argmax(match[facts])])
            if match[nearest_fact] >= self.min_similarity:
                return nearest_fact
        return int(np.argmax(match))

    def flag(self, text: str, a: Assessment, refs: References, exclude=frozenset()) -> dict | None:
        """The misinformation flag of one assessed text, or None."""
        if not a.flagged:
            return None
        contradicts = None
        ref_words: frozenset[str] = frozenset()
        if a.reference is not None and (
            a.similarity >= self.min_similarity
            or a.parts.get("judge") in ("contradicts", "wrong_detail")
        ):
            r = a.reference
            ref_words = refs.words[r]
            contradicts = {
                "kind": refs.kinds[r],
                "slug": refs.slugs[r],
                "statement": refs.statements[r],
                "similarity": round(a.similarity, 4),
                **{k: v for k, v in refs.extra[r].items() if v},
            }
            if a.parts.get("detail"):
                contradicts["detail"] = a.parts["detail"]
        span = claim_span(text, ref_words, exclude)
        return {
            "name": "misinformation",
            "evidence": [span],
            "probability": round(a.probability, 4),
            "claim": span,
            "contradicts": contradicts,
        }


def versioned(heads_version: str) -> str:
    """The misinformation heads' version as scores carry it: the trained heads'
    (misinformation_card.json) and the evidence gate's."""
    return f"{heads_version}+{claim_gate.version()}"


def claim_span(text: str, ref_words: frozenset[str] = frozenset(), exclude=frozenset()) -> str:
    """The sentence that carries the claim: the one sharing most words with the contradicted
    reference (the first sentence without one), at most MAX_SPAN_CHARS."""
    parts = [p.strip() for p in _SENTENCE.split(text or "") if p and p.strip()]
    if not parts:
        return ""
    best = parts[0]
    if ref_words and len(parts) > 1:
        scores = [len(content_words(p, exclude) & ref_words) for p in parts]
        best = parts[int(np.argmax(scores))]
    best = re.sub(r"\s+", " ", best)
    return best if len(best) <= MAX_SPAN_CHARS else best[: MAX_SPAN_CHARS - 1].rstrip() + "…"


NAME_GENERIC = frozenset(
    " ".join(
        [
            "dental dentistry dentist dentists clinic clinics medical health healthcare center ",
            "centre practice pediatrics paediatrics pediatric paediatric family care group ",
            "associates surgery hospital urgent the and of",
        ]
    ).split()
)


def name_pattern(clinic_name: str) -> re.Pattern | None:
    """The clinic's name as people write it: in full, or without its generic words
    ("Riverside Family Dental", "Riverside Family", "Riverside Dental" and "Riverside"), any
    case, whole words."""
    words = [w for w in re.findall(r"[\w'&]+", clinic_name or "") if w]
    if not words:
        return None
    variants = {" ".join(words)}
    distinctive = [w for w in words if w.lower() not in NAME_GENERIC]
    if distinctive:
        variants.add(" ".join(distinctive))
        # the name cut after its distinctive words ("Riverside Family" of "Riverside Family Dental")
        for end in range(len(words), 0, -1):
            if words[end - 1].lower() not in NAME_GENERIC:
                break
        for stop in range(end, len(words) + 1):
            variants.add(" ".join(words[:stop]))
        if words[0].lower() not in NAME_GENERIC:
            variants.add(words[0])
        if words[-1].lower() in NAME_GENERIC:
            variants.add(" ".join([*distinctive, words[-1]]))
    body = "|".join(
        r"\s+".join(re.escape(p) for p in v.split())
        for v in sorted(variants, key=len, reverse=True)
    )
    return re.compile(r"(?<!\w)(?:" + body + r")(?:'s)?(?!\w)", re.IGNORECASE)


def mask_name(text: str, pattern: re.Pattern | None) -> str:
    """The text with the clinic's name replaced by "the clinic"."""
    if pattern is None or not text:
        return text
    return pattern.sub("the clinic", text)


def name_words(clinic_name: str) -> frozenset[str]:
    return content_words(clinic_name)
