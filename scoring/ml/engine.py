"""The scoring engine: sentiment (negative / neutral / positive and a score in [-1, 1]), care
topics and risk flags for a list of review texts. Pure Python, no Django.

    from scoring.ml.engine import ScorerConfig, load_scorer
    scorer = load_scorer(ScorerConfig(model="default"))      # once per worker process
    results = scorer.score(["The nurse was lovely", "Waited 3 hours, rude receptionist"])
    scorer.version                                             # stored with every score

Models
    "default" (or ""): the shipped model in artifacts/ — the fine-tuned all-MiniLM-L6-v2
        encoder as an int8 ONNX file (ONNX Runtime, one thread) + a linear head (head.npz).
        Imports onnxruntime, tokenizers and numpy only; never torch or transformers.
        Version: model_card.json's "version", then the misinformation heads', the topic head's
        and the hand-written rules' (default_model_version).
    anything else: bring your own — a local folder or a Hugging Face model id of a
        sequence-classification model, loaded offline through transformers
        (AutoModelForSequenceClassification, needs torch). Version: "byo:<model>", then the
        misinformation heads' and the rules'.
        If it cannot be loaded, ModelLoadError says what failed and how to fix it.

Label mapping for bring-your-own models (id2label names, case-insensitive, first rule wins):
    1. ScorerConfig.label_map, e.g. {"LABEL_0": "negative", "LABEL_1": "positive"};
    2. a name containing "neg" -> negative, "pos" -> positive, "neu" or "mixed" -> neutral;
    3. star ratings "1 star" .. "5 stars": 1-2 negative, 3 neutral, 4-5 positive;
    4. generic names LABEL_0..LABEL_n-1: 3 labels -> negative, neutral, positive (the
       cardiffnlp convention); 2 labels -> negative, positive (the SST-2 convention);
    otherwise ModelLoadError. At least one negative and one positive label are required. The
    probabilities of labels mapped to the same class are summed.

Per-topic sentiment (ScorerConfig.topic_sentiment, on by default): every topic dict also gets
"sentiment", the label of the mean probabilities of the sentences that mention the topic (at
most MAX_TOPIC_SENTENCES sentences a review); where a sentence joins contrasting clauses ("Great
therapists, but the wait was long."), of the clause that mentions it (clauses.py, topic_spans).
A one-sentence review without such clauses gives its topics its overall label. The default
model reads a topic sentence in the review's own encoding: its tokens' last layer states,
pooled (encoder.encode_spans), go to the topic head (topic_head.npz) — no second model pass,
except for a sentence the review's token budget cut, which is encoded alone
(SENTENCE_MAX_TOKENS), and a contrasting clause not about the wait, which is encoded alone and
read against its own overall reading (topic_inputs). Bring-your-own models score the
sentences alone, in one batch per call.
A wait the text states plainly ("over two hours", "no wait at all", "about 20 minutes") decides
wait_time over any model (waits.py): reviewers' punctuality ratings forgive long waits, readers
do not. Only the overall label counts as the review's sentiment (surge detector, SLA counts).

Score = P(positive) - P(negative); confidence = the probability of the chosen label. An empty
or blank text is neutral with score 0 and confidence 0. Sentiment reads a token budget: for the
default model the head and tail of a long text (model_card.json "inference": max_tokens,
tail_tokens; ScorerConfig overrides them), for bring-your-own models the first max_tokens
(default 128); topics and flags read the whole text (up to 20,000 characters).
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from scoring.ml.claims import FactRef, mask_name, name_pattern, name_words
from scoring.ml.clauses import clause_spans
from scoring.ml.data import LABELS
from scoring.ml.flags import find_flags
from scoring.ml.topics import TopicMatch, find_topics, rules_version, topic_matches, topics_of
from scoring.ml.waits import stated_wait

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MAX_SCAN_CHARS = 20_000
MAX_TOPIC_SENTENCES = 4
SENTENCE_MAX_TOKENS = 48  # token budget of one topic sentence (head + tail beyond it)
TOPIC_OVERRIDE_MIN = 0.8
TOPIC_HEAD_FILE = "topic_head.npz"
# Sentence ends: . ! ? (and runs of them) before whitespace, or a line break.
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")
# What the topic head reads (topic_head.npz meta "features"): a topic sentence's tokens pooled
# from the review's own encoding (OnnxEncoder.encode_spans), the review's log-probabilities
TOPIC_FEATURES = "sentence tokens in the review's context + overall log-probabilities"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence of `text` (_SENTENCE_SPLIT's parts)."""
    out, pos = [], 0
    for m in _SENTENCE_SPLIT.finditer(text):
        if text[pos : m.start()].strip():
            out.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        out.append((pos, len(text)))
    return out


