"""Post-crisis reviews, the clinic's response plan and detector settings."""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.actors import Actor
from clinics.history import settings_changed
from clinics.models import Clinic, clinic_zone
from clinics.notifications import notifications_close, people_notify
from clinics.selectors import clinic_people
from core.errors import Conflict, NotFound, ValidationFailed
from core.settings_history import Setting, SettingArea
from core.tenancy import current_clinic
from crisis.metrics import review_metrics
from crisis.models import (
    ACTIVE_STATUSES,
    THRESHOLD_WORDS,
    DetectorSettings,
    EventKind,
    Incident,
    PostCrisisReview,
    ResponsePlanVersion,
)
from crisis.services.common import LOCK_PLAN, event_add, schema_lock

MAX_TEXT = 50_000


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def review_draft(*, incident: Incident, now: datetime | None = None) -> PostCrisisReview:
    """Draft (once) the post-crisis review of a resolved incident, with its metrics as of now."""
    now = now or timezone.now()
    metrics = review_metrics(incident, now=now)
    review, created = PostCrisisReview.objects.get_or_create(
        incident=incident, defaults={"metrics": metrics}
    )
    if not created:
        review.metrics = metrics
        review.save(update_fields=["metrics", "updated_at"])
    share = metrics["answered_share"]
    first = metrics.get("first_public_response")
    response = (
        f"first public response {_minutes(metrics['time_to_first_public_response_seconds'])} "
        f"after the alert ({'the statement' if first['kind'] == 'statement' else 'a reply'})"
        if first
        else "no public response"
    )
    event_add(
        incident=incident,
        kind=EventKind.REVIEW_DRAFTED,
        message="Post-crisis review drafted: "
        + (
            "not acknowledged before it was resolved"
            if metrics["acknowledged_by_resolving"]
            else f"acknowledged in {_minutes(metrics['time_to_acknowledge_seconds'])}"
        )
        + f", {response}, "
        + (
            f"{share:.0%} of {metrics['negative_linked']} negative mentions answered."
            if share is not None
            else "no negative mentions linked."
        ),
        data={k: metrics[k] for k in ("time_to_acknowledge_seconds", "answered_share")},
        at=now,
    )
    return review


def review_freeze(*, incident: Incident, now: datetime | None = None) -> PostCrisisReview:
    """The figures as they stand now, kept from here on (the incident is marked reviewed). A
    review already sent keeps the figures the clinic received."""
    now = now or timezone.now()
    review = PostCrisisReview.objects.filter(incident=incident).first() or review_draft(
        incident=incident, now=now
    )
    if review.sent_at is not None and review.metrics_frozen_at is not None:
        return review
    review.metrics = review_metrics(incident, now=now)
    review.metrics_frozen_at = now
    review.save(update_fields=["metrics", "metrics_frozen_at", "updated_at"])
    return review


def after_period_unfinished(metrics: dict) -> bool:
    """The figures were taken before the "after" period had passed."""
    return (metrics or {}).get("windows", {}).get("after", {}).get("state") == "in_progress"


def after_period_end(metrics: dict) -> datetime | None:
    end = (metrics or {}).get("windows", {}).get("after", {}).get("full_end")
    return datetime.fromisoformat(end) if end else None


def review_metrics_current(review: PostCrisisReview) -> dict:
    """Frozen metrics once the incident is reviewed; until then, as of now (the "after"
    window fills in as time passes)."""
    if review.metrics_frozen_at is not None:
        if "onset_at" in (review.metrics or {}):
            return review.metrics
        # frozen before reviews were measured from the onset: as they stood at freezing
        return review_metrics(review.incident, now=review.metrics_frozen_at)
    return review_metrics(review.incident)


def _review_of(incident_id: int, *, lock: bool = False) -> PostCrisisReview:
    qs = PostCrisisReview.objects.select_related("incident")
    if lock:
        qs = qs.select_for_update()
    review = qs.filter(incident_id=incident_id).first()
    if review is None:
        raise NotFound("This incident has no review yet: it is drafted when it is resolved.")
    return review


