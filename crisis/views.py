"""Crisis pages: the incident list, the incident room, the post-crisis review, the response
plan. Forms post back to the page; the services decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.generic.base import TemplateResponseMixin

from agency.forms import apply_domain_errors
from clinics.models import CrisisRole, clinic_zone
from clinics.views import SettingsView
from core.days import date_ranges_reversed
from core.errors import Conflict, DomainError, NotFound
from core.http import ParamRefused, int_param, positive_int
from core.paging import page_get
from core.permissions import Permission
from core.views import ClinicView
from crisis.apis import IncidentFilterSerializer
from crisis.export import review_context
from crisis.forms import ThresholdsForm
from crisis.models import (
    ACTIVE_STATUSES,
    IncidentKind,
    IncidentStatus,
    PostCrisisReview,
    ResponsePlanVersion,
    Severity,
)
from crisis.room import control_room, follow_up_of, local, mentions_ranked
from crisis.selectors import (
    baseline_words,
    channels_down,
    crisis_team,
    detector_settings_get,
    incident_claims,
    incident_counts,
    incident_get,
    incident_mention_count,
    incident_mentions_shown,
    incident_statements,
    incidents_filtered,
    people_assignable,
    people_eligible,
    resolve_checklist,
    resolve_override_of,
    response_plan_current,
    statements_answering_claims,
)
from crisis.services import (
    TRANSITIONS,
    detector_settings_update,
    incident_acknowledge,
    incident_assign,
    incident_note_add,
    incident_resolve,
    incident_statement_draft,
    incident_status_set,
    incident_team_set,
    response_plan_save,
    review_apply_to_plan,
    review_for_incident,
    review_send,
    review_update,
)
from crisis.services.review_questions import (
    MAX_ANSWER,
    review_question_answer,
    review_questions,
)
from crisis.services.reviews import portal_review_url
from crisis.timeline import room_timeline
from inbox.selectors import answer_menus
from responses.selectors import (
    deliveries_of,
    delivery_rows,
    delivery_words,
    private_conversations_list,
    reply_batches_for_clusters,
)

SEVERITY_PILL = {"low": "positive", "medium": "neutral", "high": "negative", "critical": "negative"}


@dataclass(frozen=True)
class RoomForm:
    """Where the incident room answers one of its forms. On a phone the room is many screens
    long, and the browser restores the scroll: an answer at the top of the page is out of
    sight of a form further down.

    `fields`: what the form sends, each with the id of its element on the page. A refusal of
    a form that has fields is said in the form, with what was typed back in them, and the
    element of the field refused (else of `focus`) takes the focus, so the browser scrolls to
    it. A form without fields (a button) is answered like a confirmation.
    `section`: where a confirmation is said: the id of the section's heading, which the
    redirect opens, said there only (`base.html` leaves messages tagged "in-place" to the
    page); "" is the top of the page."""

    fields: dict[str, str] = field(default_factory=dict)
    focus: str = ""
    section: str = ""


# Every form of the room, by its `action`.
ROOM_FORMS = {
    "acknowledge": RoomForm(),
    "status": RoomForm(
        fields={"status": "new-status", "message": "status-message"}, focus="message"
    ),
    "resolve": RoomForm(fields={"override_reason": "override-reason"}, focus="override_reason"),
    "note": RoomForm(
        fields={"message": "note", "shared_with_clinic": "note-shared"}, focus="message"
    ),
    "statement": RoomForm(fields={"title": "st-title", "body": "st-body"}, focus="body"),
    "assign_all": RoomForm(
        fields={f"role_{role}": f"assign-{role}" for role in CrisisRole.values},
        focus=f"role_{CrisisRole.values[0]}",
        section="team-h",
    ),
    "assign": RoomForm(),  # one role, by its id: no form of the room's own sends it any more
}


def _form_error(request, exc: DomainError, *, extra_tags: str = "") -> None:
    """The refusal in words: what went wrong and each field's message, without field names
    ("override_reason: …" read as a code to the person)."""
    messages.error(request, exc.text(), extra_tags=extra_tags)


def _said_at(action: str) -> str:
    """The message tags of a confirmation said at its form's section ("" at the top)."""
    form = ROOM_FORMS.get(action)
    return f"in-place at-{form.section}" if form and form.section else ""


