"""The clinic client portal, under /clinics/<slug>/portal/: branded with the agency's name,
logo and colour, made for a phone first. Approvals go through the same services as the
agency's pages (`responses.services`); with htmx, approving or rejecting swaps the card in
place, without it the form posts and the page reloads."""

from __future__ import annotations

import re
from functools import cache
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.base import TemplateResponseMixin

from accounts.selectors import user_is_agency_staff
from agency.branding import brand_name
from agency.selectors import agencies_for_user, removal_last
from clinics.forms import NotificationPreferenceForm
from clinics.models import clinic_zone
from clinics.notifications import INFORMATION_KINDS, notification_read
from clinics.preferences import (
    email_groups_offered,
    history_words,
    preferences_for,
)
from clinics.selectors import (
    NOTIFICATION_HISTORY_DAYS,
    STAFF_NOTIFICATION_HISTORY_URL,
    clinics_for_actor,
    notifications_history,
)
from core.errors import DomainError, NotFound, ValidationFailed
from core.http import ParamRefused, int_param, is_htmx
from core.incidents import incident_id_of_ref
from core.paging import Chained, page_get
from core.permissions import Permission
from core.text import one_line
from core.views import ClinicView
from crisis.export import review_context, review_pdf
from crisis.room import follow_up_of, incident_words
from crisis.selectors import incident_states_words, review_sent_to_clinic
from crisis.services import incident_acknowledge
from crisis.services.review_questions import MAX_QUESTION, review_question_ask, review_questions
from crisis.timeline import after_title, clinic_incident_lines
from crisis.views_alerts import notification_url
from facts.selectors import facts_citable, facts_waiting_for_clinic
from facts.services import clinic_attest_refusal, fact_change_request, fact_confirm_by_clinic
from feeds.services.privacy import privacy_requests_for_clinic
from portal.branding import brand_palette
from portal.forms import IncidentDaysForm
from portal.selectors import (
    batch_card_get,
    cards_handled,
    checks_tab_label,
    clinic_switch,
    in_progress_counts,
    incident_for_portal,
    incident_waiting_for_clinic,
    incidents_closed,
    incidents_open,
    notices_handled,
    portal_banner,
    portal_counts,
    portal_home_for,
    replies_waiting_for_clinic,
    reply_card_get,
    reply_cards,
    review_cards,
    review_mine,
    statement_card_get,
    statements_published,
    statements_waiting_for_clinic,
    waiting_in_clinics,
    waiting_position,
    waiting_words,
)
from reports.selectors import (
    history_notice,
    month_parse,
    month_query,
    monthly_report,
    report_comparison,
    report_months,
)
from reports.services import report_ref
from responses.models import PERSON_OUTCOMES
from responses.selectors import (
    approval_outcome,
    delivery_rows,
    delivery_words,
    followup_counts,
    followup_get,
    private_conversations_list,
    replies_delivered_recently,
)
from responses.services import batches as batch_services
from responses.services import private as followup_services
from responses.services import replies as reply_services
from responses.services import statements as statement_services
from responses.services.approvals import waiting_for
from responses.views_approvals_log import approvals_log_page

# kind of a card -> (services, id keyword, service name prefix)
ACTS = {
    "reply": (reply_services, "draft_id", "reply"),
    "batch": (batch_services, "batch_id", "reply_batch"),
    "statement": (statement_services, "statement_id", "statement"),
}


