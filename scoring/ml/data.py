"""Loaders for the labelled data in /work/shared/data (see its README.md), with fixed splits.

Every loader returns plain `Example`s (text, label, source) with the traps of each file handled:

drugs_com_subset (TSV, 600 train / 379 test)
    The review is wrapped in an extra pair of quotes and holds HTML entities (``&#039;``,
    ``&amp;``, ``&rsquo;``...): quotes stripped, entities unescaped (twice, for ``&amp;#039;``).
    Labels are already negative / neutral / positive (rating 1-4 / 5-6 / 7-10).
    Splits: the files' own train / test.

druglib (TSV with CRLF line endings and quoted multi-line fields, 3,107 train / 1,036 test)
    Read with ``newline=""`` so the csv module keeps quoted CRLFs inside fields, then every CR
    is normalised away. The review is split over ``benefitsReview``, ``sideEffectsReview`` and
    ``commentsReview``: joined with a blank line in that order. The test file names its second
    column ``urlDrugName`` (the train file ``DrugName``): both read. The rating 1-10 is mapped
    like drugs.com (1-4 negative, 5-6 neutral, 7-10 positive). Train rows whose cleaned text
    is also in the test file are dropped: 16 rows, i.e. the README's 14 reviews (15 rows, one
    is in train twice) plus one (num 506) that differs from its test copy only in whitespace.
    Splits: the files' own train / test.

nhs_feedback/v6framework_230831.csv (Friends and Family Test, British English)
    Rows with an empty answer, "Did not answer", or no ``Comment sentiment`` are dropped.
    ``Comment sentiment`` 1-2 -> positive, 3 (mixed) -> neutral, 4-5 -> negative.
    Short answers: the label of "Nothing." depends on the question ("How could we improve?" ->
    very positive). Carewatch scores reviews without a question, so such rows cannot be
    labelled from their text and are dropped: (a) every "bare" answer (nothing / none / no /
    everything / n/a / don't know ..., see ``BARE_ANSWER``) whatever the question, and (b)
    answers of at most 3 words to an improvement question ("How could we improve?", "What could
    we do better?", and NEAS's "FFT Why?", whose "Nothing." answers are labelled very positive,
    i.e. it is asked as an improvement question).
    Split: none is given, so a deterministic 80/20 split by a hash of the normalised text
    (SHA-256 of the lower-cased, whitespace-collapsed answer; first 8 bytes as an integer;
    ``% 100 < 20`` -> held-out). Identical answers always land on the same side.

nhs_feedback/phase1_text_data.csv (older FFT feedback, criticality -5..+5)
    Trust B wrote 0 for "not scored": its zeros are dropped. Criticality values that are not
    integers in -5..+5 (``-o``, ``NA``, ``-NA``, ``cc``, ``SS``, ``A``, ``-9``, ``-6``) are
    dropped. < 0 -> negative, 0 -> neutral (3 rows left), > 0 -> positive. The question text is
    not given (only "Trust A - Q1"...), so bare answers and every answer of at most 3 words are
    dropped (same reason as above). Same hash split as v6.

misinformation/constraint (CSV id, tweet, label real / fake; 6,420 / 2,140 / 2,140)
    ``&amp;`` entities unescaped; URLs removed (``strip_urls``) by default, in every split, so a
    model cannot learn that agency bulletins carry links. Label: 1 = fake, 0 = real.

ratemds/ratemds_reviews.csv (RateMDs.com, 49,141 rows, US/Canadian review site)
    Label from ``average`` (RateMDs' mean of staff / punctuality / helpfulness / knowledge,
    1-5 in quarter steps) rounded half up to stars: 1-2 stars (average < 2.5) -> negative,
    3 stars (2.5 <= average < 3.5) -> neutral, 4-5 stars (average >= 3.5) -> positive; the
    rounded stars are kept in ``meta["stars"]`` (5 stars = average >= 4.5). Empty comments
    dropped; repeated texts kept once (first row); French and Spanish rows (Quebec, ~2 %)
    dropped by a function-word count (``looks_non_english``). No reviewer names are read (the
    file has none; doctor names and ids are used only to split). ``ratemds_small`` is not used,
    so its 36 overlapping reviews cannot leak. Split: by doctor (SHA-256 of ``doctor_id``,
    ``% 100 < 20`` -> held-out), so no doctor's reviews are on both sides.

healthgrades_nyc/output.json (Healthgrades, NYC family practice and urgent care)
    Rows with an empty review or rating dropped, repeated texts kept once. ``rating`` 1-2 ->
    negative, 3 -> neutral, 4-5 -> positive. 1,106 texts are cut at ~250 characters and end in
    "...": the ellipsis is removed (``meta["truncated"]``) so the model cannot learn the marker.
    Split: by provider (hash of ``provider_name``, 20 % held-out); names are never model input.

``validation_split`` carves a deterministic validation set out of a TRAIN list (hash of the
text with a different salt), for choosing thresholds: held-out splits are never used for that.
"""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
LABEL_INDEX = {name: i for i, name in enumerate(LABELS)}

