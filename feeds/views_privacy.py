"""Privacy requests, for the agency's owners and managers (mounted under /agency/ by
config.urls_public): find a person's items across the agency's clinics, redact or delete
them with a reason, and the log of what was done with a receipt for each."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponseRedirect

from accounts.actors import Actor
from agency.models import PrivacyAction
from agency.selectors import privacy_requests_for_agency
from agency.views import StaffView
from clinics.models import Clinic
from core.csv_download import csv_download
from core.days import date_ranges_reversed
from core.errors import ValidationFailed
from core.paging import page_get
from feeds.apis_privacy import PrivacyRequestFilterSerializer
from feeds.selectors import (
    PRIVACY_PER_CLINIC,
    reviews_by_author_across,
)
from feeds.services.privacy import (
    privacy_actions_left,
    privacy_request_carry_out,
    privacy_request_check,
    privacy_search_problems,
)


class PrivacyRequestsView(StaffView):
    """Find: `?author=` (name or handle contains; `text=1` also searches the text, `clinic=`
    one clinic). Act: POST the chosen items with a reason and `redact` or `delete`; a
    confirmation lists them first, and only its button (`confirm=yes`) removes anything."""

    template_name = "feeds/privacy.html"
    manage_get = True

    def _clinics(self):
        return Clinic.objects.filter(agency=self.agency).order_by("name")

    def _render(self, *, status=200, errors=None, **extra):
        return self.render_to_response(
            self.context(
                section="privacy",
                errors=errors or {},
                # (field, message) pairs: a template reads `errors.items` as the "items" field
                error_lines=[(f, m) for f, ms in (errors or {}).items() for m in ms],
                clinics=self._clinics(),
                per_clinic=PRIVACY_PER_CLINIC,
                actions=PrivacyAction.choices,
                **extra,
            ),
            status=status,
        )

    def get(self, request):
        author = " ".join(request.GET.get("author", "").split())[:200]
        with_text = request.GET.get("text") == "1"
        clinic_slug = request.GET.get("clinic", "")
        form = {"author": author, "text": with_text, "clinic": clinic_slug}
        if "author" not in request.GET:
            return self._render(form=form)
        errors = privacy_search_problems(agency=self.agency, author=author, clinic_slug=clinic_slug)
        if errors:
            return self._render(form=form, errors=errors, status=400)
        found = reviews_by_author_across(
            agency=self.agency, author=author, with_text=with_text, clinic_slug=clinic_slug
        )
        for group in found["groups"]:
            for review in group["reviews"]:  # what a request may still do with it
                review.actions_left = privacy_actions_left(
                    redacted=review.redacted_at is not None, deleted=review.is_deleted
                )
        return self._render(form=form, found=found)

    def post(self, request):
        author = " ".join(request.POST.get("author", "").split())[:200]
        reason = request.POST.get("reason", "").strip()
        action = request.POST.get("action", "")
        selected = request.POST.getlist("item")
        form = {"author": author, "reason": reason, "action": action, "selected": selected}
        actor = Actor(user=request.user, via_session=True)
        asked = {"agency": self.agency, "actor": actor, "author": author, "reason": reason,
                 "action": action, "selected": selected}  # fmt: skip
        try:
            if request.POST.get("confirm") != "yes":
                wanted = privacy_request_check(**asked)
                return self._render(form=form, confirm=self._confirm(wanted, action))
            done = privacy_request_carry_out(**asked)
        except ValidationFailed as exc:
            return self._render(form=form, errors=exc.fields, status=400)
        return HttpResponseRedirect(f"/agency/privacy/requests/{done.pk}/")

    def _confirm(self, wanted: dict, action: str) -> dict:
        n = sum(len(ids) for ids in wanted.values())
        names = [c.name for c in sorted(wanted, key=lambda c: c.name)]
        verb = "Delete" if action == PrivacyAction.DELETE else "Redact"
        return {
            "button": f"{verb} {n} item{'s' if n != 1 else ''}",
            "clinics": names,
            "count": n,
            "delete": action == PrivacyAction.DELETE,
        }


# The privacy log page's filters: the API's days (`PrivacyRequestFilterSerializer`, whole UTC
# days: the log is agency-wide). Its address may also carry the page, the download and the
# staff pages' agency choice (`agency.views.StaffView`).
PRIVACY_LOG_FILTERS = ("created_from", "created_to")
PRIVACY_LOG_PARAMS_OTHER = ("page", "format", "agency")
PRIVACY_LOG_FILTER_WORDS = {"created_from": "From", "created_to": "To", "format": "Download"}
UNKNOWN_FILTER = "The log has no such filter."


def _privacy_log_filters(query) -> tuple[dict, dict[str, list[str]]]:
    """The days of the log page's address and, for each filter it cannot read, why (an
    unknown parameter too: a misspelt filter is named, never dropped while the rest is
    listed)."""
    given = {k: v for k, v in query.items() if k in PRIVACY_LOG_FILTERS and v not in ("", None)}
    filters = PrivacyRequestFilterSerializer(data=given)
    errors = {} if filters.is_valid() else {k: list(v) for k, v in filters.errors.items()}
    # From after To lists nothing: said on the To field, as the API says it
    errors.update(
        date_ranges_reversed(PrivacyRequestFilterSerializer, filters.validated_data, errors=errors)
    )
    known = {*PRIVACY_LOG_FILTERS, *PRIVACY_LOG_PARAMS_OTHER}
    errors.update({k: [UNKNOWN_FILTER] for k in query if k not in known})
    if query.get("format") not in (None, "", "csv"):
        errors["format"] = ["The log downloads as csv only."]
    return ({} if errors else dict(filters.validated_data)), errors


class PrivacyLogView(StaffView):
    """The agency's privacy requests log, newest first (owners and managers), filtered by the
    days requests were carried out (whole UTC days: the log is agency-wide); `?format=csv`
    exports it as filtered. It cannot be changed or deleted."""

    template_name = "feeds/privacy_log.html"
    manage_get = True
    PAGE = 100
    CSV_COLUMNS = (
        "created_at", "action", "author", "reason", "actor_email", "actor_name", "items",
        "to_check",
    )  # fmt: skip

    def get(self, request):
        chosen, errors = _privacy_log_filters(request.GET)
        page = None
        if not errors:
            rows = privacy_requests_for_agency(agency=self.agency, **chosen)
            if request.GET.get("format") == "csv":
                return self._csv(rows)
            page = page_get(request, rows, self.PAGE)
        query = request.GET.copy()
        for key in ("page", "format"):
            query.pop(key, None)
        context = self.context(
            section="privacy",
            page=page,
            filters=request.GET,
            filtered=any(request.GET.get(k) for k in PRIVACY_LOG_FILTERS),
            filter_errors=[
                (PRIVACY_LOG_FILTER_WORDS.get(k, k), " ".join(map(str, v)))
                for k, v in errors.items()
            ],
            # each said at its field too (the end before the start: on To)
            field_errors={k: [str(m) for m in v] for k, v in errors.items()},
            query=query.urlencode(),
        )
        return self.render_to_response(context, status=400 if errors else 200)

    def _csv(self, rows):
        cells = (
            [json.dumps(c, ensure_ascii=False) if isinstance(c, list | dict) else c for c in row]
            for row in rows.values_list(*self.CSV_COLUMNS).iterator(chunk_size=500)
        )
        return csv_download(
            self.CSV_COLUMNS, cells, filename=f"privacy-requests-{self.agency.slug}.csv"
        )


class PrivacyReceiptView(StaffView):
    """One privacy request carried out: what was removed, where, by whom, and the receipt to
    copy for the person. Another agency's request is 404."""

    template_name = "feeds/privacy_receipt.html"
    manage_get = True

    def get(self, request, request_id: int):
        done = privacy_requests_for_agency(agency=self.agency).filter(pk=request_id).first()
        if done is None:
            raise Http404("Not found.")
        # each item's clinic by its id (never reused), as it is now: a deleted clinic's items
        # link nowhere, even where a new clinic took its slug
        ids = {item.get("clinic_id") for item in done.items}
        live = dict(Clinic.objects.filter(agency=self.agency, pk__in=ids).values_list("pk", "slug"))
        items = [{**item, "live_slug": live.get(item.get("clinic_id"))} for item in done.items]
        return self.render_to_response(self.context(section="privacy", done=done, items=items))
