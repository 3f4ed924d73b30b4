"""The reply guard's learned backstop (responses/guard/backstop.py) and its place beside the rules,
plus the rating-drop calm-day case from issue 19."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from responses.guard import GuardContext, check_reply
from responses.guard import backstop as bs

NO_CONTEXT = GuardContext()


def _rules_only(text: str, **kw):
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    try:
        return check_reply(text, **kw)
    finally:
        os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def test_backstop_heads_were_fitted_on_the_shipped_encoder(tmp_path):
    # the heads are only valid on the encoder they were fine-tuned with: a re-exported encoder
    # must come with its heads (bench/compliance/train_backstop.py), never silently stale ones
    weights = np.load(bs.WEIGHTS)
    assert str(weights["guard_encoder_sha256"]) == bs.encoder_fingerprint(bs.GUARD_ENCODER_DIR)
    other = tmp_path / "encoder_int8.onnx"
    other.write_bytes(b"another encoder")
    with pytest.raises(RuntimeError, match="the guard's encoder changed"):
        bs.load(guard_encoder_dir=tmp_path)
    with pytest.raises(RuntimeError, match="the guard's encoder changed"):
        bs.load(guard_encoder_dir=tmp_path / "missing")


def test_backstop_reads_its_own_encoder():
    b = bs.get_backstop()
    assert b is not None
    emb = b.embed(["Thank you for the kind words!"])
    # the fine-tuned encoder's embedding, L2-normalised; the scoring model is not read, so a new
    # sentiment model leaves the guard as it is
    assert emb.shape == (1, 384)
    assert np.allclose(np.linalg.norm(emb[0]), 1.0, atol=1e-3)


def test_backstop_loads_with_small_weights():
    b = bs.get_backstop()
    assert b is not None
    assert bs.WEIGHTS.stat().st_size < 300_000
    assert set(bs.RAISE_HEADS) <= set(b.heads)
    p = b.scores("Thank you for the kind words!")
    assert all(0.0 <= v <= 1.0 for v in p.values())


@pytest.mark.parametrize(
    "text",
    [
        "Honestly, your expectations were unreasonable from the start.",
        "Nobody else has ever complained about this, so the problem is probably not on our end.",
        "It's sad that you would attack people who were only trying to help you.",
    ],
)
def test_backstop_flags_defensive_tone_the_rules_miss(text):
    assert _rules_only(text, context=NO_CONTEXT).verdict == "ok"
    res = check_reply(text, context=NO_CONTEXT)
    assert res.verdict == "needs_review"
    assert any(f.kind == "tone" and f.subtype == "backstop" for f in res.findings)


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for the feedback. We would like to learn more; please email us at "
        "frontdesk@lakesidedental.com at your convenience.",
        "We take every concern seriously. Our office manager, Tamara Ellis, can be reached at "
        "(503) 555-0117 during business hours.",
        "We follow CDC and OSHA infection-control guidelines, and all instruments are sterilized "
        "in an autoclave between uses.",
        "Every needle we use is single-use and disposed of in a sharps container immediately "
        "after use.",
    ],
)
def test_invitations_and_public_statements_pass(text):
    assert check_reply(text, context=NO_CONTEXT).verdict == "ok"


def test_backstop_never_lowers_a_patient_phone():
    res = check_reply(
        "We called you at 737-201-5566 twice last week; please call us back.", context=NO_CONTEXT
    )
    assert res.verdict == "block"


def test_guard_invitation_with_configured_contacts_passes():
    ctx = GuardContext(
        clinic_phones=("614-555-0183",),
        clinic_emails=("hello@northgatepeds.org",),
        staff_names=("Rosa Jimenez",),
    )
    text = (
        "We're sorry to hear this. Please call our office at 614-555-0183 and ask for Rosa "
        "Jimenez, our patient liaison, or write to hello@northgatepeds.org."
    )
    assert check_reply(text, context=ctx).verdict == "ok"


@pytest.mark.parametrize(
    "text",
    [
        "Certainly a fair point about our phone system. We're upgrading it this spring.",
        "Absolutely understood. Scheduling should be easy, and we are simplifying it.",
        "Wonderful to hear the kids enjoyed the new play area. Thanks for sharing!",
    ],
)
def test_guard_common_capitalised_words_are_not_names(text):
    res = check_reply(text, context=NO_CONTEXT)
    assert not [f for f in res.findings if f.subtype in ("person", "greeting_name")]
    assert res.verdict == "ok"


def test_five_low_ratings_against_a_good_baseline_do_not_open_a_rating_drop():
    from crisis.detectors import History, Item, Thresholds, rating_drop
    from crisis.models import DetectorSettings

    now = datetime(2024, 5, 15, 18, 0, tzinfo=UTC)
    items, n = [], 0

    def add(when, rating):
        nonlocal n
        n += 1
        items.append(Item(n, "review", "google", when, rating, None, 0, when))

    for d in range(1, 28):  # baseline: 4.2 stars, 2 ratings a day
        for k, r in enumerate((5, 4, 4, 4, 4)[d % 5 : d % 5 + 2] or (4, 4)):
            add(now - timedelta(days=d, hours=3 + k), r)
    for h, r in zip((2, 5, 8, 11, 14), (1, 2, 2, 1, 2), strict=True):  # 5 ratings, 1.6 stars
        add(now - timedelta(hours=h), r)
    history = History(items, ZoneInfo("America/New_York"))
    for t in (Thresholds(), Thresholds.from_settings(DetectorSettings())):
        f = rating_drop(history, now, t, None)
        assert f.numbers["count"] == 5 and f.numbers["mean"] == pytest.approx(1.6)
        assert f.numbers["baseline_mean"] > 3.9
        assert not f.fired


def test_template_variables_are_not_read_as_the_replys_words():
    # "{fact:...}" and "{clinic_phone}" are filled in later; an unfilled one must not tip a head
    assert bs.prepare("Thank you. {fact:no-such-fact} Please call {clinic_phone}.") == (
        "Thank you. Please call ."
    )
    ctx = GuardContext(clinic_phones=("+1 555 0100",))
    text = "Thank you. {fact:no-such-fact} Please call +1 555 0100."
    assert check_reply(text, context=ctx).verdict == "ok"


# --- the API gives the backstop's probability; a rule's finding has none ----------------------

DEFENSIVE = "Honestly, your expectations were unreasonable from the start."


def test_the_api_gives_the_backstops_probability_and_null_for_a_rules_finding(clinic_a, api):
    client = api("key_a")
    url = "/clinics/clinic-a/api/v1/compliance/"
    expected = round(float(bs.get_backstop().scores(DEFENSIVE)["tone"]), 3)
    assert 0.0 < expected <= 1.0

    # when an integrator checks a defensive reply the rules pass, and one a rule blocks
    learned = client.post(f"{url}check/", {"text": DEFENSIVE}, content_type="application/json")
    ruled = client.post(
        f"{url}check/",
        {"text": "Thank you. We reviewed your chart and everything was fine."},
        content_type="application/json",
    )
    fixed = client.post(f"{url}fix/", {"text": DEFENSIVE}, content_type="application/json")

    # then the learned check's finding carries its number, as stored with the finding
    assert learned.status_code == 200, learned.content
    [finding] = learned.json()["findings"]
    assert (finding["kind"], finding["subtype"], finding["probability"]) == (
        "tone",
        "backstop",
        expected,
    )
    # and a rule's findings say null, never leave the field out
    assert ruled.status_code == 200, ruled.content
    assert ruled.json()["verdict"] == "block" and ruled.json()["findings"]
    assert [f["probability"] for f in ruled.json()["findings"]] == [None] * len(
        ruled.json()["findings"]
    )
    # the fix answers in the same shape (what is left after the fixes)
    assert fixed.status_code == 200, fixed.content
    assert all("probability" in f for f in fixed.json()["findings"])


def test_the_openapi_document_says_what_the_probability_is():
    from tests.api.test_examples import openapi_schema

    field = openapi_schema()["components"]["schemas"]["Finding"]["properties"]["probability"]

    assert (field["type"], field["nullable"], field["readOnly"]) == ("number", True, True)
    assert (field["minimum"], field["maximum"]) == (0, 1)
    assert "`backstop`" in field["description"]
    assert "Null when a rule found it" in field["description"]