class HomeView(LoginRequiredMixin, TemplateView):
    """ "Your clinics": every clinic the person may open, in the table "Clinics you can open"
    (a deactivated clinic among them for the agency's staff, who read it marked deactivated
    and read-only), then, for the clinic's own people, the clinics their agency paused (not
    openable: no link, and not in that table); the agency's staff also read each clinic's
    time zone and reply target."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        staff_of = set(agencies_for_user(user).values_list("pk", flat=True))
        clinics = list(clinics_for_actor(self.request.actor).order_by("agency__name", "name"))
        for clinic in clinics:
            staff = clinic.agency_id in staff_of
            clinic.opens = staff or not clinic.is_deactivated
            # the agency as the person knows it: its name for its staff, its brand for the
            # clinic's people
            clinic.agency_words = clinic.agency.name if staff else brand_name(clinic.agency)
        context["clinics"] = [clinic for clinic in clinics if clinic.opens]
        context["closed"] = [clinic for clinic in clinics if not clinic.opens]
        context["staff"] = bool(staff_of)
        if not staff_of and context["clinics"]:
            # what waits for them in each clinic, as its portal's Overview counts it, and the
            # sum: this page spans their clinics
            waiting = waiting_in_clinics(self.request.actor, context["clinics"])
            for clinic in context["clinics"]:
                clinic.waiting = waiting[clinic.pk]
            context["waiting_total"] = sum(waiting.values())
        if not clinics:
            # removed from every clinic (not "yet" to be added): whom to ask, as they know them
            removed_by, from_staff = removal_last(user)
            if removed_by is not None:
                # a former staff member knows the agency by its own name (as their e-mail
                # said it), a clinic's person by its brand
                context["removed_by"] = (
                    one_line(removed_by.name) if from_staff else brand_name(removed_by)
                )
                context["removed_by_email"] = removed_by.support_email
        return context


class LandingView(LoginRequiredMixin, View):
    """Where sign-in leads without a ?next= (settings.LOGIN_REDIRECT_URL): agency staff to the
    agency dashboard, a person of exactly one clinic to that clinic's portal, everyone else to
    their clinic list."""

    def get(self, request):
        if user_is_agency_staff(request.user):
            return HttpResponseRedirect("/agency/")
        return HttpResponseRedirect(portal_home_for(request.user) or "/")


class PortalPage(TemplateResponseMixin, ClinicView):
    staff_page = False  # the clinic's own pages (agency staff read them too)
    section = ""

    @property
    def portal_url(self) -> str:
        return f"/clinics/{self.clinic.slug}/portal/"

    def context(self, **extra) -> dict:
        # what waits for this person here: the one count every surface of the page says
        counts = portal_counts(self.access)
        checks_tab = checks_tab_label(self.access)
        user, clinic = self.request.user, self.clinic
        return {
            "clinic": self.clinic,
            "agency": self.clinic.agency,
            "access": self.access,
            "counts": counts,
            "waiting_for_you": waiting_words(counts, checks_tab=checks_tab),
            # read once, when the banner is drawn (not by a card swapped in place)
            "banner": cache(lambda: portal_banner(user, clinic)),
            "checks_tab": checks_tab,
            # the approval tiles are for those who approve (a legal or clinician viewer
            # reads their own check's tile instead)
            "can_approve": self.access.can(Permission.APPROVE_CLIENT),
            "section": self.section,
            "portal": self.portal_url,
            # the agency as the clinic's people know it (never its internal name)
            "agency_brand": brand_name(self.clinic.agency),
            # read once, by the header only (`{% with %}`): not by a card swapped in place
            "clinic_switch": cache(lambda: clinic_switch(self.request.actor, self.clinic)),
            **extra,
        }

    def handled(self, cards, page: str) -> list[dict]:
        """What happened to the texts the person was sent to this page for that no longer wait
        here (`portal.selectors.cards_handled`): an e-mail's link to a card lands on its line."""
        return cards_handled(
            user=self.request.user, clinic=self.clinic, page=f"{self.portal_url}{page}",
            shown={f"card-{card['kind']}-{card['obj'].pk}" for card in cards},
        )  # fmt: skip


class PortalHomeView(PortalPage):
    """What needs the clinic now: approvals, statements, open incidents; this month in short."""

    template_name = "portal/home.html"
    section = "home"

    def get(self, request, *args, **kwargs):
        tz = ZoneInfo(self.clinic.timezone or "UTC")
        report = monthly_report(clinic=self.clinic, month=month_parse(None, tz=tz))
        return self.render_to_response(self.context(report=report, incidents=incidents_open()[:3]))


class PortalApprovalsView(PortalPage):
    """The replies waiting for the clinic: the review, the reply, what changed since the last
    version, the guard's verdict; approve, or reject with a comment. In pages of 20 cards (a
    batch is one card), the batches first."""

    template_name = "portal/approvals.html"
    section = "approvals"
    PER_PAGE = 20  # cards: a phone's few screens each

    def get(self, request, *args, **kwargs):
        shown = approvals_page(self, request)
        return self.render_to_response(
            self.context(**shown, handled=self.handled(shown["cards"], "approvals/"))
        )


_CARD_PARAM = re.compile(r"(reply|batch)-([1-9]\d{0,17})")