def _playbook_links(steps: list[dict], incident, clinic, *, claims: bool, has_review: bool):
    """Each open step of the room's playbook leads to where it is done (`href`): on a phone the
    room is many screens long, and the playbook is what says what to do next."""
    where = {
        "acknowledged": "#acknowledge",
        "team": "#team-h",
        "answered": "#claims-h" if claims else "#mentions-h",
        "private": "#mentions-h",
        "statement_drafted": "#statement-h",
        "statement_published": "#statement-h",
    }
    if has_review:
        where["review"] = f"/clinics/{clinic.slug}/incidents/{incident.pk}/review/#edit-h"
    for step in steps:
        step["href"] = "" if step["done"] else where.get(step["key"], "")


def _team_form(team: list[dict], clinic, refused_form: dict | None) -> list[dict]:
    """The team form's roles, each with the people who can take it and the one selected: the
    person assigned, or after a refusal the one chosen (`refused_form`, kept as typed)."""
    refused = refused_form if refused_form and refused_form["form"] == "assign_all" else None
    roles = []
    for role in team:
        element = f"assign-{role['value']}"
        selected = role["assignment"].user_id if role["assignment"] else None
        if refused:
            chosen = refused["kept"].get(f"role_{role['value']}", "").strip()
            selected = int(chosen) if chosen.isdigit() else None
        roles.append(
            {
                **role,
                "eligible": people_eligible(clinic, role["value"]),
                "selected": selected,
                "focus": bool(refused) and refused["focus"] == element,
                "refused": bool(refused) and element in refused["invalid"],
            }
        )
    return roles


# The incident list's filters are the API's (`IncidentFilterSerializer`); its address may carry
# them and the page. A filter it cannot read lists nothing, named by its label.
INCIDENT_LIST_PARAMS_OTHER = ("page",)
INCIDENT_FILTER_WORDS = {
    "status": "Status", "kind": "Kind", "severity": "Severity", "opened_from": "From",
    "opened_to": "To",
}  # fmt: skip
UNKNOWN_FILTER = "The incident list has no such filter."
INCIDENTS_PER_PAGE = 50


class IncidentListView(TemplateResponseMixin, ClinicView):
    """The clinic's incidents, newest first, in pages of 50: filtered by status, kind,
    severity and the days they opened (whole days in the clinic's time zone, as the API reads
    them)."""

    template_name = "crisis/incidents.html"
    portal_path = "portal/incidents/"

    def get(self, request, *args, **kwargs):
        given = {
            k: v
            for k, v in request.GET.items()
            if v not in ("", None) and k not in INCIDENT_LIST_PARAMS_OTHER
        }
        filters = IncidentFilterSerializer(data=given)
        errors = {} if filters.is_valid() else {k: list(v) for k, v in filters.errors.items()}
        # From after To lists nothing: said on the To field, as the API says it
        errors.update(
            date_ranges_reversed(IncidentFilterSerializer, filters.validated_data, errors=errors)
        )
        # a misspelt or unknown filter is named, never dropped while the rest is listed
        known = {*filters.fields, *INCIDENT_LIST_PARAMS_OTHER}
        errors.update({name: [UNKNOWN_FILTER] for name in request.GET if name not in known})
        page = None
        if not errors:
            incidents = incidents_filtered(**filters.validated_data)
            page = page_get(request, incidents, INCIDENTS_PER_PAGE)
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "page": page,
                "counts": incident_counts(),
                "statuses": IncidentStatus.choices,
                "kinds": IncidentKind.choices,
                "severities": Severity.choices,
                "filters": request.GET,
                "filtered": bool(given),
                "filter_errors": [
                    (INCIDENT_FILTER_WORDS.get(k, k), " ".join(map(str, v)))
                    for k, v in errors.items()
                ],
                # each said at its field too (the end before the start: on To)
                "field_errors": {k: [str(m) for m in v] for k, v in errors.items()},
                "query": query.urlencode(),
                "pill": SEVERITY_PILL,
            },
            status=400 if errors else 200,
        )


