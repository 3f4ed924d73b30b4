from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from clinics.access import month_across_access, month_across_clinics
from clinics.models import clinic_zone
from core.api import (
    ClinicAPIView,
    PublicAPIView,
    UtcInstantField,
    query_params_validated,
    utc_iso,
)
from reports.export import report_sentiment_reading
from reports.selectors import (
    month_parse,
    month_query,
    monthly_report,
    months_across,
    months_across_parse,
    report_months,
)


class _Sentiment(serializers.Serializer):
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()
    unscored = serializers.IntegerField()
    average_score = serializers.FloatField(allow_null=True, help_text="-1 … 1")
    negative_share = serializers.FloatField(allow_null=True, help_text="of the scored items")
    average_score_words = serializers.CharField(
        allow_null=True,
        help_text="`average_score` in words, as the report's page, e-mail and PDF say it under "
        "“Average sentiment”: its strength (“Slightly positive”, “Neutral on balance”, “Mostly "
        "negative”…), or the mix where the average and the items point different ways (“Mixed: "
        "more negative than positive items”); null when nothing was scored",
    )


class _Answered(serializers.Serializer):
    reviews = serializers.IntegerField(
        help_text="items received in the month that are answered (by now), any way: a reply "
        "published through Carewatch or the status `replied` (answered on the platform "
        "directly, or before the agency answered for the clinic)"
    )
    share = serializers.FloatField(allow_null=True, help_text="of the items received")
    through_carewatch = serializers.IntegerField(
        help_text="with a reply published through Carewatch"
    )
    posted_by_hand = serializers.IntegerField(
        help_text="of those, the replies marked posted by hand from the outbox"
    )
    elsewhere = serializers.IntegerField(
        help_text="answered on the platform directly or before the agency answered for the "
        "clinic (no reply time known)"
    )
    handled_privately = serializers.IntegerField(
        help_text="of the items received and not answered, those handled privately (the status "
        "`in_follow_up` or `resolved`: taken off the platform, as the playbook recommends for "
        "complaints); they are not counted in `reviews`"
    )
    past_imported = serializers.IntegerField(
        help_text="items received in the month that were imported as past reviews (history): "
        "counted as received, left out of the response time"
    )


class _ResponseTime(serializers.Serializer):
    replies = serializers.IntegerField(
        help_text="replies published through Carewatch in the month whose time is known (past "
        "reviews imported as history left out)"
    )
    past_left_out = serializers.IntegerField(
        help_text="replies of the month to past reviews imported as history: not measured, "
        "never late"
    )
    basis = serializers.CharField(
        help_text="what the response time is measured on, in words the clinic reads (naming "
        "the agency by its brand, `display_name`)"
    )
    median_minutes = serializers.FloatField(allow_null=True)
    average_minutes = serializers.FloatField(allow_null=True)
    target_counted = serializers.IntegerField(
        help_text="of `replies`, those to reviews the reply target counts (negative or 1–2★, "
        "as the dashboard's and the inbox's SLA): what `within_target` is counted over; a "
        "reply to a positive review has no target"
    )
    within_target = serializers.IntegerField(
        help_text="of `target_counted`, the replies published within the clinic's reply target"
    )
    within_target_share = serializers.FloatField(
        allow_null=True, help_text="`within_target` / `target_counted`; null when none counts"
    )
    target_minutes = serializers.IntegerField()


class _Day(serializers.Serializer):
    date = serializers.DateField()
    volume = serializers.IntegerField()
    rated = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    average_score = serializers.FloatField(allow_null=True)
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()
    answered = serializers.IntegerField(help_text="of the items received that day (week)")
    replies = serializers.IntegerField(help_text="replies published through Carewatch")
    median_response_minutes = serializers.FloatField(allow_null=True)


class _Week(_Day):
    date = None
    week_start = serializers.DateField(help_text="Monday (may be before the month)")
    label = serializers.CharField(
        help_text="the days of the month this week holds, as the report shows them: “2–8 Nov”, "
        "“1 Nov” for a week that starts in the month before (weeks run Monday to Sunday)"
    )
    days = serializers.IntegerField(help_text="days of the month in this week")


