"""The post-crisis review of a crisis shorter than a day (walk 11, #9): its figures say counts and
a rate an hour ("21 items in 81 minutes (about 16 an hour; usually about 1 a day)", not
"373.18 a day"), and its volume chart draws each period on its own labelled scale, so that a
week's 1 a day before is as readable as the crisis's 16 an hour, with times under each period.
The staff page, the portal and the PDF say the same (one context feeds them)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django_tenants.utils import schema_context

from crisis.charts import about, rate_words, volume_chart
from crisis.export import review_context, review_figures, review_pdf
from crisis.metrics import review_metrics
from crisis.models import Incident, IncidentMention, PostCrisisReview
from tests.crisis.conftest import HOUR, MIN, NOW, resolved_anyway

DAY = 24 * HOUR
DURING = "21 items in 81 minutes (about 16 an hour; usually about 1 a day)"


@pytest.fixture
def short_crisis(stream, in_utc, django_capture_on_commit_callbacks):
    """9 items in the week before 15:00, then 21 negative mentions from 15:00 to 16:20,
    resolved at 16:21: 81 minutes."""
    for n in range(9):
        stream.add(NOW - 7 * DAY + (n * 18 + 2) * HOUR, label="positive", rating=5)
    linked = [stream.add(NOW + n * 4 * MIN, label="negative", kind="mention") for n in range(21)]
    incident = Incident.objects.create(
        kind="surge", title="Negative surge: 21 in 81 minutes", severity="high",
        trigger={"numbers": {"window_minutes": 120}}, opened_at=NOW + 10 * MIN,
        last_detected_at=NOW + 10 * MIN,
    )  # fmt: skip
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review=r, added_at=NOW) for r in linked]
    )
    return resolved_anyway(incident, django_capture_on_commit_callbacks, at=NOW + 81 * MIN)


@pytest.mark.parametrize(
    ("count", "days", "said"),
    [
        (21, 81 / 1440, "about 16 an hour"),
        (9, 7, "about 1 a day"),
        (3, 7, "about 0.4 a day"),
        (3, 1, "3 a day"),
        (5, 5.5 / 24, "about 0.9 an hour"),
        (2400, 2, "1,200 a day"),
        (0, 1, "0 a day"),
    ],
)
def test_a_rate_is_said_an_hour_below_a_day_and_rounded_as_people_say_it(count, days, said):
    assert rate_words(count, days) == said


def test_rates_round_half_up_to_whole_numbers_and_one_digit_below_one():
    assert [about(v) for v in (15.56, 1.29, 1.5, 0.43, 0.05, 2.0)] == [
        "about 16", "about 1", "about 2", "about 0.4", "0.05", "2",
    ]  # fmt: skip


def test_the_figures_of_an_81_minute_crisis_say_counts_and_a_rate_an_hour(short_crisis):
    m = review_metrics(short_crisis, now=NOW + 3 * DAY)
    figures = {label: value for _, label, value in review_figures(m, None)}
    # not "21 items in 81 minutes, 373.18 a day"
    assert figures["Sentiment during"] == f"-0.80: {DURING}, 100% negative"
    assert figures["Sentiment before"] == "+0.80: 9 items in 7 days (about 1 a day), 0% negative"
    assert figures["Sentiment after"] == "no items in 24 hours"


def _bars(svg: str, unit: str) -> list[float]:
    """The heights of the bars whose rate reads in `unit` ("a day", "an hour")."""
    return [
        float(h)
        for h, title in re.findall(
            r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#[0-9a-f]+">'
            r"<title>([^<]*)</title>",
            svg,
        )
        if title.endswith(f"{unit})")
    ]


def test_the_volume_chart_draws_before_and_during_each_readable_on_its_own_labelled_scale(
    short_crisis,
):
    m = review_metrics(short_crisis, now=NOW + 3 * DAY)
    svg = volume_chart(m, tz=None)
    # each period says its unit over its own axis
    assert '<tspan font-weight="bold">Before</tspan>: items a day</text>' in svg
    assert '<tspan font-weight="bold">During</tspan>: items an hour</text>' in svg
    # the week before is drawn as tall as its own scale allows, not a sliver under the crisis
    assert min(_bars(svg, "a day")) > 20
    assert max(_bars(svg, "an hour")) > 100
    # times under each period: the crisis from 15:00 to 16:21, the week before by day
    assert ">15:00</text>" in svg and ">16:21</text>" in svg
    assert ">25 Feb 15:00</text>" in svg and ">4 Mar 15:00</text>" in svg
    # and the description says the same rates as the figures
    assert "during about 16 an hour (21 items in 81 minutes)" in svg
    assert "before about 1 a day (9 items in 7 days)" in svg


POPPLER = shutil.which("pdftotext")


@pytest.mark.skipif(not POPPLER, reason="poppler-utils missing")
def test_the_staff_page_the_portal_and_the_pdf_say_the_same_rates(
    short_crisis, in_utc, login, tmp_path, django_capture_on_commit_callbacks
):
    writer = login("alpha_writer")
    page = f"/clinics/clinic-a/incidents/{short_crisis.pk}/review/"
    with django_capture_on_commit_callbacks(execute=True):
        writer.post(page, {"action": "send"})
    staff = writer.get(page).content.decode()
    portal = (
        login("a_approver", otp=False)
        .get(f"/clinics/clinic-a/portal/incidents/{short_crisis.pk}/review/")
        .content.decode()
    )
    with schema_context(in_utc.schema_name):
        review = PostCrisisReview.objects.select_related("incident").get(incident=short_crisis)
        context = review_context(review, in_utc)
        pdf = tmp_path / "review.pdf"
        pdf.write_bytes(review_pdf(review, in_utc))
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    for said in (staff, portal, text):
        assert DURING in said
        assert "373" not in said and "a day, 100% negative" not in said
    # the windows table says the rate in the same words
    [during] = [w for w in context["windows"] if w["name"] == "during"]
    assert during["rate_text"] == "about 16 an hour"
    assert '<th scope="col">Rate</th>' in portal and "<td>about 16 an hour</td>" in portal