# Where the labelled data lives: $CAREWATCH_DATA_DIR, else ``shared/data`` beside the checkout,
# else /work/shared/data (the project machines' copy, so a clone elsewhere still finds it). Every
# trainer, bench, test and manage.py command takes its default from here.
DATA_DIR_ENV = "CAREWATCH_DATA_DIR"
MACHINE_DATA_DIR = Path("/work/shared/data")


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[3] / "shared" / "data"
    return beside if beside.is_dir() else MACHINE_DATA_DIR


NHS_HELDOUT_PERCENT = 20

csv.field_size_limit(10**8)

IMPROVEMENT_QUESTIONS = frozenset({"How could we improve?", "What could we do better?", "FFT Why?"})
BARE_ANSWER = re.compile(
    r"^\W*(?:no|nope|none|nothing|nil|nowt|n\s*/?\s*a|not applicable|everything|all|all of it|"
    r"not a thing|no comments?|don'?t know|do not know|not sure|no idea|not really|"
    r"can'?t think of anything|cannot think of anything|nothing i can think of|"
    r"not that i can think of|none that i can think of|no thanks?|"
    r"nothing (?:at all|really|else|more|to add|to say|comes to mind|at present|at the moment))"
    r"\W*$",
    re.IGNORECASE,
)
# Also truncated links ("https:…", "http…") that retweets end with.
URL_RE = re.compile(
    r"https?:\S*|\bhttps?\S*|\bwww\.\S+|\bt\.co/\S+|\bpic\.twitter\.com/\S+", re.IGNORECASE
)
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # one of LABELS (sentiment) or "fake"/"real" (misinformation)
    source: str
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def y(self) -> int:
        if self.label in LABEL_INDEX:
            return LABEL_INDEX[self.label]
        return 1 if self.label == "fake" else 0


# ---------------------------------------------------------------- text helpers