def approvals_page(view: PortalPage, request) -> dict:
    """What the approvals page shows, at the page its query asks for (`request.GET`): `page`,
    or without one the page that holds the card `card` names ("reply-33", "batch-3": the link
    of a notice and its e-mail, whose anchor alone would not find a card on a later page)."""
    per_page = PortalApprovalsView.PER_PAGE
    params = request.GET
    if (card := params.get("card")) is not None and not params.get("page"):
        found = _CARD_PARAM.fullmatch(card.strip())
        if found is None:
            raise ParamRefused("card", "Name a card as in its link, such as reply-12.")
        position = waiting_position(found.group(1), int(found.group(2)))
        if position is not None:  # else it waits no more: its line under the cards says why
            params = params.copy()
            params["page"] = str(position // per_page + 1)
    page = page_get(SimpleNamespace(GET=params), Chained(*replies_waiting_for_clinic()), per_page)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("card", None)
    return {
        "page": page,
        "cards": reply_cards(view.access, page),
        "waiting": page.paginator.count,
        "query": query.urlencode(),
        "in_progress": in_progress_counts(view.access),
        "delivered": replies_delivered_recently(),
    }


class PortalReviewView(PortalPage):
    """Legal's and the clinician's page: the texts at their step, and for legal the texts the
    privacy check blocks, with the findings and an override form (a reason is required)."""

    template_name = "portal/review.html"
    section = "review"

    def get(self, request, *args, **kwargs):
        shown = review_cards(self.access)
        return self.render_to_response(
            self.context(**shown, handled=self.handled(shown["cards"], "review/"))
        )


class PortalOverrideView(PortalPage):
    """Legal lifts the privacy check's block for the current version, with a reason; or keeps
    it and sends the text back to its writer with a comment (`action=send_back`)."""

    write_permission = Permission.VIEW  # the services require LEGAL_OVERRIDE

    def post(self, request, *args, **kwargs):
        kind = request.POST.get("kind")
        back = f"{self.portal_url}review/"
        send_back = request.POST.get("action") == "send_back"
        pk = None
        try:
            pk = int_param(request.POST, "id")
            expected = int_param(request.POST, "expected_version", zero=True)
            if kind not in ACTS or pk is None:
                raise ValidationFailed("Unknown item.", fields={"id": ["Reload the page."]})
            services, key, name = ACTS[kind]  # reply_override, reply_batch_override_refuse...
            if send_back:
                getattr(services, f"{name}_override_refuse")(
                    **{key: pk}, access=self.access, comment=request.POST.get("comment", ""),
                    expected_version=expected,
                )  # fmt: skip
            else:
                getattr(services, f"{name}_override")(
                    **{key: pk}, access=self.access, reason=request.POST.get("reason", ""),
                    expected_version=expected,
                )  # fmt: skip
        except DomainError as exc:
            # The page again with the reason it was refused, and nothing changed.
            response = self.response_class(
                request=request,
                template="portal/review.html",
                context=self.context(
                    error=exc.text(),
                    # what was typed stays in its box, to be corrected rather than retyped
                    kept_reason={"kind": kind, "id": pk, "text": request.POST.get("reason", "")},
                    kept_comment={"kind": kind, "id": pk, "text": request.POST.get("comment", "")}
                    if send_back
                    else {},
                    **review_cards(self.access),
                ),
            )
            response.status_code = exc.status_code
            return response
        if send_back:
            messages.success(request, "Sent back to its writer with your comment; the block stays.")
        else:
            messages.success(request, "Overridden. Your reason is shown to the approvers.")
        return HttpResponseRedirect(back)


class PortalStatementsView(PortalPage):
    template_name = "portal/statements.html"
    section = "statements"

    def get(self, request, *args, **kwargs):
        shown = statements_page(self)
        return self.render_to_response(
            self.context(**shown, handled=self.handled(shown["cards"], "statements/"))
        )


def statements_page(view: PortalPage) -> dict:
    """What the statements page shows."""
    return {
        "cards": statements_waiting_for_clinic(view.access),
        "published": [
            (
                s,
                rows,
                delivery_words(rows).replace("No channel will receive it.", "No channel pins it."),
            )
            for s in statements_published()
            for rows in [delivery_rows(s.outbox_items.select_related("source"), for_clinic=True)]
        ],
        "in_progress": in_progress_counts(view.access),
    }


TAKEN_BACK_WORDS = (
    "You took back your approval: it waits for your step again, and the next step's people "
    "were told it no longer waits for them."
)


class PortalActView(PortalPage):
    """Approve or reject one reply or statement at the clinic's step, or take back one's own
    approval just given (`take_back`, before the next step acts). The services decide who
    may (`write_permission` only needs the clinic to be reachable)."""

    write_permission = Permission.VIEW
    template_name = "portal/_card.html"

    def post(self, request, *args, **kwargs):
        kind = request.POST.get("kind")
        action = request.POST.get("action")
        back = self.portal_url + ("statements/" if kind == "statement" else "approvals/")
        htmx = is_htmx(request)
        outcome, error, pk, taken_back = None, None, None, False
        try:
            # refused as every other refusal here: on the card (htmx), or in the message
            # the approvals page acted from, to go back to without JavaScript (built from a
            # number, never the address sent: no redirect elsewhere)
            if (page := int_param(request.POST, "page")) and kind != "statement":
                back += f"?page={page}"
            pk = int_param(request.POST, "id")
            expected = int_param(request.POST, "expected_version", zero=True)
            if kind not in ACTS or pk is None:
                raise ValidationFailed("Unknown item.", fields={"id": ["Reload the page."]})
            if action not in ("approve", "reject", "take_back"):
                raise ValidationFailed("Unknown action.", fields={"action": ["Reload the page."]})
            services, key, name = ACTS[kind]
            act = getattr(services, f"{name}_{action}")
            acted = act(
                **{key: pk},
                access=self.access,
                comment=request.POST.get("comment", ""),
                expected_status=request.POST.get("expected_status") or None,
                expected_version=expected,
            )
            if action == "reject":
                outcome = "Sent back to the agency with your comment."
            elif action == "take_back":
                # the card again, to decide anew (or leave to another of the step's people)
                outcome, taken_back = None, True
                if not htmx:
                    messages.success(request, TAKEN_BACK_WORDS)
                    return HttpResponseRedirect(back)
            else:
                outcome = approval_outcome(
                    acted, kind=kind, for_clinic=True, waiting=waiting_for(kind, acted)
                )
        except DomainError as exc:
            error = exc.text()
            if not htmx and action == "reject" and pk is not None and kind in ACTS:
                # the page again, the refused comment kept in its card's box with the reason
                # beside it (a comment retyped on a phone is a comment given up)
                return self._refused_page(request, kind=kind, pk=pk, exc=exc)
        if not htmx:
            if error:
                messages.error(request, error)
            else:
                messages.success(request, outcome)
            return HttpResponseRedirect(back)
        card = None
        if pk is not None:
            card = {
                "reply": reply_card_get,
                "batch": batch_card_get,
                "statement": statement_card_get,
            }.get(kind, statement_card_get)(self.access, pk)
        # htmx swaps the card; a refused action shows the card again with the reason. The
        # navigation's badges and the page's "what waits" line come along (out of band), so
        # no count on the page is left behind by the approval.
        section = _section_of(request.headers.get("HX-Current-URL", ""))
        response = self.render_to_response(
            self.context(
                card=card,
                outcome=outcome,
                error=error,
                action=action,
                comment=request.POST.get("comment", "") if error else "",
                notice=TAKEN_BACK_WORDS if taken_back else "",
                oob=True,
                **{"section": section, **self._lead(section)},
            )
        )
        # the "Waiting for you" banner reloads now (it also polls), as the act closed its items
        response["HX-Trigger"] = "alerts-changed"
        return response

    def _refused_page(self, request, *, kind: str, pk: int, exc: DomainError):
        statements = kind == "statement"
        if statements:
            extra = statements_page(self)
        else:
            # the page acted from (its number was posted with the form), as its link reads it
            at = QueryDict(mutable=True)
            if page := int_param(request.POST, "page"):
                at["page"] = str(page)
            extra = approvals_page(self, SimpleNamespace(GET=at))
        messages.error(request, exc.text())
        response = self.response_class(
            request=request,
            template="portal/statements.html" if statements else "portal/approvals.html",
            context=self.context(
                **extra,
                section="statements" if statements else "approvals",
                kept_reject={
                    "kind": kind,
                    "id": pk,
                    "text": request.POST.get("comment", ""),
                    "problems": exc.fields.get("comment", []),
                    "error": exc.text(),
                },
            ),
        )
        response.status_code = exc.status_code
        return response

    def _lead(self, section: str) -> dict:
        # the lead line counts what waits from `counts` (`portal_counts`, read again for the
        # navigation's badges), without building every card again after each approval
        if section == "approvals":
            return {
                "in_progress": in_progress_counts(self.access),
                "delivered": replies_delivered_recently(),
            }
        if section == "statements":
            return {"in_progress": in_progress_counts(self.access)}
        if section == "review":
            return {"mine": review_mine(self.access)}
        return {}


def _section_of(url: str) -> str:
    """Which portal page an htmx request came from (its HX-Current-URL): one of the pages
    that show approval cards, else ""."""
    path = urlsplit(url).path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    return last if last in ("approvals", "statements", "review") and "/portal/" in path else ""


class PortalIncidentsView(PortalPage):
    """The clinic's incidents: those running, then those resolved (the last resolved first, in
    pages of 20), both filtered by the days they opened (From, To: whole days in the clinic's
    time zone, as the agency's incidents page and the API read them), kept across pages. A
    date it cannot read, a start after the end or a filter it does not have is said at the
    form (400), and nothing is listed."""

    template_name = "portal/incidents.html"
    section = "incidents"
    CLOSED_PER_PAGE = 20

    def get(self, request, *args, **kwargs):
        form = IncidentDaysForm(request.GET)
        if not form.is_valid():
            return self.render_to_response(self.context(form=form), status=400)
        days = form.cleaned_data
        incidents = incidents_open(**days)
        tz = clinic_zone(self.clinic)
        for incident in incidents:  # the trigger in words, as the incident's own page says it
            incident.words = incident_words(incident, tz, clinic_name=self.clinic.name)
        closed = page_get(request, incidents_closed(**days), self.CLOSED_PER_PAGE)
        kept = request.GET.copy()
        kept.pop("page", None)
        return self.render_to_response(
            self.context(
                form=form,
                incidents=incidents,
                closed=closed,
                filtered=any(days.values()),
                query=kept.urlencode(),
            )
        )


class PortalIncidentView(PortalPage):
    """One incident for the clinic; its crisis-team members (and agency staff who may write)
    acknowledge it here."""

    template_name = "portal/incident.html"
    section = "incidents"
    write_permission = Permission.VIEW  # acknowledging is decided by `_may_acknowledge`

    def _may_acknowledge(self) -> bool:
        return self.access.acts_on_incidents

    def get(self, request, incident_id: int, *args, **kwargs):
        incident = incident_for_portal(incident_id)
        if incident is None:
            raise Http404("Not found.")
        # the trigger and the timeline in words, times in the clinic's zone: the statistics
        # stay in the agency's room (the API gives the clinic's people and keys the same lines)
        tz, name = clinic_zone(self.clinic), self.clinic.name
        lines = clinic_incident_lines(incident, self.clinic)
        for line in lines:  # "Opened (critical): …" under "Opened", not "Opened — Opened (…"
            line["title"], line["text"] = clinic_event_words(line)
            line["said"] = after_title(line["title"], line["text"])
        return self.render_to_response(
            self.context(
                incident=incident,
                trigger_words=incident_words(incident, tz, clinic_name=name),
                # the incident it continues, as the agency's room says it, linked to its page here
                follow_up_of=follow_up_of(incident, tz),
                follow_up_url=f"/clinics/{self.clinic.slug}/portal/incidents/"
                f"{incident.continues_id}/",
                events=lines,
                may_acknowledge=self._may_acknowledge(),
                review=review_sent_to_clinic(incident_id),
                # what of it waits for this person's approval, for the clinic's approvers
                waiting=incident_waiting_for_clinic(incident_id)
                if Permission.APPROVE_CLIENT in self.access.permissions
                else None,
            )
        )

    def post(self, request, incident_id: int, *args, **kwargs):
        if incident_for_portal(incident_id) is None:
            raise Http404("Not found.")
        if not self._may_acknowledge():
            raise PermissionDenied("Only the clinic's crisis team acknowledges incidents here.")
        try:
            incident_acknowledge(incident_id=incident_id, actor=request.actor, channel="portal")
            messages.success(request, "Acknowledged. The agency sees it on the timeline.")
        except DomainError as exc:
            messages.error(request, exc.text())
        return HttpResponseRedirect(request.path)


# The timeline's agency words, as a clinic's approver reads them: what happened, not how the
# agency's tools record it ("Mentions linked", "… linked (18 in all)").
CLINIC_EVENT_TITLES = {
    "mentions_added": "More posts about it found",
    "also_detected": "Also found",
}
_LINKED = re.compile(r"\blinked \((\d+) in all\)")


def clinic_event_words(line: dict) -> tuple[str, str]:
    """A timeline line's title and text in the portal's words (`CLINIC_EVENT_TITLES`)."""
    title = CLINIC_EVENT_TITLES.get(line["kind"], line["title"])
    text = line["text"] or ""
    if line["kind"] == "mentions_added":
        text = _LINKED.sub(r"added to this incident (\1 in all)", text)
    elif line["kind"] == "also_detected":
        text = re.sub(r"^Also detected \(([^)]*)\)", r"Also found (\1)", text)
    return title, text


class PortalFollowUpsView(PortalPage):
    """The clinic's private follow-ups: who owns each, until when, where it stands, how it
    ended, and the conversation with the person. The agency writes to the person; one of the
    clinic's own people who owns a follow-up (they call the person back) notes what was said
    and closes it with how it ended, here (the services decide who may)."""

    template_name = "portal/follow_ups.html"
    section = "follow-ups"
    write_permission = Permission.VIEW

    def _page(self, request, *, opened: int | None, status: int = 200, **extra):
        show_all = request.GET.get("show") == "all"
        conversations = list(private_conversations_list(open_only=not show_all)[:100])
        thread = followup_get(opened) if opened else None
        return self.render_to_response(
            self.context(
                conversations=conversations,
                show_all=show_all,
                thread=thread,
                mine=thread is not None and followup_services.is_owner(self.access, thread),
                outcomes=[(v, label) for v, label in PERSON_OUTCOMES if v],
                messages_shown=list(thread.messages.all()) if thread else [],
                counts_fu=followup_counts(),
                **extra,
            ),
            status=status,
        )

    def get(self, request, *args, **kwargs):
        return self._page(request, opened=int_param(request.GET, "open"))

    def post(self, request, *args, **kwargs):
        pk = int_param(request.POST, "conversation")
        action = request.POST.get("action")
        try:
            if pk is None or action not in ("note", "close"):
                raise ValidationFailed("Unknown action.", fields={"action": ["Reload the page."]})
            if action == "note":
                followup_services.followup_note_add(
                    conversation_id=pk,
                    access=self.access,
                    text=request.POST.get("text", ""),
                    from_person=bool(request.POST.get("from_person")),
                )
                messages.success(request, "Noted. The agency sees it in the follow-up.")
            else:
                if not request.POST.get("outcome"):
                    raise ValidationFailed(
                        "Say how it ended.", fields={"outcome": ["Choose an outcome to close it."]}
                    )
                followup_services.followup_update(
                    conversation_id=pk,
                    access=self.access,
                    outcome=request.POST.get("outcome", ""),
                    outcome_note=request.POST.get("outcome_note", ""),
                )
                messages.success(request, "Closed. The agency sees how it ended.")
        except DomainError as exc:
            # the page again, with why and what was typed, and nothing changed
            return self._page(
                request,
                opened=pk,
                status=exc.status_code,
                error=exc.text(),
                kept=request.POST,
            )
        return HttpResponseRedirect(f"{request.path}?open={pk}")


class PortalFactSheetView(PortalPage):
    """The clinic's fact sheet as its agency may quote it, read-only: every confirmed, active
    fact with its source, who confirmed it (the clinic, or the agency for the clinic) and when
    (`facts.selectors.facts_citable`). Everyone of the clinic reads it: the agency's replies
    and statements cite these words in public, and false claims are checked against them."""

    template_name = "portal/fact_sheet.html"
    section = "fact_sheet"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.context(facts=list(facts_citable()), waiting=facts_waiting_for_clinic().count())
        )