class _Previous(serializers.Serializer):
    month = serializers.CharField()
    start = UtcInstantField(help_text="the clinic's midnight on the 1st, in UTC")
    end = UtcInstantField(
        help_text="in UTC; for a month in progress, the same days and time of day as this one has "
        "so far (the whole month otherwise)"
    )
    volume = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    average_score = serializers.FloatField(allow_null=True)
    negative_share = serializers.FloatField(allow_null=True)
    answered = serializers.IntegerField()
    answered_share = serializers.FloatField(allow_null=True)
    replies = serializers.IntegerField()
    median_response_minutes = serializers.FloatField(allow_null=True)


class _Change(serializers.Serializer):
    volume = serializers.IntegerField()
    volume_pct = serializers.FloatField(allow_null=True)
    average_rating = serializers.FloatField(allow_null=True)
    average_score = serializers.FloatField(allow_null=True)
    negative_share = serializers.FloatField(allow_null=True)
    answered_share = serializers.FloatField(allow_null=True)
    median_response_minutes = serializers.FloatField(allow_null=True)


class MonthlyReportOutputSerializer(serializers.Serializer):
    clinic = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM")
    timezone = serializers.CharField(help_text="the clinic's: days and months are its own")
    start = UtcInstantField(
        help_text="the month's first instant: midnight on the 1st in the clinic's time zone, "
        "given in UTC, as every time the API gives"
    )
    end = UtcInstantField(
        help_text="in UTC: midnight on the 1st of the next month in the clinic's time zone "
        "(exclusive), or now while the month is in progress"
    )
    in_progress = serializers.BooleanField(
        help_text="the current month: month to date, its days and weeks up to today, compared "
        "with the same days of the previous month"
    )
    compared = serializers.CharField(help_text="what is compared with what, in words")
    volume = serializers.IntegerField(help_text="reviews, comments and mentions published")
    rated = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    sentiment = _Sentiment()
    answered = _Answered()
    response_time = _ResponseTime()
    daily = _Day(many=True)
    weekly = _Week(many=True)
    previous = _Previous()
    change = _Change(help_text="this month minus the previous one (its same days, in progress)")


EXAMPLE = {
    "clinic": "sunrise-family",
    "month": "2026-10",
    "timezone": "America/New_York",
    "start": "2026-10-01T04:00:00+00:00",
    "end": "2026-11-01T04:00:00+00:00",
    "in_progress": False,
    "compared": "October 2026 compared with September 2026",
    "volume": 412,
    "rated": 388,
    "average_rating": 4.21,
    "sentiment": {
        "positive": 281,
        "neutral": 61,
        "negative": 66,
        "unscored": 4,
        "average_score": 0.412,
        "negative_share": 0.162,
        "average_score_words": "Mostly positive",
    },
    "answered": {
        "reviews": 318,
        "share": 0.772,
        "through_carewatch": 97,
        "posted_by_hand": 12,
        "elsewhere": 221,
        "handled_privately": 9,
        "past_imported": 0,
    },
    "response_time": {
        "replies": 97,
        "past_left_out": 0,
        "basis": "Response time is measured only where the reply time is known: 97 replies "
        "published through Sunrise Reviews in this period, from the review's publication to the "
        "reply's. Reviews answered on the platform directly or before Sunrise Reviews answered "
        "for the clinic count as answered but have no known reply time. The reply target counts "
        "only negative and 1–2★ reviews, as the dashboard and the inbox do: 41 replies are "
        "measured against it; "
        "a reply to a positive review has no target to be within or past.",
        "median_minutes": 312.0,
        "average_minutes": 488.6,
        "target_counted": 41,
        "within_target": 37,
        "within_target_share": 0.902,
        "target_minutes": 1440,
    },
    "daily": [
        {
            "date": "2026-10-01",
            "volume": 14,
            "rated": 13,
            "average_rating": 4.38,
            "average_score": 0.455,
            "positive": 10,
            "neutral": 2,
            "negative": 2,
            "answered": 11,
            "replies": 3,
            "median_response_minutes": 240.0,
        }
    ],
    "weekly": [
        {
            "week_start": "2026-09-28",
            "label": "1–4 Oct",
            "days": 4,
            "volume": 55,
            "rated": 52,
            "average_rating": 4.25,
            "average_score": 0.43,
            "positive": 38,
            "neutral": 8,
            "negative": 9,
            "answered": 41,
            "replies": 12,
            "median_response_minutes": 290.5,
        }
    ],
    "previous": {
        "month": "2026-09",
        "start": "2026-09-01T04:00:00+00:00",
        "end": "2026-10-01T04:00:00+00:00",
        "volume": 371,
        "average_rating": 4.3,
        "average_score": 0.47,
        "negative_share": 0.131,
        "answered": 280,
        "answered_share": 0.755,
        "replies": 90,
        "median_response_minutes": 355.0,
    },
    "change": {
        "volume": 41,
        "volume_pct": 11.1,
        "average_rating": -0.09,
        "average_score": -0.058,
        "negative_share": 0.031,
        "answered_share": 0.017,
        "median_response_minutes": -43.0,
    },
}