def clean_text(text: str) -> str:
    """Unescape HTML entities (twice, for double-escaped ones), normalise line endings and
    non-breaking spaces, strip."""
    text = html.unescape(html.unescape(text or ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return text.strip()


def strip_urls(text: str) -> str:
    return _WS.sub(" ", URL_RE.sub(" ", text)).strip()


def normalise_for_hash(text: str) -> str:
    return _WS.sub(" ", text.strip().lower())


def hash_bucket(text: str, salt: str = "") -> int:
    """0..99, stable across runs and machines."""
    digest = hashlib.sha256((salt + normalise_for_hash(text)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100


def nhs_side(text: str) -> str:
    return "heldout" if hash_bucket(text) < NHS_HELDOUT_PERCENT else "train"


def validation_split(
    examples: list[Example], percent: int = 15, salt: str = "carewatch-val"
) -> tuple[list[Example], list[Example]]:
    """(fit, validation) carved from a TRAIN list by a salted hash of the text."""
    fit, val = [], []
    for ex in examples:
        (val if hash_bucket(ex.text, salt) < percent else fit).append(ex)
    return fit, val


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


def rating_to_label(rating: int) -> str:
    if rating <= 4:
        return "negative"
    if rating <= 6:
        return "neutral"
    return "positive"


def _read_tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_split(split: str, allowed: Iterable[str]) -> None:
    if split not in allowed:
        raise ValueError(f"split must be one of {sorted(allowed)}, not {split!r}")


# ---------------------------------------------------------------- review sets


def load_drugs_com(data_dir: str | Path, split: str) -> list[Example]:
    _check_split(split, {"train", "test"})
    path = Path(data_dir) / "reviews" / "drugs_com_subset" / f"{split}.tsv"
    out = []
    for row in _read_tsv(path):
        text = clean_text(row["review"])
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1].strip()
        if not text or row["rating"] not in LABEL_INDEX:
            continue
        out.append(Example(text, row["rating"], "drugs_com", {"drug": row.get("drugName", "")}))
    return out


def _druglib_text(row: dict) -> str:
    parts = [
        clean_text(row.get(k, ""))
        for k in ("benefitsReview", "sideEffectsReview", "commentsReview")
    ]
    return "\n\n".join(p for p in parts if p)


def load_druglib(data_dir: str | Path, split: str) -> list[Example]:
    _check_split(split, {"train", "test"})
    base = Path(data_dir) / "reviews" / "druglib"
    test_rows = _read_tsv(base / "test.tsv")
    rows = test_rows if split == "test" else _read_tsv(base / "train.tsv")
    exclude: set[str] = set()
    if split == "train":  # reviews also in the test file are dropped from train
        exclude = {_druglib_text(r) for r in test_rows}
    out = []
    for row in rows:
        text = _druglib_text(row)
        try:
            rating = int(row["rating"])
        except (TypeError, ValueError):
            continue
        if not text or text in exclude or not 1 <= rating <= 10:
            continue
        drug = row.get("DrugName") or row.get("urlDrugName") or ""
        out.append(
            Example(text, rating_to_label(rating), "druglib", {"drug": drug, "rating": rating})
        )
    return out


def _nhs_v6_label(value: str) -> str | None:
    return {"1": "positive", "2": "positive", "3": "neutral", "4": "negative", "5": "negative"}.get(
        value.strip()
    )


def load_nhs_v6(data_dir: str | Path, split: str) -> list[Example]:
    _check_split(split, {"train", "heldout", "all"})
    path = Path(data_dir) / "reviews" / "nhs_feedback" / "v6framework_230831.csv"
    out = []
    for row in _read_csv(path):
        text = clean_text(row["FFT answer"])
        label = _nhs_v6_label(row["Comment sentiment"])
        if not text or text.lower() == "did not answer" or label is None:
            continue
        question = _WS.sub(" ", row["FFT question"]).strip()
        if BARE_ANSWER.match(text):
            continue
        if question in IMPROVEMENT_QUESTIONS and word_count(text) <= 3:
            continue
        if split != "all" and nhs_side(text) != split:
            continue
        out.append(Example(text, label, "nhs_v6", {"question": question, "trust": row["Trust"]}))
    return out


def load_nhs_phase1(data_dir: str | Path, split: str) -> list[Example]:
    _check_split(split, {"train", "heldout", "all"})
    path = Path(data_dir) / "reviews" / "nhs_feedback" / "phase1_text_data.csv"
    out = []
    for row in _read_csv(path):
        text = clean_text(row["feedback"])
        raw = row["criticality"].strip()
        if not re.fullmatch(r"[+-]?\d", raw):
            continue
        crit = int(raw)
        if not -5 <= crit <= 5:
            continue
        if crit == 0 and row["organization"].strip() == "Trust B":
            continue  # "not scored", not neutral
        if not text or BARE_ANSWER.match(text) or word_count(text) <= 3:
            continue
        if split != "all" and nhs_side(text) != split:
            continue
        label = "negative" if crit < 0 else "positive" if crit > 0 else "neutral"
        out.append(
            Example(text, label, "nhs_phase1", {"criticality": crit, "trust": row["organization"]})
        )
    return out


_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "was",
        "to",
        "i",
        "a",
        "of",
        "he",
        "she",
        "very",
        "my",
        "her",
        "his",
        "for",
        "with",
        "not",
        "you",
        "it",
        "in",
        "this",
        "that",
        "they",
        "have",
        "are",
        "be",
        "at",
        "me",
        "so",
        "on",
    ]
)
_FR_ES_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "est",
        "et",
        "très",
        "je",
        "pas",
        "une",
        "des",
        "du",
        "avec",
        "pour",
        "qui",
        "il",
        "elle",
        "mon",
        "ma",
        "médecin",
        "docteur",
        "bien",
        "au",
        "aux",
        "sont",
        "été",
        "c'est",
        "ce",
        "un",
        "mais",
        "très",
        "à",
        "de",
        "el",
        "los",
        "las",
        "es",
        "muy",
        "y",
        "que",
        "con",
        "por",
        "una",
        "mi",
        "su",
        "pero",
        "lo",
        "del",
    ]
)
_WORD = re.compile(r"[\w']+")