class PortalFactsView(PortalPage):
    """The facts the agency asked the clinic to confirm: each statement with its source link;
    the clinic's approvers confirm each one as it reads or say what needs a change (a comment
    is required; the agency is told). The services decide who may (`facts.services.
    clinic_attest_refusal`: the clinic's own approvers, never the agency's staff)."""

    template_name = "portal/facts.html"
    section = "facts"
    write_permission = Permission.VIEW

    def _page(self, *, status: int = 200, **extra):
        facts = list(facts_waiting_for_clinic())
        if error := extra.get("error"):  # shown on its card, or above them all
            error["on_card"] = error["fact"] in {f.pk for f in facts}
        return self.render_to_response(
            self.context(
                facts=facts,
                may_confirm=clinic_attest_refusal(self.access) is None,
                **extra,
            ),
            status=status,
        )

    def get(self, request, *args, **kwargs):
        return self._page()

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        pk = None
        try:
            pk = int_param(request.POST, "fact")
            expected = int_param(request.POST, "expected_version")
            if pk is None or action not in ("confirm", "change"):
                raise ValidationFailed("Unknown action.", fields={"action": ["Reload the page."]})
            if action == "confirm":
                fact = fact_confirm_by_clinic(
                    fact_id=pk, access=self.access, expected_version=expected
                )
                messages.success(
                    request, f"“{fact.title}” confirmed: replies may cite it from now on."
                )
            else:
                fact, _told = fact_change_request(
                    fact_id=pk,
                    access=self.access,
                    comment=request.POST.get("comment", ""),
                    expected_version=expected,
                )
                messages.success(
                    request, f"“{fact.title}” sent back to the agency with your comment."
                )
        except DomainError as exc:
            # the page again with why, what was typed kept, and nothing changed
            return self._page(
                status=exc.status_code,
                error={"fact": pk, "text": exc.text()},
                kept={"fact": pk, "comment": request.POST.get("comment", "")},
            )
        return HttpResponseRedirect(request.path)