class _Error(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ReportMonthlyFilterSerializer(serializers.Serializer):
    """The report's query string (`query_params_validated`: `month` once, no other parameter
    than DRF's `format`); `month_parse` reads the month."""

    month = serializers.CharField(required=False, allow_blank=True)


class ReportMonthlyApi(ClinicAPIView):
    """The clinic's monthly report: volume, average rating, sentiment mix and average score,
    how many items were answered (any way, and how many through Carewatch), reply response
    time where it is known (review published → reply published through Carewatch; past
    reviews imported as history left out), per day and per ISO week, and
    the previous month for comparison. Days and months are in the clinic's time zone. Without
    `month` it is the month the report's pages open on (`ReportMonths.default`): the last
    complete month, or the month in progress for a clinic created in it. The current month is
    month to date (no day or week after today) against the same days of the previous month."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "month",
                OpenApiTypes.STR,
                description="YYYY-MM. Default (no `month`, or an empty one): the last complete "
                "month in the clinic's time zone, as the report's pages open on, the month that "
                "can be sent; for a clinic created in the month in progress with nothing imported "
                "from before it, that month (it has no complete month yet). The month in progress is answered when asked for: "
                "`in_progress` is then true. 400 with a `month` field error when malformed, "
                "before 2000-01, not started yet (in the clinic's time zone), or given more "
                "than once. A month before the clinic was created is answered: it holds the "
                "history imported for the clinic (zeros where none was).",
                examples=[OpenApiExample("October 2026", value="2026-10")],
            )
        ],
        responses={200: MonthlyReportOutputSerializer, 400: _Error},
        examples=[
            OpenApiExample("A month", value=EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "A bad month",
                value={
                    "detail": "Invalid month.",
                    "code": "invalid",
                    "fields": {"month": ["Use the form YYYY-MM, for example 2026-11."]},
                },
                response_only=True,
                status_codes=["400"],
            ),
            OpenApiExample(
                "A month given twice",
                value={
                    "detail": "Invalid input.",
                    "code": "invalid",
                    "fields": {"month": ["Give one value."]},
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def get(self, request):
        params = query_params_validated(
            ReportMonthlyFilterSerializer, request.query_params, also=("format",)
        )
        month = month_parse(params.get("month"), tz=clinic_zone(self.clinic))
        if not params.get("month"):
            month = report_months(self.clinic).default  # as the pages: one default, one rule
        report = monthly_report(clinic=self.clinic, month=month)
        sentiment = report["sentiment"]
        sentiment["average_score_words"] = report_sentiment_reading(sentiment) or None
        # the month's bounds are the clinic's midnights; the API gives them in UTC (README)
        previous = report["previous"]
        bounds = {key: utc_iso(report[key]) for key in ("start", "end")}
        before = {key: utc_iso(previous[key]) for key in ("start", "end")}
        return Response({**report, **bounds, "previous": {**previous, **before}})


# --- the month across clinics (`GET /api/v1/reports/months/`) ---------------------------------


class _MonthsClinic(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField(help_text="false: deactivated (a client that left)")
    timezone = serializers.CharField(help_text="the clinic's; its month runs in it")
    report_url = serializers.CharField(
        help_text="the clinic's monthly report in the API, for the same month"
    )


class _MonthsPrevious(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    volume = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    negative_share = serializers.FloatField(allow_null=True)
    answered_share = serializers.FloatField(allow_null=True)
    median_response_minutes = serializers.FloatField(allow_null=True)


class _MonthsChange(serializers.Serializer):
    volume = serializers.IntegerField()
    volume_pct = serializers.FloatField(allow_null=True)
    average_rating = serializers.FloatField(allow_null=True)
    negative_share = serializers.FloatField(allow_null=True)
    answered_share = serializers.FloatField(allow_null=True)
    median_response_minutes = serializers.FloatField(allow_null=True)


class ReportMonthRowOutputSerializer(serializers.Serializer):
    """One clinic's headline figures of its monthly report for the month: each value is the one
    its own report (`/clinics/<slug>/api/v1/reports/monthly/?month=`) gives, under the name
    noted."""

    clinic = _MonthsClinic()
    month = serializers.CharField(help_text="YYYY-MM")
    in_progress = serializers.BooleanField(
        help_text="the month is in progress in the clinic's time zone: month to date, compared "
        "with the same days of the previous month"
    )
    volume = serializers.IntegerField(help_text="items received (the report's `volume`)")
    average_rating = serializers.FloatField(allow_null=True)
    negative_share = serializers.FloatField(
        allow_null=True, help_text="of the scored items (`sentiment.negative_share`)"
    )
    answered = serializers.IntegerField(help_text="`answered.reviews`")
    answered_share = serializers.FloatField(allow_null=True, help_text="`answered.share`")
    replies = serializers.IntegerField(
        help_text="replies with a known reply time (`response_time.replies`)"
    )
    target_minutes = serializers.IntegerField(
        help_text="the reply target the month is measured against: the clinic's at the month's "
        "end (today's for a month in progress)"
    )
    target_counted = serializers.IntegerField(help_text="`response_time.target_counted`")
    within_target = serializers.IntegerField(help_text="`response_time.within_target`")
    within_target_share = serializers.FloatField(
        allow_null=True, help_text="`response_time.within_target_share`"
    )
    median_response_minutes = serializers.FloatField(
        allow_null=True, help_text="`response_time.median_minutes`"
    )
    incidents_opened = serializers.IntegerField(help_text="incidents opened in the month")
    previous = _MonthsPrevious()
    change = _MonthsChange()


class ReportMonthsFilterSerializer(serializers.Serializer):
    """The month across clinics' query string."""

    agency = serializers.SlugField(
        required=False,
        help_text="The agency (slug): needed only by a person on the staff of several; an "
        "agency key reads its own.",
    )
    month = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="YYYY-MM. Default: the last month complete in every clinic's time zone. 400 "
        "with a `month` field error when malformed, before 2000-01, not started yet, or given "
        "more than once.",
    )