def topic_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each part of `text` a topic's sentiment reads: its sentences, each cut
    into its contrasting clauses where it has them (clauses.py: "Great therapists, but the wait
    was long." is two parts)."""
    return [part for a, b in sentence_spans(text) for part in clause_spans(text, a, b)]


@dataclass
class TopicSentences:
    """The sentences per-topic sentiment reads (topic_sentences())."""

    sentences: list[str] = field(default_factory=list)  # as topics read them (name masked)
    owners: list[int] = field(default_factory=list)  # the text each belongs to
    # its characters in the text as the model reads it; None where masking the clinic's name
    # moved the sentence bounds (then it is read on its own)
    spans: list[tuple[int, int] | None] = field(default_factory=list)
    # (text, {topic: [sentence rows]}) for the texts with two or more sentences or clauses
    jobs: list[tuple[int, dict[str, list[int]]]] = field(default_factory=list)
    # whether the row is a contrasting clause of a longer sentence (clauses.py)
    clauses: list[bool] = field(default_factory=list)

    def spans_of(self, texts: Sequence[int]) -> list[list[tuple[int, int]]]:
        """The located spans of each of `texts` (indices), in sentence-row order."""
        wanted = {i: [] for i in texts}
        for owner, span in zip(self.owners, self.spans, strict=True):
            if span is not None and owner in wanted:
                wanted[owner].append(span)
        return [wanted[i] for i in texts]


def topic_sentences(
    texts: Sequence[str],
    masked: Sequence[str],
    topics: Sequence[list[dict]],
    matches: Sequence[list[TopicMatch] | None] | None = None,
) -> TopicSentences:
    """The sentences of each text that mention one of its topics, or of a sentence that joins
    contrasting clauses the clauses that do (topic_spans; at most MAX_TOPIC_SENTENCES a text;
    none for a text of one sentence without such clauses), found in the masked text and located
    in the text.
    `matches`: topics.topic_matches of each masked text, when the caller has them (a sentence's
    topics are then read off them instead of scanning it again)."""
    plan = TopicSentences()
    for i, (text, scan, found) in enumerate(zip(texts, masked, topics, strict=True)):
        if not found:
            continue
        bounds = topic_spans(scan)
        if len(bounds) < 2:
            continue
        whole = set(sentence_spans(scan))
        located = topic_spans(text[:MAX_SCAN_CHARS]) if scan != text[:MAX_SCAN_CHARS] else bounds
        same_shape = len(located) == len(bounds)
        known = matches[i] if matches is not None else None
        if known is not None and not _inside_sentences(known, bounds):
            known = None  # a trigger across a sentence break: scan sentence by sentence
        members: dict[str, list[int]] = {}
        for k, (a, b) in enumerate(bounds):
            part = scan[a:b]
            in_part = find_topics(part) if known is None else topics_of(known, a, b)
            names = [t["name"] for t in in_part]
            if not names:
                continue
            index = len(plan.sentences)
            plan.sentences.append(part)
            plan.owners.append(i)
            plan.spans.append(located[k] if same_shape else None)
            plan.clauses.append((a, b) not in whole)
            for name in names:
                members.setdefault(name, []).append(index)
            if len({r for v in members.values() for r in v}) >= MAX_TOPIC_SENTENCES:
                break
        if members:
            plan.jobs.append((i, members))
    return plan


def _inside_sentences(matches: list[TopicMatch], bounds: list[tuple[int, int]]) -> bool:
    """Whether every match lies inside one sentence (bounds: sorted, apart)."""
    starts = [a for a, _ in bounds]
    for _, a, b, _ in matches:
        k = bisect.bisect_right(starts, a) - 1
        if k < 0 or b > bounds[k][1]:
            return False
    return True


def topic_embeddings(encoder, plan: TopicSentences, in_context: list[np.ndarray]) -> np.ndarray:
    """[len(plan.sentences), dim]: each topic sentence's tokens pooled in its review's encoding;
    a sentence the review's token budget cut (or that could not be located) is encoded alone
    (its own tokens pooled, at most SENTENCE_MAX_TOKENS). Training (topic_train.py) and scoring
    both build the head's input here."""
    out = np.zeros((len(plan.sentences), encoder.dim), dtype=np.float32)
    taken: dict[int, int] = {}
    alone: list[int] = []
    for row, (owner, span) in enumerate(zip(plan.owners, plan.spans, strict=True)):
        if span is None:
            alone.append(row)
            continue
        k = taken.get(owner, 0)
        taken[owner] = k + 1
        vec = in_context[owner][k]
        if vec.any():
            out[row] = vec
        else:
            alone.append(row)
    if alone:
        sentences = [plan.sentences[r] for r in alone]
        _, pooled = encoder.encode_spans(
            sentences, [[(0, len(s))] for s in sentences], max_tokens=SENTENCE_MAX_TOKENS
        )
        for r, rows in zip(alone, pooled, strict=True):
            out[r] = rows[0]
    return out


def topic_inputs(
    encoder, head, plan: TopicSentences, in_context: list[np.ndarray], overall: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What the topic head reads for each of plan's rows: (vectors, the overall probabilities
    it weighs them against). A sentence, and a clause about the wait, is read in its review's
    encoding against the review's overall probabilities (topic_embeddings); any other
    contrasting clause ("Super friendly team | but parking is impossible.") is a verdict of its
    own: it is encoded alone and weighed against the review head's reading of it, not against
    the review's — in the review's encoding the praise beside it colours its tokens, and the
    review's label is the praise's. The wait is the exception: the review head learned "wait"
    from complaints and reads a wait clause alone as one ("I was laughing while I was
    waiting"), and the wait's own rule (waits.py) decides plainly stated waits anyway.
    `overall`: each text's overall probabilities. Training (topic_train.py) and scoring both
    build the head's input here."""
    vectors = topic_embeddings(encoder, plan, in_context)
    priors = overall[plan.owners].astype(np.float64)
    waits = {r for _, members in plan.jobs for r in members.get("wait_time", ())}
    alone = [r for r, clause in enumerate(plan.clauses) if clause and r not in waits]
    if alone:
        vectors[alone] = encoder.encode(
            [plan.sentences[r] for r in alone], max_tokens=SENTENCE_MAX_TOKENS
        )
        priors[alone] = head.probabilities(vectors[alone])
    return vectors, priors


class ModelLoadError(RuntimeError):
    """The configured model cannot be loaded; the message says what failed and how to fix it."""


@dataclass
class ScorerConfig:
    model: str = "default"
    artifacts_dir: str | None = None
    batch_size: int = 8  # the most texts per ONNX call (encoder.length_batches)
    max_tokens: int | None = None  # None: the model card's (default model) or 128 (BYO)
    tail_tokens: int | None = None  # default model only; None: the model card's
    threads: int = 1
    label_map: dict[str, str] | None = None
    misinformation: bool = True
    # the veracity model's word on possible claims the judge leaves undecided (off: the heads'
    # alone, as before veracity-1.0.0; for its own calibration and comparisons)
    veracity: bool = True
    topic_sentiment: bool = True  # a sentiment label per topic (Scorer.topic_sentiments)
    # a topic's sentences overrule the review's overall label only when their own label is at
    # least this probable; None: the topic head's own floor (topic_head.npz), or
    # TOPIC_OVERRIDE_MIN when the review head reads the sentences (bench/sentiment/topics.py)
    topic_override_min: float | None = None


@dataclass
class ScoreResult:
    label: str
    score: float
    confidence: float
    topics: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    model_version: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class Scorer:
    """Base class. Subclasses implement `sentiment`."""

    version: str = ""

    def __init__(self, config: ScorerConfig, misinformation_model=None):
        self.config = config
        self.misinformation = misinformation_model
        self._claim_encoder = None

    def sentiment(self, texts: Sequence[str]) -> np.ndarray:
        """[n, 3] probabilities in LABELS order (negative, neutral, positive); argmax = label."""
        raise NotImplementedError

    def sentiment_and_embeddings(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sentiment probabilities and the shipped encoder's embedding of each text, which the
        misinformation heads read. The default model computes both from one encoding; a
        bring-your-own model's texts are encoded a second time by the shipped encoder."""
        return self.sentiment(texts), self.claim_embeddings(texts)

    def claim_embeddings(self, texts: Sequence[str]) -> np.ndarray:
        if self._claim_encoder is None:
            from scoring.ml.encoder import OnnxEncoder

            artifacts = Path(self.config.artifacts_dir) if self.config.artifacts_dir else ARTIFACTS
            card = json.loads((artifacts / "model_card.json").read_text(encoding="utf-8"))
            budget = card.get("inference_tokens") or {}
            self._claim_encoder = OnnxEncoder(
                artifacts / "encoder_int8.onnx",
                artifacts / "tokenizer.json",
                max_tokens=budget.get("max_tokens", 128),
                tail_tokens=budget.get("tail_tokens", 0),
                threads=self.config.threads,
            )
        return self._claim_encoder.encode(texts)

    def sentence_sentiment(self, sentences: Sequence[str]) -> np.ndarray:
        """Like `sentiment`, for the short sentences of per-topic sentiment."""
        return self.sentiment(sentences)

    def topic_sentence_probs(self, sentences: Sequence[str], overall: np.ndarray) -> np.ndarray:
        """[n, 3] probabilities of topic sentences read on their own; `overall`: their reviews'
        probabilities."""
        return self.sentence_sentiment(sentences)

    def read_reviews(
        self, texts: Sequence[str], spans: Sequence[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray] | None]:
        """One model pass over the texts: (sentiment probabilities, the shipped encoder's
        embeddings for the misinformation heads or None, each text's topic-sentence spans read
        in context or None when this model reads topic sentences on their own)."""
        if self.misinformation is not None:
            probs, emb = self.sentiment_and_embeddings(texts)
            return probs, emb, None
        return self.sentiment(texts), None, None

    def topic_probs(
        self, plan: TopicSentences, probs: np.ndarray, in_context: list[np.ndarray] | None
    ) -> np.ndarray:
        """[len(plan.sentences), 3] probabilities of the topic sentences; `probs`: every
        text's overall probabilities; `in_context`: what read_reviews returned for the spans."""
        return self.topic_sentence_probs(plan.sentences, probs[plan.owners])

    def topic_floor(self) -> float:
        floor = getattr(self.config, "topic_override_min", None)
        return TOPIC_OVERRIDE_MIN if floor is None else float(floor)

    def topic_sentiments(
        self,
        plan: TopicSentences,
        topics: Sequence[list[dict]],
        probs: np.ndarray,
        in_context: list[np.ndarray] | None = None,
        texts: Sequence[str] | None = None,
    ) -> None:
        """Add "sentiment" (negative / neutral / positive) to every topic dict, in place: the
        label of the mean probabilities of the text's sentences that mention the topic
        (`plan`, topic_sentences()), where at least topic_floor() probable; else, and for a text
        of one sentence or whose topic sentences cannot be told apart, the overall label.
        `texts` (as the topics read them): where given, a plainly stated wait decides wait_time
        (stated_waits)."""
        for i, found in enumerate(topics):
            overall = LABELS[int(probs[i].argmax())] if probs[i].any() else "neutral"
            for t in found:
                t["sentiment"] = overall
        if plan.sentences:
            sent_probs = self.topic_probs(plan, probs, in_context)
            floor = self.topic_floor()
            for i, members in plan.jobs:
                for t in topics[i]:
                    rows = members.get(t["name"])
                    if rows:
                        p = sent_probs[rows].mean(axis=0)
                        k = int(p.argmax())
                        if p[k] >= floor:  # else the review's overall label stands
                            t["sentiment"] = LABELS[k]
        if texts is not None:
            self.stated_waits(plan, topics, texts)

    @staticmethod
    def stated_waits(plan: TopicSentences, topics: Sequence[list[dict]], texts: Sequence[str]):
        """A wait the text states plainly ("over two hours", "no wait at all") decides the
        wait_time label over the model (waits.stated_wait): read on the topic's sentences, or
        on the whole text when it has one sentence. A long wait anywhere makes it negative."""
        rows_of = {i: members.get("wait_time") for i, members in plan.jobs}
        for i, found in enumerate(topics):
            for t in found:
                if t["name"] != "wait_time":
                    continue
                rows = rows_of.get(i)
                parts = [plan.sentences[r] for r in rows] if rows else [texts[i]]
                said = {stated_wait(part) for part in parts} - {None}
                if said:
                    t["sentiment"] = (
                        "negative" if "negative" in said
                        else "positive" if said == {"positive"}
                        else "neutral"
                    )  # fmt: skip

    def score(
        self,
        texts: list[str],
        *,
        clinic_name: str = "",
        facts: Sequence[FactRef] = (),
        clinic_key: str = "",
    ) -> list[ScoreResult]:
        """Score `texts`. `clinic_name`: the clinic the texts are about (its name is ignored by
        topics and claims: "Riverside Family Dental" is not about family carers); `facts`: the
        clinic's active fact sheet, which claims are checked against besides the myth library;
        `clinic_key` identifies the clinic for the cache of its facts' embeddings."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        live = [i for i, t in enumerate(texts) if t.strip()]
        pattern = name_pattern(clinic_name)
        masked = [mask_name(t[:MAX_SCAN_CHARS], pattern) for t in texts]
        matches = [topic_matches(t) for t in masked]
        all_topics = [
            find_topics(t) if m is None else topics_of(m)
            for t, m in zip(masked, matches, strict=True)
        ]
        per_topic = getattr(self.config, "topic_sentiment", True)
        plan = (
            topic_sentences(texts, masked, all_topics, matches) if per_topic else TopicSentences()
        )
        probs = np.zeros((len(texts), 3), dtype=np.float64)
        emb, in_context = None, None
        if live:
            live_texts = [texts[i] for i in live]
            spans = plan.spans_of(live)
            live_probs, emb, live_context = self.read_reviews(live_texts, spans)
            probs[live] = live_probs
            if live_context is not None:
                in_context = [np.zeros((0, 1), dtype=np.float32)] * len(texts)
                for i, rows in zip(live, live_context, strict=True):
                    in_context[i] = rows
        if per_topic:
            self.topic_sentiments(plan, all_topics, probs, in_context, masked)
        claims: dict[int, dict] = {}
        if emb is not None:
            claims = self.claim_flags(
                [texts[i] for i in live], emb, live, clinic_name, facts, clinic_key
            )
        results = []
        live_set = set(live)
        for i, text in enumerate(texts):
            scan = text[:MAX_SCAN_CHARS]
            topics = all_topics[i]
            if i in live_set:
                p = probs[i]
                k = int(p.argmax())
                label, score, conf = LABELS[k], float(p[2] - p[0]), float(p[k])
            else:
                label, score, conf = "neutral", 0.0, 0.0
            flags = find_flags(scan)
            if i in claims:
                flags.append(claims[i])
            results.append(
                ScoreResult(
                    label=label,
                    score=round(max(-1.0, min(1.0, score)), 6),
                    confidence=round(conf, 6),
                    topics=topics,
                    flags=flags,
                    model_version=self.version,
                )
            )
        return results

    def claim_flags(
        self,
        texts: list[str],
        emb: np.ndarray,
        positions: list[int],
        clinic_name: str,
        facts: Sequence[FactRef],
        clinic_key: str,
    ) -> dict[int, dict]:
        """position -> the misinformation flag, for the texts that carry one."""
        model = self.misinformation
        refs = model.references(facts, self.claim_embeddings, key=clinic_key or clinic_name)
        exclude = name_words(clinic_name)
        out = {}
        for pos, text, a in zip(
            positions, texts, model.assess(texts, emb, refs, exclude), strict=True
        ):
            flag = model.flag(text[:MAX_SCAN_CHARS], a, refs, exclude)
            if flag is not None:
                out[pos] = flag
        return out


# ------------------------------------------------------------------ default model


class DefaultScorer(Scorer):
    def __init__(self, config: ScorerConfig, artifacts_dir: Path, misinformation_model=None):
        from scoring.ml.encoder import EncoderLoadError, OnnxEncoder
        from scoring.ml.head import SentimentHead

        super().__init__(config, misinformation_model)
        card_path = artifacts_dir / "model_card.json"
        needed = [
            card_path,
            artifacts_dir / "encoder_int8.onnx",
            artifacts_dir / "tokenizer.json",
            artifacts_dir / "head.npz",
        ]
        missing = [str(p) for p in needed if not p.is_file()]
        if missing:
            raise ModelLoadError(
                f"the default model's files are missing: {', '.join(missing)}. They are committed under "
                "scoring/ml/artifacts/; restore them from git or rebuild them with "
                "`python -m scoring.ml.train --data /work/shared/data --out scoring/ml/artifacts`."
            )
        self.card = json.loads(card_path.read_text(encoding="utf-8"))
        self.version = self.card["version"]
        budget = self.card.get("inference_tokens") or {}
        max_tokens = config.max_tokens or budget.get("max_tokens", 128)
        tail_tokens = (
            config.tail_tokens if config.tail_tokens is not None else budget.get("tail_tokens", 0)
        )
        try:
            self.encoder = OnnxEncoder(
                artifacts_dir / "encoder_int8.onnx",
                artifacts_dir / "tokenizer.json",
                max_tokens=max_tokens,
                batch_size=config.batch_size,
                threads=config.threads,
                tail_tokens=tail_tokens,
                token_states=True,  # topic sentences read in context (encode_spans)
            )
        except (EncoderLoadError, OSError, RuntimeError) as exc:
            raise ModelLoadError(f"the default ONNX encoder could not be loaded: {exc}") from exc
        self.head = SentimentHead.load(artifacts_dir / "head.npz")
        self.topic_head = None
        if config.topic_sentiment and (artifacts_dir / TOPIC_HEAD_FILE).is_file():
            from scoring.ml.head import TopicHead

            self.topic_head = TopicHead.load(artifacts_dir / TOPIC_HEAD_FILE)
            if self.topic_head.meta.get("features") != TOPIC_FEATURES:
                raise ModelLoadError(
                    f"the topic head reads {self.topic_head.meta.get('features')!r}, this engine "
                    f"gives it {TOPIC_FEATURES!r}. Fix: restore scoring/ml/artifacts from git or "
                    "retrain it with `python -m scoring.ml.topic_train`."
                )
            if not self.encoder.token_states:
                raise ModelLoadError(
                    "the topic head reads token states the shipped encoder graph does not "
                    "pool (encoder.pooled_states). Fix: restore scoring/ml/artifacts from git."
                )
            if self.topic_head.meta.get("encoder") != self.version:
                raise ModelLoadError(
                    f"the topic head was trained on {self.topic_head.meta.get('encoder')}, but "
                    f"the shipped encoder is {self.version}. Fix: restore scoring/ml/artifacts "
                    "from git or retrain it with `python -m scoring.ml.topic_train`."
                )

    def read_reviews(
        self, texts: Sequence[str], spans: Sequence[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray] | None]:
        if self.topic_head is None:
            return super().read_reviews(texts, spans)
        emb, in_context = self.encoder.encode_spans(texts, spans)
        probs = self.head.probabilities(emb).astype(np.float64)
        return probs, (emb if self.misinformation is not None else None), in_context

    def topic_probs(
        self, plan: TopicSentences, probs: np.ndarray, in_context: list[np.ndarray] | None
    ) -> np.ndarray:
        if self.topic_head is None or in_context is None:
            return super().topic_probs(plan, probs, in_context)
        vectors, priors = topic_inputs(self.encoder, self.head, plan, in_context, probs)
        return self.topic_head.probabilities(vectors, priors, self.head.probabilities(vectors))

    def topic_floor(self) -> float:
        if self.topic_head is not None and getattr(self.config, "topic_override_min", None) is None:
            return self.topic_head.floor
        return super().topic_floor()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def claim_embeddings(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def sentiment(self, texts: Sequence[str]) -> np.ndarray:
        return self.head.probabilities(self.encoder.encode(texts)).astype(np.float64)

    def sentiment_and_embeddings(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        emb = self.encoder.encode(texts)
        return self.head.probabilities(emb).astype(np.float64), emb

    def sentence_sentiment(self, sentences: Sequence[str]) -> np.ndarray:
        emb = self.encoder.encode(sentences, max_tokens=SENTENCE_MAX_TOKENS)
        return self.head.probabilities(emb).astype(np.float64)


# ------------------------------------------------------------------ bring your own


_STARS = re.compile(r"^\s*([1-5])\s*stars?\s*$", re.IGNORECASE)
_GENERIC = re.compile(r"^label_(\d+)$", re.IGNORECASE)


def map_labels(id2label: dict, label_map: dict[str, str] | None = None) -> list[str]:
    """Class index -> negative / neutral / positive, by the rules in this module's docstring."""
    n = len(id2label)
    names = [str(id2label.get(i, id2label.get(str(i), f"LABEL_{i}"))) for i in range(n)]
    override = {k.lower(): v for k, v in (label_map or {}).items()}
    out: list[str | None] = []
    for name in names:
        low = name.strip().lower()
        target = None
        if low in override:
            target = override[low]
        elif "neg" in low:
            target = "negative"
        elif "pos" in low:
            target = "positive"
        elif "neu" in low or "mixed" in low:
            target = "neutral"
        elif _STARS.match(low):
            stars = int(_STARS.match(low).group(1))
            target = "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"
        out.append(target)
    if any(t is None for t in out) and all(_GENERIC.match(x.strip()) for x in names):
        if n == 3:
            out = ["negative", "neutral", "positive"]
        elif n == 2:
            out = ["negative", "positive"]
    bad = [f"{names[i]!r}" for i, t in enumerate(out) if t not in LABELS]
    if bad or "negative" not in out or "positive" not in out:
        raise ModelLoadError(
            f"cannot map the model's labels {names} to negative/neutral/positive "
            f"(unmapped: {', '.join(bad) or 'none'}; a negative and a positive label are required). "
            "Fix: set ScorerConfig.label_map (e.g. {'LABEL_0': 'negative', 'LABEL_1': 'positive'}) or "
            "use a model whose id2label names say negative/neutral/positive."
        )
    return out  # type: ignore[return-value]


class TransformersScorer(Scorer):
    def __init__(self, config: ScorerConfig, misinformation_model=None):
        super().__init__(config, misinformation_model)
        self.version = f"byo:{config.model}"
        self.tokenizer, self.model = _load_byo(config.model)
        self.torch.set_num_threads(max(1, int(config.threads)))
        self.classes = map_labels(self.model.config.id2label, config.label_map)
        self._matrix = np.zeros((len(self.classes), 3))
        for i, name in enumerate(self.classes):
            self._matrix[i, LABELS.index(name)] = 1.0

    @property
    def torch(self):
        import torch

        return torch

    def sentiment(self, texts: Sequence[str]) -> np.ndarray:
        torch = self.torch
        lengths = [
            len(ids)
            for ids in self.tokenizer(
                list(texts), truncation=True, max_length=self.config.max_tokens or 128
            )["input_ids"]
        ]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        out = np.zeros((len(texts), 3))
        size = max(1, self.config.batch_size)
        with torch.inference_mode():
            for start in range(0, len(order), size):
                chunk = order[start : start + size]
                enc = self.tokenizer(
                    [texts[i] for i in chunk],
                    padding=True,
                    truncation=True,
                    max_length=self.config.max_tokens or 128,
                    return_tensors="pt",
                )
                logits = self.model(**enc).logits.float()
                probs = torch.softmax(logits, dim=-1).numpy()
                out[chunk] = probs @ self._matrix
        return out


def _load_byo(model: str):
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch  # noqa: F401
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise ModelLoadError(
            f"bring-your-own model {model!r} needs torch and transformers, which cannot be imported "
            f"here ({exc}). Fix: install them in this environment (pip install torch transformers) "
            "or set the model to 'default'."
        ) from exc
    path = Path(model).expanduser()
    looks_like_path = (
        model.startswith(("/", "./", "../", "~")) or model.count("/") > 1 or "\\" in model
    )
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(
                f"model path {path} is a file, not a folder. Fix: point it at the folder that holds config.json."
            )
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"model folder {path} has no config.json, so it is not a transformers model folder. "
                "Fix: save the model there with model.save_pretrained(folder) and "
                "tokenizer.save_pretrained(folder)."
            )
        source, where = str(path), f"folder {path}"
    elif looks_like_path:
        raise ModelLoadError(
            f"model folder {path} does not exist. Fix: set the model to an existing folder that holds a "
            "sequence-classification model saved with save_pretrained (config.json, weights, tokenizer "
            "files), or to 'default'."
        )
    else:
        source, where = model, f"Hugging Face id {model!r} (offline: local cache only)"
    hint = (
        f"Fix: downloads are disabled (HF_HUB_OFFLINE=1); on a machine with internet run "
        f"`hf download {model}` with HF_HOME pointing at this machine's cache "
        f"({os.environ.get('HF_HOME', '~/.cache/huggingface')}), or save the model to a folder with "
        "save_pretrained and set the model to that folder."
        if source == model
        else "Fix: re-save the model and tokenizer into that folder with save_pretrained."
    )
    try:
        config = AutoConfig.from_pretrained(source, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - reported with its cause
        raise ModelLoadError(
            f"could not load the model config from {where}: {exc.__class__.__name__}: {exc}. {hint}"
        ) from exc
    if not getattr(config, "id2label", None):
        raise ModelLoadError(
            f"the model config from {where} has no id2label labels. Fix: use a sequence-classification model."
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(
            f"could not load the tokenizer from {where}: {exc.__class__.__name__}: {exc}. "
            f"Fix: save the tokenizer beside the model with tokenizer.save_pretrained(folder). {hint}"
        ) from exc
    try:
        model_obj = AutoModelForSequenceClassification.from_pretrained(
            source, local_files_only=True
        )
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(
            f"could not load the sequence-classification weights from {where}: {exc.__class__.__name__}: "
            f"{exc}. Fix: the folder needs a model saved with save_pretrained whose architecture "
            f"has a sequence-classification head (AutoModelForSequenceClassification). {hint}"
        ) from exc
    model_obj.eval()
    return tokenizer, model_obj


# ------------------------------------------------------------------ factory


def _misinformation(
    artifacts_dir: Path,
    enabled: bool,
    encoder_version: str | None,
    threads: int = 1,
    with_veracity: bool = True,
):
    if not enabled:
        return None
    from scoring.ml import judge, veracity
    from scoring.ml.claims import HEADS_FILE, ClaimModel

    path = artifacts_dir / HEADS_FILE
    fix = (
        "Fix: restore scoring/ml/artifacts from git, retrain the heads with "
        "`python -m scoring.ml.misinfo_train`, or set ScorerConfig.misinformation=False."
    )
    if not path.is_file():
        raise ModelLoadError(f"the misinformation heads {path} are missing. {fix}")
    try:
        model = ClaimModel.load(artifacts_dir)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"the misinformation heads could not be loaded: {exc}. {fix}") from exc
    trained_on = model.meta.get("encoder")
    if encoder_version is not None and trained_on != encoder_version:
        raise ModelLoadError(
            f"the misinformation heads were trained on the embeddings of {trained_on}, but the "
            f"shipped encoder is {encoder_version}. {fix}"
        )
    try:
        model.judge = judge.load(artifacts_dir / "judge", threads=threads)
    except judge.JudgeLoadError as exc:
        raise ModelLoadError(f"{exc} (or set ScorerConfig.misinformation=False)") from exc
    if with_veracity:
        try:
            model.veracity = veracity.load(artifacts_dir / "veracity", threads=threads)
        except veracity.VeracityLoadError as exc:
            raise ModelLoadError(f"{exc} (or set ScorerConfig.misinformation=False)") from exc
    return model


def load_scorer(config: ScorerConfig | None = None) -> Scorer:
    """Load the configured model (call once per worker process, after fork)."""
    config = config or ScorerConfig()
    artifacts_dir = Path(config.artifacts_dir) if config.artifacts_dir else ARTIFACTS
    model = (config.model or "").strip()
    if model in ("", "default"):
        scorer: Scorer = DefaultScorer(config, artifacts_dir)
        encoder_version = scorer.version
    else:
        config.model = model
        scorer = TransformersScorer(config)
        encoder_version = default_sentiment_version(artifacts_dir)
    scorer.misinformation = _misinformation(
        artifacts_dir, config.misinformation, encoder_version, config.threads, config.veracity
    )
    if scorer.misinformation is not None:
        scorer.version = (
            f"{scorer.version}/{scorer.misinformation.version}"
            f"/{scorer.misinformation.judge.version}"
        )
        if scorer.misinformation.veracity is not None:
            scorer.version += f"/{scorer.misinformation.veracity.version}"
    if getattr(scorer, "topic_head", None) is not None:
        scorer.version = f"{scorer.version}/{scorer.topic_head.version}"
    scorer.version = f"{scorer.version}/{rules_version()}"
    scorer.score(["warm up"])  # first-call costs (ORT/torch allocations) happen at load time
    return scorer


def default_sentiment_version(artifacts_dir: str | Path | None = None) -> str:
    path = Path(artifacts_dir or ARTIFACTS) / "model_card.json"
    return json.loads(path.read_text(encoding="utf-8"))["version"]


def default_model_version(
    artifacts_dir: str | Path | None = None, misinformation: bool = True
) -> str:
    """The shipped model's version, without loading it: the sentiment model's, then after
    slashes the misinformation heads' (misinformation_card.json), the claim judge's
    (judge/card.json), the veracity model's (veracity/card.json), the topic head's
    (topic_card.json) and the hand-written rules' (topics.rules_version)."""
    folder = Path(artifacts_dir or ARTIFACTS)
    version = default_sentiment_version(folder)
    card = folder / "misinformation_card.json"
    if misinformation and card.is_file():
        from scoring.ml.claims import versioned  # the heads' version and the evidence gate's

        version += "/" + versioned(json.loads(card.read_text(encoding="utf-8"))["version"])
        judge_card = folder / "judge" / "card.json"
        if judge_card.is_file():
            version += "/" + json.loads(judge_card.read_text(encoding="utf-8"))["version"]
        veracity_card = folder / "veracity" / "card.json"
        if veracity_card.is_file():
            version += "/" + json.loads(veracity_card.read_text(encoding="utf-8"))["version"]
    topics = folder / "topic_card.json"
    if topics.is_file():
        version += "/" + json.loads(topics.read_text(encoding="utf-8"))["version"]
    return f"{version}/{rules_version()}"