class PortalIncidentReviewView(PortalPage):
    """The post-crisis review the agency sent the clinic: the same report as the agency's
    page and its exports, with the PDF to download. Nothing before it is sent (404)."""

    template_name = "portal/incident_review.html"
    section = "incidents"
    write_permission = Permission.REVIEW_QUESTION  # questions or corrections for the agency

    def _page(self, incident_id: int, *, status: int = 200, error=None, kept: str = ""):
        review = review_sent_to_clinic(incident_id)
        if review is None:
            raise Http404("Not found.")
        questions = review_questions(review)
        if self.request.user.is_authenticated:
            user = self.request.user
            notification_read(user=user, clinic=self.clinic, ref=f"postcrisis:{incident_id}")
            for question in questions:
                if question.asked_by_id == user.pk and question.answered_at is not None:
                    notification_read(
                        user=user, clinic=self.clinic, ref=f"reviewq:{question.pk}:answer"
                    )
        response = self.render_to_response(
            self.context(
                **review_context(review, self.clinic),
                questions=questions,
                can_ask=self.access.can(Permission.REVIEW_QUESTION),
                question_max=MAX_QUESTION,
                question_error=error,
                question_kept=kept,
            )
        )
        response.status_code = status
        return response

    def get(self, request, incident_id: int, *args, **kwargs):
        return self._page(incident_id)

    def post(self, request, incident_id: int, *args, **kwargs):
        """Questions or corrections for the agency, kept with the review."""
        text = request.POST.get("text", "")
        try:
            review_question_ask(
                incident_id=incident_id, clinic=self.clinic, actor=request.actor, text=text
            )
        except NotFound:
            raise Http404("Not found.") from None
        except DomainError as exc:
            # the page again with why, what was typed kept, and nothing stored
            return self._page(incident_id, status=exc.status_code, error=exc, kept=text)
        messages.success(
            request,
            f"Sent to {brand_name(self.clinic.agency)}: you are told here and by e-mail when "
            "they answer.",
        )
        return HttpResponseRedirect(request.path)