def review_for_incident(incident_id: int) -> PostCrisisReview:
    """The review of an incident: `NotFound` for an unknown incident, `Conflict`
    (`not_resolved`) while it is still running. A resolved incident without one (resolved
    before reviews were drafted) gets it drafted now."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise NotFound("No such incident.")
    if incident.status in ACTIVE_STATUSES or incident.resolved_at is None:
        raise Conflict(
            f"Incident #{incident.pk} is not resolved yet ({incident.get_status_display()}): its "
            "post-crisis review is drafted when it is resolved.",
            code="not_resolved",
        )
    review = PostCrisisReview.objects.select_related("incident").filter(incident=incident).first()
    if review is None:
        with transaction.atomic():
            review = review_draft(incident=incident)
    return review


def portal_review_url(clinic: Clinic, incident_id: int) -> str:
    return f"/clinics/{clinic.slug}/portal/incidents/{incident_id}/review/"


def review_send(*, incident_id: int, clinic: Clinic, actor: Actor) -> PostCrisisReview:
    """Send the review to the clinic: from now on the clinic's people read it (and download
    its PDF) in the portal, and each is told in-app and by e-mail, as they chose. Its figures
    are frozen at the first sending (unless the incident was marked reviewed before), and the
    document says so when its "after" period had not passed then. Sending again (after an
    edit) tells them again; once that "after" period has passed, sending again takes the
    figures anew with the whole of it (the clinic is told, so nothing changes under them).
    Refused (400 `no_recipients`) when the clinic has nobody to tell."""
    people = clinic_people(clinic)
    if not people:
        raise ValidationFailed(
            "The clinic has nobody to send it to: add its people first.",
            code="no_recipients",
            fields={"recipients": ["No active clinic people."]},
        )
    with transaction.atomic():
        review = review_for_incident(incident_id)
        review = (
            PostCrisisReview.objects.select_for_update()
            .select_related("incident")
            .get(pk=review.pk)
        )
        now = timezone.now()
        again = review.sent_at is not None
        review.sent_at, review.sent_by = now, actor.name[:200]
        # a key sends for the person who created it
        review.sent_by_user_id = (
            actor.user.pk
            if actor.user is not None
            else getattr(actor.api_key, "created_by_id", None)
        )
        fields = ["sent_at", "sent_by", "sent_by_user_id", "updated_at"]
        after_end = after_period_end(review.metrics)
        completed = (
            review.metrics_frozen_at is not None
            and after_period_unfinished(review.metrics)
            and after_end is not None
            and after_end <= now
        )
        if review.metrics_frozen_at is None or completed:
            # what the clinic receives does not change under them: its figures are those of
            # the moment it was sent (the lessons may still be edited and sent again), taken
            # anew only when sent again with the whole "after" period
            review.metrics = review_metrics(review.incident, now=now)
            review.metrics_frozen_at = now
            fields += ["metrics", "metrics_frozen_at"]
        review.save(update_fields=fields)
        incident = review.incident
        ref = f"postcrisis:{incident.pk}"
        notifications_close(clinic=clinic, ref=ref)
        told = people_notify(
            users=people,
            clinic=clinic,
            kind="review",
            ref=ref,
            title=f"The post-crisis review of incident #{incident.pk} is ready: {incident.title}"[
                :300
            ],
            url=portal_review_url(clinic, incident.pk),
        )
        names = ", ".join(u.full_name or u.email for u in people if u.pk in told)
        event_add(
            incident=incident,
            kind=EventKind.REVIEW_SENT,
            message=f"Review {'sent again' if again else 'sent'} to the clinic"
            + (" with the figures of the whole “after” period" if completed else "")
            + f": {len(told)} people told ({names or 'nobody new'}).",
            actor=actor,
            data={"people": sorted(told), "again": again, "figures_renewed": completed},
            at=now,
        )
    return review


def review_update(
    *,
    incident_id: int,
    actor: Actor,
    lessons: str | None = None,
    prevention: str | None = None,
) -> PostCrisisReview:
    fields, changed = ["edited_by", "updated_at"], []
    with transaction.atomic():
        review = _review_of(incident_id, lock=True)
        for name, value in (("lessons", lessons), ("prevention", prevention)):
            if value is None:
                continue
            if len(value) > MAX_TEXT:
                raise ValidationFailed("Too long.", fields={name: [f"At most {MAX_TEXT} chars."]})
            if value != getattr(review, name):
                setattr(review, name, value)
                fields.append(name)
                changed.append(name)
        if not changed:
            return review
        review.edited_by = actor.name[:200]
        review.save(update_fields=fields)
        event_add(
            incident=review.incident,
            kind=EventKind.REVIEW_EDITED,
            message=f"Review edited: {' and '.join(changed)}.",
            actor=actor,
        )
    return review


def response_plan_save(
    *,
    text: str,
    actor: Actor,
    note: str = "",
    from_review: PostCrisisReview | None = None,
) -> ResponsePlanVersion:
    """Store a new version of the clinic's response plan (versions are never changed). The
    same text and note as the current version (a form or a PUT sent twice) store nothing: the
    current version is returned, so a double submit never makes two identical versions."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("The plan is empty.", fields={"text": ["This field is required."]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed("Too long.", fields={"text": [f"At most {MAX_TEXT} characters."]})
    with transaction.atomic():
        schema_lock(LOCK_PLAN)
        note = (note or "").strip()[:300]
        current = ResponsePlanVersion.objects.order_by("-version").first()
        if current is not None and (current.text, current.note, current.from_review_id) == (
            text,
            note,
            from_review.pk if from_review else None,
        ):
            return current
        latest = ResponsePlanVersion.objects.aggregate(n=Max("version"))["n"] or 0
        return ResponsePlanVersion.objects.create(
            version=latest + 1,
            text=text,
            note=note,
            author=actor.name[:200],
            from_review=from_review,
            created_at=timezone.now(),
        )