def month_row_data(row: dict) -> dict:
    clinic = row["clinic"]
    return {
        **{key: value for key, value in row.items() if key not in ("clinic", "timezone")},
        "clinic": {
            "slug": clinic.slug,
            "name": clinic.name,
            "active": clinic.deactivated_at is None,
            "timezone": row["timezone"],
            "report_url": f"/clinics/{clinic.slug}/api/v1/reports/monthly/?month={row['month']}",
        },
    }


class ReportMonthsAcrossApi(PublicAPIView):
    """List one month of every clinic the caller reads: the headline figures of each clinic's
    monthly report (the same values), one row a clinic, by clinic name.

    Each clinic's month runs in its own time zone. Deactivated clinics are listed too
    (`clinic.active` false). Read by the agency's staff (every role that reads a clinic's
    monthly report; a writer or analyst limited to chosen clinics gets those) in person or with
    a personal token (`agency` names one for the staff of several), and by the agency's keys
    with the `read` scope; never a clinic key or a clinic's own people (403). Paged by
    `cursor` like every list."""

    @extend_schema(
        parameters=[ReportMonthsFilterSerializer],
        responses=ReportMonthRowOutputSerializer(many=True),
    )
    def get(self, request):
        # who may read, before the input: a caller who may not is a 403 whatever it sent
        access = month_across_access(
            self.actor, agency_slug=str(request.query_params.get("agency") or "")
        )
        if access.unknown_agency:
            raise ValidationError({"agency": [access.refusal]})
        if access.agency is None:
            raise PermissionDenied(access.refusal)
        query_params_validated(ReportMonthsFilterSerializer, request.query_params)
        clinics = month_across_clinics(self.actor, access.agency)
        month = months_across_parse(month_query(request.query_params), clinics)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(clinics, request, view=self)
        rows = [month_row_data(row) for row in months_across(page, month)]
        return paginator.get_paginated_response(
            ReportMonthRowOutputSerializer(rows, many=True).data
        )