class PortalIncidentReviewPdfView(ClinicView):
    """The sent review as its tagged PDF."""

    staff_page = False

    def get(self, request, incident_id: int, *args, **kwargs):
        review = review_sent_to_clinic(incident_id)
        if review is None:
            raise Http404("Not found.")
        response = HttpResponse(review_pdf(review, self.clinic), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="incident-{incident_id}-review.pdf"'
        )
        return response


class PortalNotificationsView(PortalPage):
    """What this person was told about the clinic in the last 60 days: each message, when,
    how (here, by e-mail in the hourly digest), and whether it still waits for them."""

    template_name = "portal/notifications.html"
    section = "notifications"
    write_permission = Permission.VIEW

    def get(self, request, *args, **kwargs):
        user = request.user
        staff = user_is_agency_staff(user)
        notices = notifications_history(user, self.clinic)
        # a done notice says who handled it (another of the clinic's legal people, say)
        handled = notices_handled(notices, user=user, clinic=self.clinic)
        # a notice about an incident says where the incident stands now (its alert closes
        # once acknowledged, while the incident is still open)
        incidents = incident_states_words({incident_id_of_ref(n.ref) for n in notices} - {None})
        rows = [
            {
                "n": n,
                "url": notification_url(n, staff=staff),
                "handled": handled.get(n.pk),
                "incident": incidents.get(incident_id_of_ref(n.ref)),
                # open in the banner until read, yet asks nothing of them (the report)
                "info": n.kind in INFORMATION_KINDS,
            }
            for n in notices
        ]
        pref = preferences_for([user])[user.pk]
        return self.render_to_response(
            self.context(
                rows=rows,
                days=NOTIFICATION_HISTORY_DAYS,
                choices=history_words(pref, email_groups_offered(user)),
                # the agency's staff have their own history, of every clinic, on its pages
                staff_history_url=STAFF_NOTIFICATION_HISTORY_URL if staff else "",
            )
        )


