"""A dashboard row as the page writes it (`dashboard_tags.clinic_row`): every figure with its
link and its words, each written once; what every row shares (a phone's cell labels, the
sparkline's size and zero line) lives in the stylesheet, in step with the code."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dashboard.models import ClinicSnapshot
from dashboard.templatetags.dashboard_tags import SPARK_HEIGHT, SPARK_WIDTH
from dashboard.views import DASHBOARD_COLUMNS

CSS = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()


def _row(html: str, slug: str) -> str:
    row = html[html.index(f'<tr data-clinic="{slug}">') :]
    return row[: row.index("</tr>") + len("</tr>")]


def _snap(clinic, **figures) -> None:
    """The clinic's snapshot with exactly these figures (the others at their defaults, whatever
    an earlier test of the same process left)."""
    ClinicSnapshot.objects.filter(clinic=clinic).delete()
    ClinicSnapshot.objects.create(
        clinic=clinic, agency=clinic.agency, refreshed_at=timezone.now(), **figures
    )


def test_a_row_with_every_figure(login, clinic_a):
    # given a clinic with an escalated critical incident and something in every column
    _snap(
        clinic_a, new_reviews=7, average_rating=2.25, rating_count=12,
        sentiment_daily=[0.5, None, None, -0.4], sentiment_counts=[3, 0, 0, 4],
        open_incidents=2, unacknowledged_incidents=1, top_incident_id=41,
        top_incident_title="Surge & <rumour>", top_severity=4, top_severity_label="critical",
        oldest_unacknowledged_at=timezone.now() - timedelta(minutes=18, seconds=5),
        escalated=True, awaiting_approval=3, awaiting_replies=2, awaiting_statements=1,
        failed_deliveries=1, sla_breaches=4, stale_since=timezone.now(),
    )  # fmt: skip

    # when
    row = _row(login("alpha_manager").get("/agency/").content.decode(), clinic_a.slug)

    # then
    base, name = f"/clinics/{clinic_a.slug}/", clinic_a.name
    assert row == (
        f'<tr data-clinic="{clinic_a.slug}"><th scope="row"><a class="clinic-name" href="{base}">{name}</a>'
        ' <small class="muted">updating…</small></th>'
        '<td><span class="pill sev-critical" data-testid="severity">Critical</span> '
        '<span class="late whole-words" data-testid="unack">unacknowledged 18\xa0minutes / escalated</span>'
        "</td>"
        f'<td class="num"><a href="{base}inbox/?status=new" aria-label="7 unread reviews at {name}, of any date">'
        "7</a></td>"
        '<td class="num">2.3★ <span class="muted">(12)</span></td>'
        '<td><svg class="spark spark-down" viewBox="0 0 112 28" role="img"><title>Sentiment '
        "over 4 days, from +0.50 to -0.40 (2 days with scored reviews)</title>"
        '<polyline points="0,8 112,18.8"/><circle cx="112" cy="18.8" r="2.5"/></svg> '
        '<span class="trend down" tabindex="0" data-testid="spark-mean" data-reviews="4">-0.40'
        '<span class="tip"> mean sentiment of the last 2 days: -0.40 from 4 reviews (the figure '
        "the arrow compares with the first days)</span></span> "
        '<span class="trend" tabindex="0" data-testid="trend" data-trend="down">↓'
        '<span class="tip"> worse: '
        "-0.40 over the last 2 days (4 reviews), down from +0.50 over the first 2 days "
        "(3 reviews)</span></span></td>"
        f'<td class="num"><a class="incident-link" href="{base}incidents/41/" '
        'title="Surge &amp; &lt;rumour&gt;" aria-label="2 open incidents at '
        f'{name}; open the most severe: Surge &amp; &lt;rumour&gt;"><span class="pill negative">'
        '2</span></a> <span class="muted">1 unack.</span></td>'
        f'<td class="num"><a href="{base}replies/" data-testid="approvals" aria-label="3 awaiting'
        f' approval at {name}: 2 replies, 1 statement">3</a> <small class="muted">2 replies, '
        "1 statement</small></td>"
        f'<td class="num"><a href="{base}outbox/#failed" aria-label="1 failed delivery at '
        f'{name}: open the outbox"><span class="pill negative" '
        'data-testid="failed-deliveries">1</span></a></td>'
        f'<td class="num"><a href="{base}inbox/?sla=breached" aria-label="4 SLA breaches at '
        f'{name}: open them in the inbox"><span class="pill negative" '
        'data-testid="sla-breaches">4</span></a></td></tr>'
    )


def test_a_calm_row_a_row_being_computed_and_a_deactivated_one(login, clinic_a, clinic_b):
    # given a calm clinic without scored reviews, and one whose figures are not computed yet
    _snap(clinic_a)
    ClinicSnapshot.objects.filter(clinic=clinic_b).delete()
    html = login("alpha_manager").get("/agency/").content.decode()
    assert _row(html, clinic_a.slug).endswith(
        '<td><span class="muted">–</span></td><td class="num"><a href="/clinics/clinic-a/inbox/'
        f'?status=new" aria-label="0 unread reviews at {clinic_a.name}, of any date">0</a></td><td class="num">'
        '<span class="muted">–</span></td><td><span class="muted">No scored reviews in the last 14 days</span></td>'
        '<td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">0</td>'
        "</tr>"
    )
    assert _row(html, clinic_b.slug).endswith(
        '<td colspan="8" class="muted">Figures are being computed…</td></tr>'
    )
    # when clinic A is deactivated, the paused list says so in its row
    clinic_a.deactivated_at = timezone.now()
    clinic_a.deactivated_by_name = "Alpha Owner"
    clinic_a.save(update_fields=["deactivated_at", "deactivated_by_name"])
    html = login("alpha_manager").get("/agency/", {"status": "paused"}).content.decode()
    assert re.search(
        r'<td colspan="8" data-testid="paused">Deactivated on \d{1,2} \w{3} \d{4} by Alpha Owner:'
        r" its portal is paused and its reviews are not watched\. <a href=\"/clinics/clinic-a/"
        r'settings/leaving/">Export, reactivate or delete it</a></td></tr>',
        _row(html, clinic_a.slug),
    )


def test_a_phone_labels_each_cell_with_its_columns_heading():
    labels = dict(
        re.findall(
            r"\.table\.dashboard tbody td:not\(\[colspan\]\):nth-child\((\d)\)::before "
            r'\{ content: "([^"]+)"; \}',
            CSS,
        )
    )
    # the row's heading cell is the first child; each figure's cell follows in column order
    assert labels == {str(n): heading for n, (_key, heading) in enumerate(DASHBOARD_COLUMNS, 1)
                      if n > 1}  # fmt: skip


def test_the_stylesheet_draws_the_sparklines_size():
    assert f".spark {{ width: {SPARK_WIDTH}px; height: {SPARK_HEIGHT}px;" in CSS