def looks_non_english(text: str) -> bool:
    """French or Spanish: more French/Spanish function words than English ones (at least 2)."""
    words = _WORD.findall(text.lower())
    en = sum(w in _EN_WORDS for w in words)
    other = sum(w in _FR_ES_WORDS for w in words)
    return other >= 2 and other > en


def stars_to_label(stars: int) -> str:
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


REVIEW_SITE_HELDOUT_PERCENT = 20


def _group_side(key: str, salt: str) -> str:
    return "heldout" if hash_bucket(key, salt) < REVIEW_SITE_HELDOUT_PERCENT else "train"


def load_ratemds(data_dir: str | Path, split: str) -> list[Example]:
    _check_split(split, {"train", "heldout", "all"})
    path = Path(data_dir) / "reviews" / "ratemds" / "ratemds_reviews.csv"
    out, seen = [], set()
    for row in _read_csv(path):
        text = clean_text(row.get("comment", ""))
        try:
            average = float(row["average"])
        except (TypeError, ValueError):
            continue
        if not text or not 1.0 <= average <= 5.0:
            continue
        key = normalise_for_hash(text)
        if key in seen:
            continue
        seen.add(key)
        if looks_non_english(text):
            continue
        if split != "all" and _group_side(row["doctor_id"], "ratemds-doctor") != split:
            continue
        stars = int(average + 0.5)
        out.append(
            Example(
                text,
                stars_to_label(stars),
                "ratemds",
                {"stars": stars, "average": average, "specialty": row.get("specialty_query", "")},
            )
        )
    return out


def load_healthgrades(data_dir: str | Path, split: str) -> list[Example]:
    import json

    _check_split(split, {"train", "heldout", "all"})
    path = Path(data_dir) / "reviews" / "healthgrades_nyc" / "output.json"
    out, seen = [], set()
    for row in json.loads(path.read_text(encoding="utf-8")):
        text = clean_text(row.get("review") or "")
        raw = str(row.get("rating") or "").strip()
        if not text or raw not in {"1", "2", "3", "4", "5"}:
            continue
        truncated = text.endswith("...")
        if truncated:
            text = text[:-3].rstrip()
        key = normalise_for_hash(text)
        if not text or key in seen:
            continue
        seen.add(key)
        if looks_non_english(text):
            continue
        provider = row.get("provider_name") or ""
        if split != "all" and _group_side(provider, "healthgrades-provider") != split:
            continue
        stars = int(raw)
        out.append(
            Example(
                text,
                stars_to_label(stars),
                "healthgrades",
                {"stars": stars, "truncated": truncated},
            )
        )
    return out


REVIEW_SITE_SOURCES = ("ratemds", "healthgrades")


# ---------------------------------------------------------------- misinformation


def load_constraint(data_dir: str | Path, split: str, remove_urls: bool = True) -> list[Example]:
    _check_split(split, {"train", "val", "test"})
    path = Path(data_dir) / "misinformation" / "constraint" / f"{split}.csv"
    out = []
    for row in _read_csv(path):
        text = clean_text(row["tweet"])
        if remove_urls:
            text = strip_urls(text)
        label = row["label"].strip().lower()
        if not text or label not in ("fake", "real"):
            continue
        out.append(Example(text, label, "constraint", {"id": row["id"]}))
    return out


COVID_RUMOR_HELDOUT_PERCENT = 25
_KEYBOARD_NOISE = re.compile(r"\b(?:qwert\w*|asdf\w*|zxcv\w*)\b", re.IGNORECASE)


def covid_rumor_side(text: str) -> str:
    """'heldout' for a fixed 25 % of the rumour texts (salted hash of the normalised text, so a
    rumour repeated in both files, or twice in one, lands on one side)."""
    bucket = hash_bucket(text, "covid-rumor")
    return "heldout" if bucket < COVID_RUMOR_HELDOUT_PERCENT else "train"