# The room's "Show older" link: where the page before ends, signed (a made-up one is a 400).
OLDER_PARAM = "older"
_OLDER_SALT = "crisis.room.older"
OLDER_REFUSED = "That link to older timeline lines is not one Carewatch made: the latest are shown."


def older_token(since: datetime) -> str:
    return signing.dumps(since.isoformat(), salt=_OLDER_SALT)


def older_read(raw: str) -> datetime:
    """The instant an `older` link pages back from; ValueError for one Carewatch did not make."""
    try:
        return datetime.fromisoformat(signing.loads(raw, salt=_OLDER_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise ValueError(OLDER_REFUSED) from None


class IncidentRoomView(TemplateResponseMixin, ClinicView):
    """One incident: what triggered it, the timeline, the team, the linked mentions; the
    acknowledge button, status changes, notes and assignees."""

    template_name = "crisis/incident_room.html"
    portal_path = "portal/incidents/{incident_id}/"

    def get(
        self,
        request,
        incident_id: int,
        *args,
        statement_kept: dict | None = None,
        refused_form: dict | None = None,
        **kwargs,
    ):
        """The room; `statement_kept`: the title and text of a statement draft that was
        refused, back in its form; `refused_form`: the form a refusal came from ("form": its
        action, "message": why, "kept": what was typed), said in that form, which takes the
        focus (on a phone the room is many screens long: a message at its top is out of
        sight of the form)."""
        incident = incident_get(incident_id)
        if incident is None:
            raise Http404("Not found.")
        before, refused = None, ""
        if raw := request.GET.get(OLDER_PARAM):
            try:
                before = older_read(raw)
            except ValueError as exc:
                refused = str(exc)
        mentions = mentions_ranked(incident_mentions_shown(incident))
        followups: dict = {}
        for conversation in private_conversations_list(
            review_ids=[row["review"].pk for row in mentions]
        ):
            followups.setdefault(conversation.review_id, conversation)  # the newest
        for row in mentions:
            row["followup"] = followups.get(row["review"].pk)
        claims = incident_claims(incident)
        answered = reply_batches_for_clusters([c.pk for c in claims])
        plan = response_plan_current()
        room = control_room(incident, self.clinic, plan_text=plan.text if plan else None)
        checklist = resolve_checklist(incident)
        for item in checklist["items"]:
            if item.get("evaluated_at"):
                item["evaluated"] = datetime.fromisoformat(item["evaluated_at"])
        timeline = room_timeline(incident, self.clinic, before=before)
        query = request.GET.copy()  # the link keeps whatever else the address carries
        if timeline.since is not None:
            query[OLDER_PARAM] = older_token(timeline.since)
        older_url = f"{request.path}?{query.urlencode()}" if timeline.since else ""
        query.pop(OLDER_PARAM, None)
        latest_url = f"{request.path}?{query.urlencode()}" if query else request.path
        menus = answer_menus(claims)
        for claim in claims:  # "Answer all" answers the incident's mentions, not the claim's
            claim.unanswered = len(claim.answer_ids)
        has_review = PostCrisisReview.objects.filter(incident=incident).exists()
        _playbook_links(room["playbook"], incident, self.clinic, claims=bool(claims),
                        has_review=has_review)  # fmt: skip
        return self.render_to_response(
            {
                "room": room,
                "clinic": self.clinic,
                "incident": incident,
                # one timeline: the incident's events and what was done for it (replies, approvals,
                # statements, the guard, who was told), as the post-crisis review has it; the
                # latest lines, "Show older" pages back (`room_timeline`)
                "timeline": [
                    {**line, "moment": datetime.fromisoformat(line["at"])}
                    for line in timeline.lines
                ],
                "timeline_older": timeline.older,
                "timeline_older_url": older_url,
                "timeline_latest_url": latest_url if before is not None else "",
                "timeline_refused": refused,
                "mentions": mentions,
                "mention_count": incident_mention_count(incident),
                "team": crisis_team(self.clinic),
                "roles": _team_form(room["team"], self.clinic, refused_form),
                "people": people_assignable(self.clinic)
                if self.access.can(Permission.WRITE)
                else [],
                "next_statuses": [
                    (s, IncidentStatus(s).label) for s in TRANSITIONS[incident.status]
                ],
                "status_options": [
                    (s, IncidentStatus(s).label)
                    for s in TRANSITIONS[incident.status]
                    if s != IncidentStatus.RESOLVED  # resolving has its own form: the checklist
                ],
                "can_write": self.access.can(Permission.WRITE),
                "has_review": has_review,
                "statements": [
                    (s, delivery_words(delivery_rows(s.outbox_items.all(), access=self.access)))
                    for s in incident_statements(incident)
                ],
                "pill": SEVERITY_PILL.get(incident.severity, "neutral"),
                "claims": [(c, answered.get(c.pk, [])) for c in claims],
                "claim_statements": statements_answering_claims(incident),
                "followed_by": list(incident.followed_by.order_by("opened_at", "id")),
                "follow_up_of": follow_up_of(incident, room["tz"]),
                "follow_up_url": f"/clinics/{self.clinic.slug}/incidents/{incident.continues_id}/",
                **menus,
                "answer_url": f"/clinics/{self.clinic.slug}/replies/batches/new/",
                "checklist": checklist,
                "deliveries": deliveries_of(
                    review_ids=list(incident.links.values_list("review_id", flat=True)),
                    statement_ids=list(
                        incident.statement_links.values_list("statement_id", flat=True)
                    ),
                    access=self.access,
                ),
                "resolved_anyway": resolve_override_of(incident),
                "outbox_url": f"/clinics/{self.clinic.slug}/outbox/",
                # while it runs: a channel turned off months after is no news of this crisis
                "channels_down": channels_down(incident)
                if incident.status in ACTIVE_STATUSES
                else [],
                "can_manage": self.access.can(Permission.MANAGE),
                "statement_kept": statement_kept,
                "refused_form": refused_form or {},
            },
            status=400 if refused else 200,
        )

    def post(self, request, incident_id: int, *args, **kwargs):
        if incident_get(incident_id) is None:
            raise Http404("Not found.")
        actor = request.actor
        action = request.POST.get("action", "")
        try:
            if action == "acknowledge":
                incident_acknowledge(incident_id=incident_id, actor=actor)
                messages.success(request, "Acknowledged.", extra_tags=_said_at(action))
            elif action == "status":
                incident_status_set(
                    incident_id=incident_id,
                    status=request.POST.get("status", ""),
                    message=request.POST.get("message", ""),
                    actor=actor,
                )
                messages.success(request, "Status changed.", extra_tags=_said_at(action))
            elif action == "resolve":
                incident_resolve(
                    incident_id=incident_id,
                    actor=actor,
                    override_reason=request.POST.get("override_reason", ""),
                )
                messages.success(
                    request,
                    "Resolved. The post-crisis review is drafted.",
                    extra_tags=_said_at(action),
                )
            elif action == "note":
                shared = request.POST.get("shared_with_clinic") == "on"
                incident_note_add(
                    incident_id=incident_id,
                    message=request.POST.get("message", ""),
                    shared_with_clinic=shared,
                    actor=actor,
                )
                messages.success(
                    request,
                    "Note added and shared with the clinic: it reads it in its portal."
                    if shared
                    else "Note added, for the agency only.",
                    extra_tags=_said_at(action),
                )
            elif action == "statement":
                statement = incident_statement_draft(
                    incident_id=incident_id,
                    access=self.access,
                    title=request.POST.get("title", ""),
                    body=request.POST.get("body", ""),
                )
                return HttpResponseRedirect(
                    f"/clinics/{self.clinic.slug}/statements/{statement.pk}/"
                )
            elif action == "assign_all":
                roles = {}
                for value in CrisisRole.values:  # blank: nobody
                    roles[value] = int_param(request.POST, f"role_{value}")
                changed = incident_team_set(
                    incident_id=incident_id, clinic=self.clinic, roles=roles, actor=actor
                )
                messages.success(
                    request,
                    f"Team saved: {len(changed)} role(s) changed, the people assigned are told."
                    if changed
                    else "Team unchanged.",
                    extra_tags=_said_at(action),
                )
            elif action == "assign":
                incident_assign(
                    incident_id=incident_id,
                    clinic=self.clinic,
                    role=request.POST.get("role", ""),
                    user_id=int_param(request.POST, "user_id"),  # blank: nobody
                    actor=actor,
                )
                messages.success(request, "Assignment saved.", extra_tags=_said_at(action))
            else:
                messages.error(request, "Unknown action.")
        except ParamRefused:
            raise  # an id that is not a number: a 400 naming the field, nothing done
        except DomainError as exc:
            form = ROOM_FORMS.get(action)
            if form and form.fields:
                # said in the form it came from, with what was typed: never lost
                return self._refused(request, incident_id, action, form, exc)
            _form_error(request, exc, extra_tags=_said_at(action))
        form = ROOM_FORMS.get(action)
        if form and form.section:
            return HttpResponseRedirect(f"{request.path}#{form.section}")
        return HttpResponseRedirect(request.path)

    def _refused(self, request, incident_id: int, action: str, form: RoomForm, exc: DomainError):
        """The room again, its form `action` saying why it was refused, with what was typed;
        the field refused (else the form's `focus`) takes the focus."""
        kept = {name: request.POST.get(name, "") for name in form.fields}
        refused = [name for name in exc.fields if name in form.fields]
        refused_form = {
            "form": action,
            "message": exc.text(),
            "kept": kept,
            "focus": form.fields[refused[0] if refused else form.focus],
            "invalid": [form.fields[name] for name in refused],
        }
        response = self.get(
            request,
            incident_id,
            statement_kept=kept if action == "statement" else None,
            refused_form=refused_form,
        )
        response.status_code = exc.status_code
        return response


class IncidentReviewView(TemplateResponseMixin, ClinicView):
    """The post-crisis review as the client will read it (the same report as the exports),
    its timeline keeping the agency's drafts the clinic never saw, marked internal; lessons
    and prevention steps are edited here, and the review is sent to the clinic."""

    template_name = "crisis/review.html"
    portal_path = "portal/incidents/{incident_id}/review/"

    def _review(self, incident_id: int) -> PostCrisisReview:
        try:
            return review_for_incident(incident_id)
        except NotFound:
            raise Http404("No such incident.") from None

    def get(self, request, incident_id: int, *args, **kwargs):
        try:
            review = self._review(incident_id)
        except Conflict as exc:
            response = TemplateResponse(
                request,
                "crisis/review_not_yet.html",
                {"clinic": self.clinic, "incident_id": incident_id, "message": exc.detail},
                status=409,
            )
            return response
        return self.render_to_response(
            {
                # the agency's copy: the clinic's document, with the agency's drafts the
                # clinic never saw kept on its timeline, marked internal
                **review_context(review, self.clinic, for_clinic=False),
                "can_write": self.access.can(Permission.WRITE),
                "api": f"/clinics/{self.clinic.slug}/api/v1/incidents/{incident_id}/review/",
                "portal_url": portal_review_url(self.clinic, incident_id),
                "questions": review_questions(review),
                "answer_max": MAX_ANSWER,
            }
        )

    def post(self, request, incident_id: int, *args, **kwargs):
        actor = request.actor
        try:
            self._review(incident_id)
            action = request.POST.get("action")
            if action == "apply_plan":
                # what was typed is saved first: the steps added are the ones on the screen
                if "prevention" in request.POST:
                    review_update(
                        incident_id=incident_id,
                        actor=actor,
                        lessons=request.POST.get("lessons"),
                        prevention=request.POST.get("prevention"),
                    )
                version = review_apply_to_plan(incident_id=incident_id, actor=actor)
                messages.success(request, f"Response plan updated to version {version.version}.")
            elif action == "answer":
                review_question_answer(
                    incident_id=incident_id,
                    question_id=positive_int(request.POST.get("question")) or 0,
                    clinic=self.clinic,
                    actor=actor,
                    answer=request.POST.get("answer", ""),
                )
                messages.success(request, "Answer sent: the clinic reads it in its portal.")
            elif action == "send":
                review = review_send(incident_id=incident_id, clinic=self.clinic, actor=actor)
                messages.success(
                    request,
                    "Sent to the clinic: its people are told and read it in their portal "
                    f"(sent {local(review.sent_at, clinic_zone(self.clinic))}).",
                )
            else:
                review_update(
                    incident_id=incident_id,
                    actor=actor,
                    lessons=request.POST.get("lessons"),
                    prevention=request.POST.get("prevention"),
                )
                messages.success(request, "Review saved.")
        except DomainError as exc:
            _form_error(request, exc)
        return HttpResponseRedirect(request.path)


class ResponsePlanView(TemplateResponseMixin, ClinicView):
    template_name = "crisis/response_plan.html"

    def get(self, request, *args, **kwargs):
        shown = None
        wanted = positive_int(request.GET.get("version"))
        if wanted:
            shown = ResponsePlanVersion.objects.filter(version=wanted).first()
        current = response_plan_current()
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "current": current,
                "shown": shown or current,
                "versions": ResponsePlanVersion.objects.order_by("-version"),
                "can_write": self.access.can(Permission.WRITE),
            }
        )

    def post(self, request, *args, **kwargs):
        try:
            before = response_plan_current()
            version = response_plan_save(
                text=request.POST.get("text", ""),
                note=request.POST.get("note", ""),
                actor=request.actor,
            )
            if before is not None and version.pk == before.pk:
                messages.info(
                    request, f"Nothing changed: the plan is the same as version {version.version}."
                )
            else:
                messages.success(request, f"Saved as version {version.version}.")
        except DomainError as exc:
            _form_error(request, exc)
        return HttpResponseRedirect(request.path)


