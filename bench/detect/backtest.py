"""Detector calibration: false alarms on calm clinic-quarters built from real review text, and
the detection delay of the scenarios that must fire.

    .venv/bin/python bench/detect/backtest.py [--quarters 120] [--trials 20] [--seed 7]

No database: it calls the pure detectors in `crisis.detectors` (History / Item / evaluate) with
the defaults of `crisis.models.DetectorSettings` (mirrored by `Thresholds`).

A calm clinic-quarter is 28 days of baseline followed by 91 measured days. Its reviews are real
RateMDs and Healthgrades texts with their stars; arrival has a weekday and hour-of-day shape,
a volume drawn per clinic (1-20 a day, log-uniform), one or two campaign bursts of positive
reviews (3-6x the rate for 2-4 days), a slow month (40 % of the rate) and ~15 % negatives.
The label is the star bucket, except that 5 % of 4-5 star reviews are labelled negative (the
scorer's known error on review-site text) and 1 % of negatives are flagged as misinformation
(MISINFO_FLAG_RATE_NEGATIVES, above the shipped model's measured rate).
A fifth of the items are social mentions with engagement that grows over two days.

Alarms: a detector *opens* when it fires and has not fired in the previous 24 hours (the
incident of the live run stays open and absorbs repeats). Counted per detector per
clinic-quarter on the measured days only.

Must-fire scenarios, each injected into `--trials` calm quarters at a random instant of the
measured days; the delay is from the first injected item to the first firing, and must be
inside the scenario's window. Writes bench/detect/backtest_results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from crisis.detectors import (  # noqa: E402
    MISINFORMATION,
    RATING_DROP,
    SURGE,
    VIRAL,
    WATCH_WORD,
    History,
    Item,
    Thresholds,
    evaluate,
)
from scoring.ml import data as D  # noqa: E402

DATA = D.default_data_dir() / "reviews"
TZ = ZoneInfo("America/Chicago")
BASELINE_DAYS = 28
MEASURED_DAYS = 91
REOPEN_AFTER = timedelta(hours=24)
VERBOSE = "--verbose" in sys.argv
WATCH_WORDS = ("lawsuit", "attorney", "outbreak")
DETECTORS = (SURGE, RATING_DROP, VIRAL, MISINFORMATION, WATCH_WORD)
# local hour-of-day and weekday shape of review arrival (reviews come after visits, evenings)
HOURLY = [0.15] * 6 + [0.4, 0.7, 1.0, 1.1, 1.1, 1.1, 1.2, 1.2, 1.1, 1.1, 1.2, 1.4, 1.5, 1.5]
HOURLY += [1.3, 1.0, 0.6, 0.3]
WEEKDAY = [1.25, 1.2, 1.15, 1.1, 1.0, 0.6, 0.45]
# The share of calm negative items flagged as misinformation. bench/misinformation/run.py
# measures the shipped model's flag rate on real held-out reviews (set (d): 0.1 %); if all its
# flags fell on the ~15 % negatives, that is 0.67 % of negatives: 1 % keeps a margin.
MISINFO_FLAG_RATE_NEGATIVES = 0.01

CLAIMS = (
    "the clinic reuses needles on kids, spread the word",
    "they give expired vaccines at this office, tell everyone",
    "this dentist is not licensed anymore, the board took it away",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    detector: str
    window: timedelta


SCENARIOS = (
    Scenario("surge", SURGE, timedelta(hours=3)),
    Scenario("viral_false_claim", VIRAL, timedelta(hours=3)),
    Scenario("rating_collapse", RATING_DROP, timedelta(hours=24)),
    Scenario("misinformation", MISINFORMATION, timedelta(hours=24)),
    Scenario("false_claim_reach", MISINFORMATION, timedelta(hours=6)),
    Scenario("watch_word", WATCH_WORD, timedelta(hours=1)),
)


# --- real review text -----------------------------------------------------------------------


def load_reviews(rng: random.Random) -> dict[str, list[tuple[str, int]]]:
    """English review-site texts with stars, bucketed: negative (1-2), neutral (3), positive."""
    rows: list[tuple[str, int]] = []
    csv.field_size_limit(10**7)
    with (DATA / "ratemds" / "ratemds_reviews.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            text = (r.get("comment") or "").strip()
            try:
                stars = round(float(r["average"]))
            except (TypeError, ValueError):
                continue
            if len(text) >= 20 and 1 <= stars <= 5 and _english(text):
                rows.append((text, stars))
    for r in json.loads((DATA / "healthgrades_nyc" / "output.json").read_text(encoding="utf-8")):
        text = (r.get("review") or "").strip()
        try:
            stars = int(float(r.get("rating") or 0))
        except ValueError:
            continue
        if len(text) >= 20 and 1 <= stars <= 5:
            rows.append((text, stars))
    rng.shuffle(rows)
    pools: dict[str, list[tuple[str, int]]] = {"negative": [], "neutral": [], "positive": []}
    for text, stars in rows:
        bucket = "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"
        pools[bucket].append((text, stars))
    return pools


_FRENCH = {" le ", " la ", " les ", " très ", " est ", " et ", " médecin ", " pas "}


def _english(text: str) -> bool:
    low = f" {text.lower()} "
    return sum(w in low for w in _FRENCH) < 2


# --- a calm clinic-quarter ------------------------------------------------------------------


class Stream:
    def __init__(self, rng: random.Random, pools, start: datetime):
        self.rng, self.pools, self.start = rng, pools, start
        self.items: list[Item] = []
        self.samples: dict[int, list[tuple[datetime, int]]] = {}
        self.next_id = 1

    def add(
        self,
        at,
        *,
        bucket=None,
        label=None,
        rating="auto",
        kind="review",
        text=None,
        flags=(),
        engagement=0,
        updated_at=None,
        samples=None,
    ) -> Item:
        if text is None or rating == "auto":
            t, stars = self.rng.choice(self.pools[bucket])
            text = t if text is None else text
            rating = stars if rating == "auto" else rating
        item = Item(
            id=self.next_id,
            kind=kind,
            source="google" if kind == "review" else "facebook",
            published_at=at,
            rating=rating if kind == "review" else None,
            label=label,
            engagement=engagement,
            updated_at=updated_at or at,
            flags=tuple(flags),
            text=text,
        )
        self.next_id += 1
        self.items.append(item)
        if samples:
            self.samples[item.id] = samples
        return item


def _rate_at(local: datetime) -> float:
    return HOURLY[local.hour] * WEEKDAY[local.weekday()] / (sum(HOURLY) / 24) / (sum(WEEKDAY) / 7)


def calm_quarter(rng: random.Random, pools, start: datetime) -> Stream:
    s = Stream(rng, pools, start)
    per_day = math.exp(rng.uniform(math.log(1.0), math.log(20.0)))
    days = BASELINE_DAYS + MEASURED_DAYS
    slow_from = rng.randint(BASELINE_DAYS, days - 30)
    campaigns = [
        (rng.randint(BASELINE_DAYS - 10, days - 4), rng.randint(2, 4), rng.uniform(3.0, 6.0))
        for _ in range(rng.randint(1, 2))
    ]
    negative_share = rng.uniform(0.10, 0.20)
    t = start
    step = timedelta(minutes=10)
    end = start + timedelta(days=days)
    while t < end:
        day = (t - start).days
        local = t.astimezone(TZ)
        lam = per_day / 144 * _rate_at(local)
        if slow_from <= day < slow_from + 30:
            lam *= 0.4
        extra = sum(m - 1 for d0, n, m in campaigns if d0 <= day < d0 + n)
        for _ in range(_poisson(rng, lam)):
            at = t + timedelta(seconds=rng.uniform(0, 600))
            _calm_item(s, at, negative_share)
        for _ in range(_poisson(rng, lam * extra)):  # the campaign: happy patients asked to post
            at = t + timedelta(seconds=rng.uniform(0, 600))
            _calm_item(s, at, 0.0, campaign=True)
        t += step
    return s


def _calm_item(s: Stream, at: datetime, negative_share: float, campaign: bool = False) -> None:
    rng = s.rng
    u = rng.random()
    bucket = (
        "negative"
        if u < negative_share
        else "neutral"
        if u < negative_share + 0.06
        else ("positive")
    )
    label = bucket
    if bucket == "positive" and rng.random() < 0.05:
        label = "negative"  # the scorer's error on review-site praise ("worth the long wait")
    flags = (
        ("misinformation",)
        if bucket == "negative" and rng.random() < MISINFO_FLAG_RATE_NEGATIVES
        else ()
    )
    if not campaign and rng.random() < 0.2:
        final = int(rng.lognormvariate(1.5, 1.3))
        samples = [
            (at + timedelta(hours=h), int(final * f))
            for h, f in ((1, 0.3), (6, 0.7), (24, 0.95), (48, 1.0))
        ]
        s.add(
            at,
            bucket=bucket,
            label=label,
            kind="mention",
            flags=flags,
            engagement=final,
            updated_at=at + timedelta(hours=48),
            samples=samples,
        )
    else:
        s.add(at, bucket=bucket, label=label, flags=flags)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- must-fire scenarios --------------------------------------------------------------------


def inject(s: Stream, name: str, t0: datetime) -> None:
    rng = s.rng
    if name == "surge":  # 8 negative reviews in two hours
        for n in range(8):
            s.add(t0 + n * timedelta(minutes=15), bucket="negative", label="negative")
    elif name == "viral_false_claim":  # one post, hundreds of shares within the hour
        claim = rng.choice(CLAIMS)
        curve = [(10, 40), (30, 180), (60, 600), (120, 1500), (240, 3000)]
        samples = [(t0 + timedelta(minutes=m), v) for m, v in curve]
        s.add(
            t0,
            label="negative",
            kind="mention",
            text=claim,
            flags=("misinformation",),
            rating=None,
            engagement=3000,
            updated_at=t0 + timedelta(minutes=240),
            samples=samples,
        )
    elif name == "rating_collapse":  # a day of 1-2 star reviews, scored neutral or negative
        for n in range(12):
            s.add(
                t0 + n * timedelta(minutes=90),
                bucket="negative",
                label=rng.choice(("neutral", "negative")),
                rating=rng.choice((1, 1, 2)),
            )
    elif name == "false_claim_reach":  # one false claim, 400 engagements over a day: no surge
        claim = rng.choice(CLAIMS)
        curve = [(60, 90), (180, 270), (360, 340), (720, 380), (1440, 400)]
        samples = [(t0 + timedelta(minutes=m), v) for m, v in curve]
        s.add(
            t0,
            label="negative",
            kind="mention",
            text=claim,
            flags=("misinformation",),
            rating=None,
            engagement=400,
            updated_at=t0 + timedelta(minutes=1440),
            samples=samples,
        )
    elif name == "misinformation":  # the same false claim posted four times in a day
        claim = rng.choice(CLAIMS)
        for n in range(4):
            s.add(
                t0 + n * timedelta(hours=4),
                label="negative",
                kind="mention",
                text=f"{claim} {rng.choice(('!!', 'so sad', 'unbelievable', ''))}",
                flags=("misinformation",),
                rating=None,
                engagement=rng.randint(0, 20),
            )
    elif name == "watch_word":
        s.add(
            t0,
            label="negative",
            text="My attorney will hear about this, expect a lawsuit.",
            rating=1,
        )


# --- replay ---------------------------------------------------------------------------------


def replay(s: Stream, t: Thresholds, measure_from: datetime, measure_to: datetime):
    """Evaluate at every instant something changes (an item arrives, a sample is taken) and
    return {detector: [opening instants]}."""
    history = History(items=list(s.items), tz=TZ, samples=s.samples)
    instants = {i.published_at + timedelta(seconds=1) for i in history.items}
    instants |= {at + timedelta(seconds=1) for v in s.samples.values() for at, _ in v}
    last: dict[str, datetime] = {}
    opened: dict[str, list[datetime]] = {d: [] for d in DETECTORS}
    for now in sorted(x for x in instants if measure_from <= x < measure_to):
        for f in evaluate(history, now, t):
            if not f.fired:
                continue
            prev = last.get(f.kind)
            if prev is None or now - prev > REOPEN_AFTER:
                opened[f.kind].append(now)
                if VERBOSE:
                    print(f"    {f.kind} {now:%m-%d %H:%M}: {f.explanation}")
            last[f.kind] = now
    return opened


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quarters", type=int, default=120)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--set", action="append", default=[], help="name=value: try a threshold")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rng = random.Random(args.seed)
    pools = load_reviews(rng)
    overrides = {}
    for pair in args.set:
        name, value = pair.split("=", 1)
        kind = type(getattr(Thresholds, name))
        overrides[name] = kind(value)
    th = Thresholds(watch_words=WATCH_WORDS, **overrides)
    print(f"texts: { {k: len(v) for k, v in pools.items()} }; thresholds: {th}")
    start0 = datetime(2024, 1, 1, 6, tzinfo=UTC)

    alarms = dict.fromkeys(DETECTORS, 0)
    per_quarter = []
    n_items = 0
    for _q in range(args.quarters):
        s = calm_quarter(rng, pools, start0)
        n_items += len(s.items)
        m0 = start0 + timedelta(days=BASELINE_DAYS)
        opened = replay(s, th, m0, m0 + timedelta(days=MEASURED_DAYS))
        counts = {d: len(v) for d, v in opened.items()}
        for d, n in counts.items():
            alarms[d] += n
        per_quarter.append(counts)
    calm = {d: round(alarms[d] / args.quarters, 3) for d in DETECTORS}
    calm["total"] = round(sum(alarms.values()) / args.quarters, 3)

    scenarios = {}
    for sc in SCENARIOS:
        delays, missed = [], 0
        for _ in range(args.trials):
            s = calm_quarter(rng, pools, start0)
            m0 = start0 + timedelta(days=BASELINE_DAYS)
            at = m0 + timedelta(days=rng.uniform(5, MEASURED_DAYS - 5))
            inject(s, sc.name, at)
            opened = replay(s, th, at, at + sc.window)
            hits = [x for x in opened[sc.detector] if x >= at]
            if hits:
                delays.append((hits[0] - at).total_seconds() / 60)
            else:
                missed += 1
        delays.sort()
        scenarios[sc.name] = {
            "detector": sc.detector,
            "window_minutes": sc.window.total_seconds() / 60,
            "trials": args.trials,
            "opened_in_window": args.trials - missed,
            "delay_minutes_median": round(delays[len(delays) // 2], 1) if delays else None,
            "delay_minutes_max": round(delays[-1], 1) if delays else None,
        }

    report = {
        "clinic_quarters": args.quarters,
        "items_per_quarter_mean": round(n_items / args.quarters, 1),
        "false_alarms_per_clinic_quarter": calm,
        "target_total": 0.25,
        "quarters_with_any_alarm": sum(1 for c in per_quarter if any(c.values())),
        "scenarios": scenarios,
        "thresholds": {f.name: getattr(th, f.name) for f in fields(Thresholds)},
        "seed": args.seed,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(f"\n{args.quarters} calm clinic-quarters, {report['items_per_quarter_mean']} items each")
    print("false alarms per clinic-quarter (target total <= 0.25):")
    for d, v in calm.items():
        print(f"  {d:<16}{v:>7.3f}")
    print("\nmust-fire scenarios:")
    for name, r in scenarios.items():
        print(
            f"  {name:<20} {r['opened_in_window']:>3}/{r['trials']} within "
            f"{r['window_minutes']:.0f} min; delay median {r['delay_minutes_median']} min, "
            f"max {r['delay_minutes_max']} min"
        )
    out = HERE / "backtest_results.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {out} in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
