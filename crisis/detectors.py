"""The detectors, as pure functions of a clinic's history as of an instant.

Nothing here reads or writes the database: `crisis.selectors.history_load` builds a `History`
and `evaluate()` returns one `Finding` per detector that sees something. The live run
(`crisis.services.detectors_run`) and the backtest (`detect_crises`) share this code, so a
backtest shows what the live run would have done.

Each finding explains itself with the numbers it was decided on.
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.template.defaultfilters import pluralize

SURGE, RATING_DROP, VIRAL, MISINFORMATION, WATCH_WORD = (
    "surge",
    "rating_drop",
    "viral",
    "misinformation",
    "watch_word",
)
LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"
_SEVERITIES = (LOW, MEDIUM, HIGH, CRITICAL)
RISK_FLAGS = frozenset({"patient_safety", "threat_abuse", "legal_threat"})

# A clinic with no negative history still expects a little: 0.25 negatives a day.
SURGE_FLOOR_PER_DAY = 0.25
# Pseudo-counts that pull thin hour-of-day / weekday profiles towards flat.
SEASONAL_PRIOR = 2.0
# The usual growth of a clinic's posts is at least 1 engagement an hour.
VIRAL_MIN_USUAL_PER_HOUR = 1.0
VIRAL_REF_AGE = timedelta(minutes=30)
RATING_MIN_Z = 4.0  # evaluated on rolling windows all day long: 3σ would page monthly
# The baselines of the surge and the rating drop end this long before their window: a crisis
# that built up for hours is never its own "usual". The surge links that build-up to the
# incident instead (`_build_up`), as far back as this.
BASELINE_GUARD = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Item:
    """A review or mention as the detectors need it. `label` is its latest score's label
    (None while unscored); `flags` the names of its latest score's risk flags."""

    id: int
    kind: str
    source: str
    published_at: datetime
    rating: int | None
    label: str | None
    engagement: int
    updated_at: datetime
    flags: tuple[str, ...] = ()
    text: str = ""
    # the misinformation flag's claim span and the slug of the fact or myth it contradicts
    claim: str = ""
    contradicts: str = ""

    @property
    def negative(self) -> bool:
        if self.label is not None:
            return self.label == "negative"
        return self.rating is not None and self.rating <= 2


@dataclass(frozen=True)
class Thresholds:
    """A clinic's detector settings as plain values (see `crisis.models.DetectorSettings`)."""

    baseline_days: int = 28
    surge_enabled: bool = True
    surge_window_minutes: int = 120
    surge_min_count: int = 5
    surge_p_value: float = 0.0001
    surge_min_ratio: float = 1.5
    rating_enabled: bool = True
    rating_window_hours: int = 24
    rating_min_count: int = 8
    rating_min_low: int = 6
    rating_min_baseline: int = 10
    rating_drop: float = 1.2
    viral_enabled: bool = True
    viral_min_engagement: int = 250
    viral_growth_factor: float = 10.0
    viral_max_age_hours: int = 72
    misinformation_enabled: bool = True
    misinformation_window_hours: int = 48
    misinformation_min_mentions: int = 3
    misinformation_similarity: float = 0.25
    misinformation_min_reach: int = 250
    watch_words: tuple[str, ...] = ()
    watch_window_hours: int = 24
    watch_min_mentions: int = 1
    watch_skip_positive: bool = True

    @classmethod
    def from_settings(cls, settings) -> Thresholds:
        values = {name: getattr(settings, name) for name in cls.__dataclass_fields__}
        values["watch_words"] = tuple(w for w in settings.watch_words if w.strip())
        return cls(**values)

    @property
    def lookback(self) -> timedelta:
        """How far back before an instant the detectors read."""
        longest = max(
            timedelta(minutes=self.surge_window_minutes),
            timedelta(hours=self.rating_window_hours),
            timedelta(hours=self.viral_max_age_hours),
            timedelta(hours=self.misinformation_window_hours),
            timedelta(hours=self.watch_window_hours),
            timedelta(minutes=self.surge_window_minutes) + BASELINE_GUARD,
            timedelta(hours=self.rating_window_hours) + BASELINE_GUARD,
        )
        return timedelta(days=self.baseline_days) + longest

    @property
    def recent(self) -> timedelta:
        """How far back the text-reading detectors look."""
        return max(
            timedelta(hours=self.misinformation_window_hours),
            timedelta(hours=self.watch_window_hours),
            timedelta(hours=self.viral_max_age_hours),
        )