class PortalNotificationSettingsView(PortalPage):
    """The person's own notification choices in the portal, with its brand (the same form and
    rule as the account page's, `clinics.views.NotificationPreferenceView`): they are the
    person's, whichever clinic they open it from, and any of the clinic's people may save
    theirs. Personal, so it works on a deactivated clinic too (its staff still read it)."""

    template_name = "portal/notification_settings.html"
    section = "notifications"
    write_permission = Permission.VIEW
    allowed_when_deactivated = True

    def _form(self, data=None):
        user = self.request.user
        groups = email_groups_offered(user)
        agency = self.clinic.agency
        product = agency.name if self.access.is_agency_staff else agency.display_name
        return NotificationPreferenceForm(
            data,
            initial=NotificationPreferenceForm.initial_for(
                preferences_for([user])[user.pk], groups
            ),
            product=product or agency.name,
            groups=groups,
            staff=self.access.is_agency_staff,
        )

    def _history_url(self) -> str:
        if self.access.is_agency_staff:
            return STAFF_NOTIFICATION_HISTORY_URL
        return f"/clinics/{self.clinic.slug}/portal/notifications/"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.context(form=self._form(), history_url=self._history_url())
        )

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.save_for(request.user):
            messages.success(request, "Notification settings saved.")
            return HttpResponseRedirect(request.path)
        response = self.render_to_response(self.context(form=form, history_url=self._history_url()))
        response.status_code = 400
        return response