class ClinicThresholdsView(SettingsView):
    """The crisis detectors' thresholds for this clinic."""

    template_name = "crisis/settings_thresholds.html"
    section = "thresholds"

    def get(self, request, *args, **kwargs):
        return self.render(form=ThresholdsForm(instance=detector_settings_get()))

    def render(self, status: int = 200, **context):
        form = context["form"]
        groups = [
            (
                "All detectors",
                "",
                ("enabled", "baseline_days", "escalation_minutes", "new_wave_hours"),
            ),
            (
                "Response targets",
                "",
                tuple(f for f in form.fields if f.endswith("_target_minutes")),
            ),
            ("Surge of negative mentions", "surge_", ()),
            ("Rating drop", "rating_", ()),
            ("Viral post", "viral_", ()),
            ("Misinformation", "misinformation_", ()),
            ("Watch words", "watch_", ()),
        ]
        placed, context["groups"] = set(), []
        for title, prefix, names in groups:
            names = names or [f for f in form.fields if f.startswith(prefix)]
            placed.update(names)
            context["groups"].append((title, [form[n] for n in names]))
        # every field is on the page: one left out would post empty and fail as required
        if left := [form[n] for n in form.fields if n not in placed]:
            context["groups"].append(("Other", left))
        context["baseline"] = baseline_words(
            baseline_days=detector_settings_get().baseline_days,
            now=timezone.now(),
            tz=self.clinic.timezone,
        )
        return super().render(status, **context)

    def post(self, request, *args, **kwargs):
        self.staff_only()
        form = ThresholdsForm(request.POST, instance=detector_settings_get())
        if form.is_valid():
            try:
                detector_settings_update(actor=request.actor, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Detector thresholds saved.")
                return HttpResponseRedirect(request.path)
        return self.render(400, form=form)