def load_covid_rumor(data_dir: str | Path, split: str) -> list[Example]:
    """COVID-19 rumours (Cheng et al. 2021, MIT): Twitter.csv (header) and news.csv (no header:
    id, label, content, sentiment), T (true) / F (false) only; U (unverified) dropped. Label:
    "fake" for F, "real" for T. Keyboard noise ("qwertyu") removed, URLs removed, repeated texts
    kept once (Twitter first), a text with both labels dropped. Split: 75 / 25 by a salted hash
    of the normalised text (``covid_rumor_side``)."""
    _check_split(split, {"train", "heldout", "all"})
    folder = Path(data_dir) / "misinformation" / "covid_rumor"
    rows: list[tuple[str, str, str]] = []
    with (folder / "Twitter.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.append((row.get("label", ""), row.get("content", ""), "twitter"))
    with (folder / "news.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 3:
                rows.append((row[1], row[2], "news"))
    labels: dict[str, set[str]] = {}
    first: dict[str, tuple[str, str]] = {}
    for raw_label, raw_text, origin in rows:
        label = raw_label.strip().upper()
        if label not in ("T", "F"):
            continue
        text = strip_urls(_WS.sub(" ", _KEYBOARD_NOISE.sub(" ", clean_text(raw_text))).strip())
        if len(text) < 12:
            continue
        key = normalise_for_hash(text)
        labels.setdefault(key, set()).add(label)
        first.setdefault(key, (text, origin))
    out = []
    for key, (text, origin) in first.items():
        if len(labels[key]) != 1:
            continue  # the same text labelled both true and false
        if split != "all" and covid_rumor_side(text) != split:
            continue
        label = "fake" if labels[key] == {"F"} else "real"
        out.append(Example(text, label, "covid_rumor", {"origin": origin}))
    return out


# ---------------------------------------------------------------- bundles

SENTIMENT_TRAIN_SOURCES = (
    "drugs_com",
    "druglib",
    "nhs_v6",
    "nhs_phase1",
    "ratemds",
    "healthgrades",
)


def sentiment_train(data_dir: str | Path) -> list[Example]:
    return (
        load_drugs_com(data_dir, "train")
        + load_druglib(data_dir, "train")
        + load_nhs_v6(data_dir, "train")
        + load_nhs_phase1(data_dir, "train")
        + load_ratemds(data_dir, "train")
        + load_healthgrades(data_dir, "train")
    )


def sentiment_heldout(data_dir: str | Path) -> dict[str, list[Example]]:
    """Name -> held-out examples, in reporting order (review sites first)."""
    return {
        "RateMDs held-out": load_ratemds(data_dir, "heldout"),
        "Healthgrades held-out": load_healthgrades(data_dir, "heldout"),
        "drugs_com test": load_drugs_com(data_dir, "test"),
        "druglib test": load_druglib(data_dir, "test"),
        "NHS v6 held-out": load_nhs_v6(data_dir, "heldout"),
        "NHS phase1 held-out": load_nhs_phase1(data_dir, "heldout"),
    }


def describe(data_dir: str | Path) -> dict:
    """Row and label counts of every split (for the model card)."""
    from collections import Counter

    out = {}
    sets = {
        "drugs_com train": load_drugs_com(data_dir, "train"),
        "druglib train": load_druglib(data_dir, "train"),
        "NHS v6 train": load_nhs_v6(data_dir, "train"),
        "NHS phase1 train": load_nhs_phase1(data_dir, "train"),
        "RateMDs train": load_ratemds(data_dir, "train"),
        "Healthgrades train": load_healthgrades(data_dir, "train"),
        **sentiment_heldout(data_dir),
        "constraint train": load_constraint(data_dir, "train"),
        "constraint test": load_constraint(data_dir, "test"),
    }
    for name, rows in sets.items():
        out[name] = {
            "rows": len(rows),
            "labels": dict(sorted(Counter(r.label for r in rows).items())),
        }
    return out


def describe_rows(rows: list[Example]) -> dict:
    """Row and label counts per source of one list (e.g. the calibration split)."""
    from collections import Counter

    out: dict = {}
    for r in rows:
        entry = out.setdefault(r.source, {"rows": 0, "labels": Counter()})
        entry["rows"] += 1
        entry["labels"][r.label] += 1
    return {
        k: {"rows": v["rows"], "labels": dict(sorted(v["labels"].items()))} for k, v in out.items()
    }