@dataclass
class Finding:
    """What one detector saw. `fired` says whether its condition holds; `review_ids` are the
    related mentions, linked to the active incident of the same kind and key whether or not it
    fired again."""

    kind: str
    key: str
    fired: bool
    severity: str = MEDIUM
    title: str = ""
    explanation: str = ""
    numbers: dict = field(default_factory=dict)
    review_ids: list[int] = field(default_factory=list)

    def trigger(self) -> dict:
        return {"kind": self.kind, "explanation": self.explanation, "numbers": self.numbers}


def misinformation_title(count: int) -> str:
    """The title of an incident a repeated claim opens: its mentions (once the run that opens
    it has linked the claim's other mentions, it counts those too:
    `crisis.services.detection._title_counts_claim`)."""
    return f"Misinformation: {count} mentions repeat one claim"


@dataclass
class History:
    """A clinic's items (oldest first) and engagement samples, read once and evaluated at any
    instant inside it: `between(a, t)` sees only what was published before t. `handled` are
    mentions of incidents already resolved: they stay in baselines but open nothing again."""

    items: list[Item]
    tz: ZoneInfo
    samples: dict[int, list[tuple[datetime, int]]] = field(default_factory=dict)
    handled: set[int] = field(default_factory=set)
    # the clinic's own name (`content_words` of it): nearly every mention names the clinic, so
    # its words say nothing about what a claim is; they never describe one
    name_words: frozenset[str] = frozenset()
    # when the clinic's first item was published (None: not known, or no item): a baseline that
    # starts before it was learnt from fewer days than it says
    first_item_at: datetime | None = None

    def __post_init__(self):
        self.items.sort(key=lambda i: (i.published_at, i.id))
        self._times = [i.published_at for i in self.items]
        self._watch_cache: dict[tuple[int, str], bool] = {}
        self._tokens: dict[int, frozenset[str]] = {}

    def between(self, start: datetime, end: datetime) -> list[Item]:
        lo = bisect.bisect_left(self._times, start)
        hi = bisect.bisect_left(self._times, end)
        return self.items[lo:hi]

    def is_new(self, item: Item, not_before: datetime | None) -> bool:
        """May this item count towards opening an incident whose kind was last resolved at
        `not_before`?"""
        if not_before is not None and item.published_at < not_before:
            return False
        return item.id not in self.handled

    def tokens(self, item: Item) -> frozenset[str]:
        if item.id not in self._tokens:
            self._tokens[item.id] = content_words(item.text)
        return self._tokens[item.id]


# --- statistics ---------------------------------------------------------------------------


def _log_pmf(x: int, mean: float, var: float) -> float:
    if var <= mean * 1.0001:  # Poisson
        return x * math.log(mean) - mean - math.lgamma(x + 1)
    r = mean * mean / (var - mean)  # negative binomial with that mean and variance
    p = r / (r + mean)
    return (
        math.lgamma(x + r)
        - math.lgamma(r)
        - math.lgamma(x + 1)
        + r * math.log(p)
        + x * math.log1p(-p)
    )


def upper_tail(k: int, mean: float, var: float | None = None) -> float:
    """P(X >= k) for a count with this mean and variance: Poisson when the variance is the
    mean, negative binomial when the counts are over-dispersed."""
    var = mean if var is None else max(var, mean)
    if k <= 0:
        return 1.0
    if k <= mean:
        return max(0.0, 1.0 - sum(math.exp(_log_pmf(x, mean, var)) for x in range(k)))
    total, x = 0.0, k
    while x < k + 100_000:  # terms fall past the mode, which is below k
        term = math.exp(_log_pmf(x, mean, var))
        total += term
        if term <= total * 1e-12:
            break
        x += 1
    return min(1.0, total)


def _smooth(counts: list[int]) -> list[float]:
    """Each bin with half of each neighbour's weight (circular): one hour's noise is not a
    pattern."""
    n = len(counts)
    return [0.25 * counts[i - 1] + 0.5 * counts[i] + 0.25 * counts[(i + 1) % n] for i in range(n)]