class PortalReportView(PortalPage):
    """The monthly report with charts (static/portal/report.js draws them with Chart.js from
    the JSON in the page; the same numbers are in tables). Without `?month=` it opens on the
    last complete month, as the staff tab does (the month in progress for a clinic created in
    it); the month in progress is one labelled link away."""

    template_name = "portal/report.html"
    section = "report"

    def get(self, request, *args, **kwargs):
        tz = ZoneInfo(self.clinic.timezone or "UTC")
        months = report_months(self.clinic)
        try:
            asked = month_query(request.GET)
            month = month_parse(asked, tz=tz)
        except ValidationFailed as exc:
            response = self.render_to_response(
                self.context(
                    month_error=exc.text(),
                    month_value=request.GET.get("month"),
                    month_picker=months.picker(),
                )
            )
            response.status_code = 400
            return response
        if not asked:
            month = months.default
        report = monthly_report(clinic=self.clinic, month=month)
        if request.user.is_authenticated:
            # "Your report for November 2026 is ready" leaves the person's banner
            notification_read(user=request.user, clinic=self.clinic, ref=report_ref(month))
        return self.render_to_response(
            self.context(
                report=report,
                comparison=report_comparison(report),
                month_value=report["month"],
                month_picker=months.picker(month),
                history_notice=history_notice(
                    months,
                    month,
                    clinic_name=self.clinic.name,
                    brand=brand_name(self.clinic.agency),
                ),
                current_month=f"{months.current:%Y-%m}",
                last_month=f"{months.last_complete:%Y-%m}",
                pdf_url=f"/clinics/{self.clinic.slug}/portal/report.pdf?month={report['month']}",
            )
        )


class PortalApprovalsLogView(PortalPage):
    """The clinic's approvals log, as the agency's page has it (`responses.views_approvals_log`):
    who approved what, when, at which step, what was sent back or overridden and why, for the
    clinic's approvers and its legal and clinician people; every decision on what reached the
    clinic and on its own steps (`responses.selectors.approvals_log`), filtered, with the CSV
    file."""

    template_name = "portal/approvals_log.html"
    section = "approvals-log"
    permission = Permission.APPROVALS_LOG

    def get(self, request, *args, **kwargs):
        context = approvals_log_page(self, request, for_clinic=True)
        if not isinstance(context, dict):
            return context  # the CSV file
        status = context.pop("status")
        return self.render_to_response(self.context(**context), status=status)


class PortalPrivacyRequestsView(PortalPage):
    """The privacy requests the agency carried out for the clinic's items, read-only, newest
    first: when, the reference, the items covered, what was done, what is still to do and
    the receipt of the clinic's part (`feeds.services.privacy.privacy_requests_for_clinic`:
    nothing of the agency's other clinics). For the clinic's approvers and legal people
    (`Permission.PRIVACY_REQUESTS`), who are told when one is carried out."""

    template_name = "portal/privacy_requests.html"
    section = "privacy"
    permission = Permission.PRIVACY_REQUESTS

    def get(self, request, *args, **kwargs):
        requests = privacy_requests_for_clinic(self.clinic)
        return self.render_to_response(self.context(requests=requests))


class PortalBannerView(PortalPage):
    """The banner's contents, polled by every portal page (`portal/_alert_region.html`): the
    incident alerts and what waits for this person in this clinic, counted as the page's
    Overview and tabs count it (an HTML fragment)."""

    template_name = "portal/_banner.html"
    write_permission = Permission.VIEW

    def get(self, request, *args, **kwargs):
        response = self.render_to_response(self.context())
        response["Cache-Control"] = "no-store"
        return response


class PortalBrandCssView(ClinicView):
    """The agency's colours for the portal, contrast-checked (see `portal.branding`)."""

    staff_page = False

    def get(self, request, *args, **kwargs):
        palette = brand_palette(self.clinic.agency.primary_colour)
        css = (
            f":root{{--brand:{palette['brand']};--on-brand:{palette['on_brand']};"
            f"--brand-text:{palette['brand_text']}}}\n"
        )
        response = HttpResponse(css, content_type="text/css")
        response["Cache-Control"] = "private, max-age=300"
        return response