def default_plan_text() -> str:
    """The default playbook as a response plan's text (a list the playbook reads)."""
    from crisis.room import DEFAULT_PLAYBOOK

    return "## Response steps\n\n" + "\n".join(f"- {text}" for _key, text in DEFAULT_PLAYBOOK)


def _as_steps(text: str) -> str:
    """Prevention steps as list items, one per line (the playbook reads list items): a line
    already numbered or bulleted is kept as it is."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(
        line if re.match(r"(?:[-*•]|\d+[.)])\s+", line) else f"- {line}" for line in lines
    )


def review_apply_to_plan(*, incident_id: int, actor: Actor) -> ResponsePlanVersion:
    """Append the review's prevention steps to the response plan as a new version."""
    with transaction.atomic():
        review = _review_of(incident_id, lock=True)
        steps = review.prevention.strip()
        if not steps:
            raise ValidationFailed(
                "Write the prevention steps first.",
                fields={"prevention": ["Empty."]},
            )
        current = ResponsePlanVersion.objects.order_by("-version").first()
        incident = review.incident
        opened = timezone.localtime(incident.opened_at, clinic_zone(current_clinic()))
        section = (
            f"## Prevention steps from incident #{incident.pk} "
            f"({incident.get_kind_display().lower()}, {opened:%Y-%m-%d})\n\n"
            f"{_as_steps(steps)}"
        )
        # a clinic without a plan followed the default playbook: the new plan starts from it,
        # so the next incident's playbook has those steps and these
        base = current.text.rstrip() if current else default_plan_text()
        text = f"{base}\n\n{section}"
        version = response_plan_save(
            text=text,
            actor=actor,
            note=f"Prevention steps from incident #{incident.pk}",
            from_review=review,
        )
        review.plan_version = version.version
        review.save(update_fields=["plan_version", "updated_at"])
        event_add(
            incident=incident,
            kind=EventKind.PLAN_UPDATED,
            message=f"Response plan updated to version {version.version} with this review's "
            "prevention steps.",
            actor=actor,
        )
    return version


_DETECTOR_GROUPS = (
    ("surge_", "Surge of negative mentions"),
    ("rating_", "Rating drop"),
    ("viral_", "Viral post"),
    ("misinformation_", "Misinformation"),
    ("watch_", "Watch words"),
)


def _detector_setting(name: str) -> Setting:
    """A detector setting as the settings history names it: the page's label under its
    detector's name; the incident room's targets are response targets (SLA)."""
    if name == "watch_words":
        return Setting(SettingArea.DETECTORS, "Watch words")
    label = THRESHOLD_WORDS.get(name, (name.replace("_", " ").capitalize(), ""))[0]
    if name.endswith("_target_minutes"):
        return Setting(SettingArea.SLA, f"Incident room: {label[:1].lower()}{label[1:]}")
    group = next((words for prefix, words in _DETECTOR_GROUPS if name.startswith(prefix)), "")
    return Setting(SettingArea.DETECTORS, f"{group}: {label}" if group else label)


DETECTOR_SETTINGS = {
    field.name: _detector_setting(field.name)
    for field in DetectorSettings._meta.concrete_fields
    if field.name not in ("id", "updated_at")
}


def detector_settings_update(*, actor: Actor, **changes) -> DetectorSettings:
    """Change the clinic's detector settings (fields of `DetectorSettings`); each value that
    changes is recorded in the settings history as `actor`'s."""
    with transaction.atomic():
        settings, _ = DetectorSettings.objects.select_for_update().get_or_create(pk=1)
        before = {name: getattr(settings, name) for name in DETECTOR_SETTINGS}
        for name, value in changes.items():
            if name in ("id", "updated_at") or not hasattr(settings, name):
                raise ValidationFailed("Unknown setting.", fields={name: ["Unknown setting."]})
            if name == "watch_words":
                value = watch_words_clean(value)
            setattr(settings, name, value)
        try:
            settings.full_clean()
        except ValidationError as exc:
            raise ValidationFailed("Invalid settings.", fields=exc.message_dict) from None
        settings.save()
        settings_changed(
            actor=actor,
            settings=DETECTOR_SETTINGS,
            before=before,
            after={name: getattr(settings, name) for name in changes},
        )
    return settings


MAX_WATCH_WORDS = 100


def watch_words_clean(words) -> list[str]:
    out: dict[str, str] = {}
    for word in words or ():
        word = " ".join(str(word).split())
        if not word:
            continue
        if len(word) > 100:
            raise ValidationFailed(
                "Watch word too long.", fields={"watch_words": [f"{word[:20]}…: at most 100."]}
            )
        out.setdefault(word.lower(), word)
    if len(out) > MAX_WATCH_WORDS:
        raise ValidationFailed(
            "Too many watch words.", fields={"watch_words": [f"At most {MAX_WATCH_WORDS}."]}
        )
    return list(out.values())