def _profile(counts: list[float], total: int) -> list[float]:
    bins = len(counts)
    raw = [(c + SEASONAL_PRIOR) / (total / bins + SEASONAL_PRIOR) for c in counts]
    mean = sum(raw) / bins
    return [f / mean for f in raw]


def _seasonal_rate(baseline: list[datetime], baseline_hours: float, tz: ZoneInfo):
    """The baseline's hourly rate, its hour-of-day and weekday factors, and the counts behind
    them (smoothed hours, weekdays)."""
    hours, days = [0] * 24, [0] * 7
    for t in baseline:
        local = t.astimezone(tz)
        hours[local.hour] += 1
        days[local.weekday()] += 1
    total = len(baseline)
    rate = total / baseline_hours if baseline_hours > 0 else 0.0
    smoothed = _smooth(hours)
    return rate, _profile(smoothed, total), _profile(days, total), smoothed, days


def seasonal_expectation(
    baseline: list[datetime],
    baseline_hours: float,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> tuple[float, float]:
    """Expected count in [start, end) from the baseline's rate, shaped by the clinic's
    hour-of-day and weekday profiles (local time; thin profiles are pulled towards flat), and
    the relative error of that estimate (from the counts each part of it rests on)."""
    rate, f_hour, f_day, smoothed, days = _seasonal_rate(baseline, baseline_hours, tz)
    total = len(baseline)
    step = timedelta(minutes=5)
    expected, t = 0.0, start
    seen_hours, seen_days = set(), set()
    while t < end:
        piece = min(step, end - t)
        local = (t + piece / 2).astimezone(tz)
        seen_hours.add(local.hour)
        seen_days.add(local.weekday())
        expected += (
            rate * f_hour[local.hour] * f_day[local.weekday()] * piece.total_seconds() / 3600
        )
        t += piece
    behind_hours = 2 * sum(smoothed[h] for h in seen_hours)  # a smoothed bin spans ~2 hours
    behind_days = sum(days[d] for d in seen_days)
    relative_error = math.sqrt(1 / (behind_hours + 1) + 1 / (behind_days + 1) + 1 / (total + 1))
    return expected, relative_error


def _raise(severity: str, to: str) -> str:
    return max(severity, to, key=_SEVERITIES.index)


def _risk_bump(severity: str, items: list[Item]) -> str:
    if any(RISK_FLAGS.intersection(i.flags) for i in items):
        return _raise(severity, HIGH)
    return severity


def duration(delta: timedelta) -> str:
    """Short, for titles and the staff's explanation: "45 min", "70 min", "1.5 h", "2 h",
    "3.2 h", "3 days" (never "1.16667 h")."""
    minutes = round(delta.total_seconds() / 60)
    if minutes < 60 or (minutes < 120 and minutes % 30):
        return f"{minutes} min"
    hours = minutes / 60
    if hours < 48:
        return f"{_one_decimal(hours)} h"
    return f"{_one_decimal(hours / 24)} days"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


# --- the detectors ------------------------------------------------------------------------


def surge(history: History, now: datetime, t: Thresholds, not_before: datetime | None) -> Finding:
    window = timedelta(minutes=t.surge_window_minutes)
    start = now - window
    # the clinic's own usual: the `baseline_days` that end `BASELINE_GUARD` before the window, so
    # that the hours building up to a surge are never counted as its usual
    base_end = start - BASELINE_GUARD
    base_start = base_end - timedelta(days=t.baseline_days)
    negatives = [i for i in history.between(start, now) if i.negative]
    fresh = [i for i in negatives if history.is_new(i, not_before)]
    baseline = [i.published_at for i in history.between(base_start, base_end) if i.negative]
    k = len(fresh)
    # A surge that comes back after its incident was resolved: the window is counted whole
    # (the resolved incident's negatives are still part of the rate), but only new negatives,
    # at least `surge_min_count` of them and at least `surge_min_ratio` times the usual on
    # their own, can open an incident (a follow-up), so the resolved crisis never reopens by
    # itself and a second wave is never swallowed by a fresh count starting from zero.
    counted = len(negatives)
    finding = Finding(SURGE, "", False, review_ids=[i.id for i in fresh])
    if k == 0:
        return finding
    mean, error = seasonal_expectation(baseline, t.baseline_days * 24, start, now, history.tz)
    floor = SURGE_FLOOR_PER_DAY * window.total_seconds() / 86400
    # Tested against the upper end of the estimate: a month of data pins a weekday-and-hour
    # rate down only to 20-30 %, and a low estimate must not page anyone.
    expected = max(mean * (1 + error), floor)
    skip = BASELINE_GUARD.days  # the same hours of each baseline day
    same_time = [
        bisect.bisect_left(baseline, now - timedelta(days=d))
        - bisect.bisect_left(baseline, start - timedelta(days=d))
        for d in range(1 + skip, t.baseline_days + 1 + skip)
    ]
    same_mean = statistics.fmean(same_time)
    dispersion = statistics.variance(same_time) / same_mean if same_mean > 0 else 1.0
    dispersion = min(max(dispersion, 1.0), 5.0)
    usual = max(mean, floor)
    sd = math.sqrt(usual * dispersion)
    p = upper_tail(counted, expected, expected * dispersion)
    ratio = counted / usual
    finding.fired = (
        k >= t.surge_min_count
        and p <= t.surge_p_value
        and ratio >= t.surge_min_ratio
        and k / usual >= t.surge_min_ratio
    )
    severity = (
        CRITICAL
        if ratio >= 8 or counted >= 50
        else HIGH
        if ratio >= 4
        else MEDIUM
        if ratio >= 2
        else LOW
    )
    build = _build_up(history, start, fresh[0], t, not_before, baseline) if finding.fired else []
    finding.review_ids = [i.id for i in build] + finding.review_ids
    finding.severity = _risk_bump(severity, build + fresh)
    held = counted - k
    finding.title = f"Negative surge: {k} in {duration(window)}"
    again = ""
    if held:
        finding.title = f"Negative surge again: {k} new, {counted} in {duration(window)}"
        again = (
            f"{k} new negative reviews and mentions, and {held} already part of an incident "
            f"resolved before them: "
        )
    since = ""
    if build:
        first = build[0].published_at
        at = f"{first.astimezone(history.tz):%H:%M}"
        finding.title += f", {k + len(build)} since {at}"
        since = (
            f" It built up since {at}: {len(build)} more in the "
            f"{duration(start - first)} before that window, {k + len(build)} in all."
        )
    learnt = history_days(history, base_end, t.baseline_days)
    thin = ""
    if learnt is not None and learnt < t.baseline_days:
        thin = (
            f" The clinic's history covers only {learnt} of those {t.baseline_days} days: its "
            "usual level is still being learnt (past reviews imported as history give it one)."
        )
    finding.explanation = (
        again
        + (
            f"{counted} negative reviews and mentions in {duration(window)} against a baseline "
            f"of {mean:.1f} ± {sd:.1f} for this weekday and time of day ({t.baseline_days} days "
            f"ending a day before the window, {len(baseline)} negatives); {ratio:.1f}× the usual, "
            f"p = {p:.1e} (alerts at ≥ {t.surge_min_count} and p ≤ {t.surge_p_value:g})."
        )
        + since
        + thin
    )
    finding.numbers = {
        "count": counted,
        **({"new": k, "held": held} if held else {}),
        "window_minutes": t.surge_window_minutes,
        "baseline_mean": round(mean, 3),
        "baseline_sd": round(sd, 3),
        "expected": round(expected, 3),
        "estimate_error": round(error, 3),
        "baseline_days": t.baseline_days,
        "baseline_negatives": len(baseline),
        "dispersion": round(dispersion, 3),
        "ratio": round(ratio, 2),
        "p_value": p,
        "min_count": t.surge_min_count,
        "p_threshold": t.surge_p_value,
        **({"build_up": len(build), "since": build[0].published_at.isoformat()} if build else {}),
        **({"history_days": learnt} if thin else {}),
    }
    return finding


def history_days(history: History, base_end: datetime, baseline_days: int) -> int | None:
    """Of the `baseline_days` ending at `base_end`, how many the clinic had items for (from
    its first item on); None when its first item is not known."""
    if history.first_item_at is None:
        return None
    days = (base_end - history.first_item_at) / timedelta(days=1)
    return int(min(max(days, 0), baseline_days))


def _build_up(
    history: History,
    start: datetime,
    first: Item,
    t: Thresholds,
    not_before: datetime | None,
    baseline: list[datetime],
) -> list[Item]:
    """The negatives just before a firing surge's window that were already part of it,
    oldest first. Walking back from the window's first negative, the run of negatives with no
    gap of a whole surge window between them (at most `BASELINE_GUARD` back, none held by a
    resolved incident); of those, the build-up starts at the one since which the negatives
    most exceed `surge_min_ratio` times the clinic's usual for those hours (its seasonal
    baseline, at least `SURGE_FLOOR_PER_DAY`), by at least half a negative: where the rate was
    last at the usual. Deterministic: ties go to the later start."""
    window = timedelta(minutes=t.surge_window_minutes)
    run: list[Item] = []
    after = first.published_at
    for item in reversed(history.between(start - BASELINE_GUARD, start)):
        if not item.negative:
            continue
        if after - item.published_at >= window or not history.is_new(item, not_before):
            break
        run.append(item)
        after = item.published_at
    if not run:
        return []
    rate, f_hour, f_day, _, _ = _seasonal_rate(baseline, t.baseline_days * 24, history.tz)
    floor = SURGE_FLOOR_PER_DAY / 24
    step = timedelta(minutes=5)
    usual, edge = 0.0, start
    best, best_excess = 0, 0.0
    for n, item in enumerate(run, start=1):
        while edge > item.published_at:  # the usual for [item, start), 5 minutes at a time
            piece = min(step, edge - item.published_at)
            local = (edge - piece / 2).astimezone(history.tz)
            hourly = rate * f_hour[local.hour] * f_day[local.weekday()]
            usual += max(hourly, floor) * piece.total_seconds() / 3600
            edge -= piece
        excess = n - t.surge_min_ratio * usual
        if excess >= 0.5 and (best == 0 or excess > best_excess):
            best, best_excess = n, excess
    return run[:best][::-1]


def rating_drop(
    history: History, now: datetime, t: Thresholds, not_before: datetime | None
) -> Finding:
    window = timedelta(hours=t.rating_window_hours)
    start = now - window
    recent = [
        i
        for i in history.between(start, now)
        if i.rating is not None and history.is_new(i, not_before)
    ]
    # the clinic's usual, as the surge's: the `baseline_days` that end `BASELINE_GUARD` before
    # the window, so that a collapse's first hours never lower (and widen) its own baseline
    base_end = start - BASELINE_GUARD
    baseline = [
        i.rating
        for i in history.between(base_end - timedelta(days=t.baseline_days), base_end)
        if i.rating is not None
    ]
    finding = Finding(RATING_DROP, "", False, review_ids=[i.id for i in recent if i.rating <= 2])
    if not recent or len(baseline) < 2:
        return finding
    mean_b = statistics.fmean(baseline)
    sd_b = max(statistics.stdev(baseline), 0.5)
    mean_w = statistics.fmean(i.rating for i in recent)
    drop = mean_b - mean_w
    z = drop / (sd_b / math.sqrt(len(recent)))
    # A minimum effect size as well as significance: a handful of unhappy reviews on a quiet
    # day (5 ratings at 1.6★ against 4.2★) is an ordinary day, not a collapse.
    low = sum(1 for i in recent if i.rating <= 2)
    finding.fired = (
        len(recent) >= t.rating_min_count
        and low >= t.rating_min_low
        and len(baseline) >= t.rating_min_baseline
        and drop >= t.rating_drop
        and z >= RATING_MIN_Z
    )
    finding.severity = _risk_bump(HIGH if drop >= 2 else MEDIUM, recent)
    finding.title = f"Rating drop: {mean_w:.1f}★ over {duration(window)}"
    finding.explanation = (
        f"Average rating {mean_w:.1f}★ over {len(recent)} ratings in {duration(window)} against "
        f"a baseline of {mean_b:.1f}★ ± {sd_b:.1f} ({len(baseline)} ratings, "
        f"{t.baseline_days} days ending a day before the window): down {drop:.1f}★, "
        f"z = {z:.1f}, {low} of them 1–2★ (alerts at a drop ≥ {t.rating_drop:g}★ with "
        f"≥ {t.rating_min_count} ratings, ≥ {t.rating_min_low} of them 1–2★)."
    )
    finding.numbers = {
        "count": len(recent),
        "window_hours": t.rating_window_hours,
        "mean": round(mean_w, 3),
        "baseline_mean": round(mean_b, 3),
        "baseline_sd": round(sd_b, 3),
        "baseline_count": len(baseline),
        "drop": round(drop, 3),
        "z": round(z, 2),
        "low_count": low,
        "min_count": t.rating_min_count,
        "min_low": t.rating_min_low,
        "min_drop": t.rating_drop,
    }
    return finding


def _engagement_now(history: History, item: Item, now: datetime) -> tuple[datetime, int] | None:
    """The post's engagement as known at `now`: its stored value if it had not changed since,
    otherwise the latest sample taken before `now` (None when nothing is known)."""
    if item.updated_at <= now:
        return now, item.engagement
    earlier = [s for s in history.samples.get(item.id, ()) if s[0] <= now]
    return earlier[-1] if earlier else None


def _engagement_ref(history: History, item: Item, now: datetime) -> tuple[datetime, int]:
    samples = [s for s in history.samples.get(item.id, ()) if s[0] <= now]
    settled = [s for s in samples if s[0] <= now - VIRAL_REF_AGE]
    if settled:
        return settled[-1]
    young = [s for s in samples if s[0] <= now - timedelta(minutes=5)]
    if young:
        return young[0]
    return item.published_at, 0


def viral(history: History, now: datetime, t: Thresholds, not_before: datetime | None) -> Finding:
    max_age = timedelta(hours=t.viral_max_age_hours)
    finding = Finding(VIRAL, "", False)
    usual_items = history.between(now - max_age - timedelta(days=t.baseline_days), now - max_age)
    engagements = sorted(i.engagement for i in usual_items)
    p90 = engagements[int(0.9 * (len(engagements) - 1))] if engagements else 0
    usual = max(p90 / 24, VIRAL_MIN_USUAL_PER_HOUR)
    needed = t.viral_growth_factor * usual
    best = None
    for item in history.between(now - max_age, now):
        if item.label == "positive" or not history.is_new(item, not_before):
            continue
        known = _engagement_now(history, item, now)
        if known is None or known[1] < t.viral_min_engagement:
            continue
        ref_at, ref_value = _engagement_ref(history, item, known[0])
        hours = max((known[0] - ref_at).total_seconds() / 3600, 0.25)
        growth = (known[1] - ref_value) / hours
        if growth >= needed:
            finding.review_ids.append(item.id)
            if best is None or growth > best[1]:
                best = (item, growth, known[1] - ref_value, hours, known[1])
    if best is None:
        return finding
    item, growth, gained, hours, total = best
    speed = growth / usual
    finding.fired = True
    finding.severity = _risk_bump(HIGH if speed >= 10 * t.viral_growth_factor else MEDIUM, [item])
    noun = "review" if item.kind == "review" else item.kind
    finding.title = f"Viral {noun} on {item.source}: {total} engagements"
    finding.explanation = (
        f"A {noun} on {item.source} gained {gained} likes, shares and replies in "
        f"{duration(timedelta(hours=hours))} ({growth:.0f}/h, {total} in all) against the "
        f"clinic's usual {usual:.1f}/h for a busy post (90th percentile, last "
        f"{t.baseline_days} days): {speed:.0f}× faster (alerts at {t.viral_growth_factor:g}× "
        f"and ≥ {t.viral_min_engagement} engagements)."
    )
    finding.numbers = {
        "review_id": item.id,
        "engagement": total,
        "gained": gained,
        "hours": round(hours, 3),
        "per_hour": round(growth, 2),
        "usual_per_hour": round(usual, 3),
        "times_usual": round(speed, 1),
        "posts_fast": len(finding.review_ids),
        "growth_factor": t.viral_growth_factor,
        "min_engagement": t.viral_min_engagement,
    }
    return finding


_STOPWORDS = frozenset(
    " ".join(
        [
            "a about above after again against all also am an and any are as at be because been",
            "before being below between both but by can could did do does doing down during each",
            "even ever every few for from further get got had has have having he her here hers",
            "him his how i if in into is it its just like me more most my no nor not now of off",
            "on once only or other our out over own really same she should so some such than",
            "that the their them then there these they this those through to too under until up",
            "very was we were what when where which while who whom why will with would you your",
            "yours anyone everyone heard hear says said say saying people today yesterday clinic",
            "clinics",
        ]
    ).split()
)
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def content_words(text: str) -> frozenset[str]:
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def _similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


def clusters(items: list[Item], history: History, threshold: float) -> list[list[Item]]:
    """Single-link clusters of items whose content words overlap (Jaccard ≥ threshold)."""
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    words = [history.tokens(i) for i in items]
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            if find(a) != find(b) and _similar(words[a], words[b], threshold):
                parent[find(a)] = find(b)
    groups: dict[int, list[Item]] = {}
    for index, item in enumerate(items):
        groups.setdefault(find(index), []).append(item)
    return sorted(groups.values(), key=len, reverse=True)


def misinformation(
    history: History, now: datetime, t: Thresholds, not_before: datetime | None
) -> Finding:
    """Fires on one claim repeated by at least `misinformation_min_mentions` flagged mentions,
    or on a single flagged false claim whose reach (likes + shares + replies, as known at
    `now`) is at least `misinformation_min_reach`, however small the surge."""
    window = timedelta(hours=t.misinformation_window_hours)
    flagged = [
        i
        for i in history.between(now - window, now)
        if "misinformation" in i.flags and history.is_new(i, not_before)
    ]
    finding = Finding(MISINFORMATION, "", False)
    if not flagged:
        return finding
    reach = {}
    for item in flagged:
        known = _engagement_now(history, item, now)
        if known is not None and known[1] >= t.misinformation_min_reach:
            reach[item.id] = known[1]
    groups = [g for g in clusters(flagged, history, t.misinformation_similarity) if len(g) >= 2]
    finding.review_ids = [i.id for g in groups for i in g]
    finding.review_ids += [rid for rid in reach if rid not in finding.review_ids]
    repeated = bool(groups) and len(groups[0]) >= t.misinformation_min_mentions
    if not repeated and not reach:
        return finding
    finding.fired = True
    window_text = duration(window)
    numbers = {
        "flagged": len(flagged),
        "clusters": len(groups),
        "window_hours": t.misinformation_window_hours,
        "min_mentions": t.misinformation_min_mentions,
        "min_reach": t.misinformation_min_reach,
        "similarity": t.misinformation_similarity,
    }
    parts = []
    severity = LOW
    if repeated:
        claim = groups[0]
        common = Counter(w for i in claim for w in history.tokens(i) if w not in history.name_words)
        shared = [w for w, n in common.most_common(6) if n >= max(2, len(claim) // 2)]
        sources = sorted({i.source for i in claim})
        span = claim[-1].published_at - claim[0].published_at
        severity = HIGH if len(claim) >= 2 * t.misinformation_min_mentions else MEDIUM
        words = ", ".join(f"“{w}”" for w in shared[:5])
        finding.title = misinformation_title(len(claim))
        parts.append(
            f"{len(claim)} mentions flagged as misinformation repeat one claim ({words}) within "
            f"{duration(span) if span else 'minutes'} on {', '.join(sources)}; "
            f"{len(flagged)} flagged in the last {window_text} "
            f"(alerts at ≥ {t.misinformation_min_mentions} similar mentions)."
        )
        numbers.update(
            cluster_size=len(claim),
            shared_words=shared,
            sources=sources,
            span_minutes=round(span.total_seconds() / 60),
        )
    if reach:
        top = max((i for i in flagged if i.id in reach), key=lambda i: (reach[i.id], i.id))
        engagement = reach[top.id]
        severity = _raise(
            severity, CRITICAL if engagement >= 4 * t.misinformation_min_reach else HIGH
        )
        noun = "review" if top.kind == "review" else top.kind
        if not repeated:
            finding.title = f"False claim with high reach on {top.source}: {engagement} engagements"
        against = f", contradicting “{top.contradicts}”" if top.contradicts else ""
        said = f" “{top.claim[:160]}”" if top.claim else ""
        parts.append(
            f"A {noun} on {top.source} flagged as a false claim{said}{against} has {engagement} "
            f"likes, shares and replies (alerts at ≥ {t.misinformation_min_reach} for a single "
            f"false claim); {len(reach)} flagged mention{pluralize(len(reach))} at that reach "
            f"in the last {window_text}."
        )
        numbers.update(
            review_id=top.id,
            engagement=engagement,
            high_reach=len(reach),
            claim=top.claim,
            contradicts=top.contradicts,
        )
    finding.severity = _risk_bump(severity, [i for i in flagged if i.id in finding.review_ids])
    finding.explanation = " ".join(parts)
    finding.numbers = numbers
    return finding


def watch_pattern(word: str) -> re.Pattern:
    """The word or phrase, whole, in any case, with any spacing between its words."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)


def watch_word(
    history: History,
    now: datetime,
    t: Thresholds,
    word: str,
    not_before: datetime | None,
) -> Finding:
    window = timedelta(hours=t.watch_window_hours)
    key = word.strip().lower()
    pattern = watch_pattern(word)
    matches = []
    for item in history.between(now - window, now):
        if t.watch_skip_positive and item.label == "positive":
            continue
        if not history.is_new(item, not_before):
            continue
        cache_key = (item.id, key)
        if cache_key not in history._watch_cache:
            history._watch_cache[cache_key] = bool(pattern.search(item.text))
        if history._watch_cache[cache_key]:
            matches.append(item)
    finding = Finding(WATCH_WORD, key, False, review_ids=[i.id for i in matches])
    if not matches:
        return finding
    finding.fired = len(matches) >= t.watch_min_mentions
    finding.severity = _risk_bump(
        HIGH if len(matches) >= 3 * t.watch_min_mentions else MEDIUM, matches
    )
    sources = sorted({i.source for i in matches})
    finding.title = f"Watch word “{word.strip()}”: {len(matches)} mention{pluralize(len(matches))}"
    finding.explanation = (
        f"{len(matches)} mention{pluralize(len(matches))} in {duration(window)} "
        f"use{pluralize(len(matches), 's,')} the "
        f"watch word “{word.strip()}” "
        f"on {', '.join(sources)} (alerts at ≥ {t.watch_min_mentions}); "
        f"{sum(1 for i in matches if i.negative)} of them negative."
    )
    finding.numbers = {
        "word": word.strip(),
        "count": len(matches),
        "negative": sum(1 for i in matches if i.negative),
        "sources": sources,
        "window_hours": t.watch_window_hours,
        "min_mentions": t.watch_min_mentions,
    }
    return finding


def merge_target(
    finding: Finding, linked: dict[tuple[str, str], set[int]]
) -> tuple[str, str] | None:
    """The running incident of another kind that already holds at least half of this
    finding's mentions: the same crisis seen by a second detector (a surge of 1-star reviews is
    also a rating drop), so it joins that incident instead of paging people twice."""
    ids = set(finding.review_ids)
    if not ids:
        return None
    best: tuple[float, tuple[str, str]] | None = None
    for key, links in linked.items():
        if key == (finding.kind, finding.key):
            continue
        share = len(ids & links) / len(ids)
        if share >= 0.5 and (best is None or share > best[0]):
            best = (share, key)
    return best[1] if best else None


def evaluate(
    history: History,
    now: datetime,
    t: Thresholds,
    not_before: dict[tuple[str, str], datetime] | None = None,
) -> list[Finding]:
    """Every enabled detector at `now`. `not_before[(kind, key)]` is when the last incident of
    that kind and key was resolved: only mentions published after it, and not linked to a
    resolved incident (`history.handled`), can open a new one."""
    not_before = not_before or {}
    findings = []
    if t.surge_enabled:
        findings.append(surge(history, now, t, not_before.get((SURGE, ""))))
    if t.rating_enabled:
        findings.append(rating_drop(history, now, t, not_before.get((RATING_DROP, ""))))
    # misinformation before viral: a viral false claim is a misinformation incident, and the
    # viral finding joins it (merge_target) rather than the other way round
    if t.misinformation_enabled:
        findings.append(misinformation(history, now, t, not_before.get((MISINFORMATION, ""))))
    if t.viral_enabled:
        findings.append(viral(history, now, t, not_before.get((VIRAL, ""))))
    for word in t.watch_words:
        key = word.strip().lower()
        findings.append(watch_word(history, now, t, word, not_before.get((WATCH_WORD, key))))
    return [f for f in findings if f.fired or f.review_ids]
