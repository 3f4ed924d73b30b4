from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views import View
from django.views.generic.base import TemplateResponseMixin

from accounts.actors import Actor
from clinics.selectors import clinic_for_actor
from core.errors import ValidationFailed
from core.http import positive_int
from core.permissions import Permission
from core.views import ClinicView
from feeds.models import ImportJob, Platform, Source, SourceKind
from feeds.selectors import OUTAGES_SHOWN_DAYS, sources_with_connections
from feeds.services import (
    AccountElsewhere,
    SourceExists,
    source_create,
    source_replies_by_hand_set,
    webhook_secret_ensure,
    webhook_url,
)
from feeds.services.connections import (
    ConnectFailed,
    attempt_for,
    choice_suggested,
    connect_cancel,
    connect_choose,
    connect_return,
    connect_start,
    connecting_set_up,
    source_disconnect,
    state_clinic_slug,
)


def backlog_past_chosen(post) -> bool:
    """The answer to "the reviews already there are past reviews" (`feeds/_backlog_past.html`):
    ticked unless the person unticked it; a form that did not offer the box keeps the default."""
    return "backlog_choice" not in post or post.get("backlog_past") == "on"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SourcesView(TemplateResponseMixin, ClinicView):
    """Each source's health (last success, last error, failures in a row) and connection, with
    the "Connect Google Business Profile" and "Connect Facebook / Instagram" buttons."""

    template_name = "feeds/sources.html"
    write_permission = Permission.MANAGE

    def get(self, request, *args, **kwargs):
        return self._page()

    def post(self, request, *args, **kwargs):
        """Add a source no sign-in connects: Yelp (its business id and API key) or an inbound
        webhook (its signing secret is shown once, on the answer to this post); or choose
        whether the agency posts a channel's replies by hand."""
        action = request.POST.get("action")
        name = request.POST.get("name", "")
        try:
            if action == "add_yelp":
                source = source_create(
                    kind=SourceKind.YELP,
                    name=name,
                    settings={"business_id": request.POST.get("business_id", "").strip()},
                    credentials={"api_key": request.POST.get("api_key", "").strip()},
                    readable=True,
                    actor=request.actor,
                    backlog_past=backlog_past_chosen(request.POST),
                    refuse_same=True,
                )
                messages.success(request, f"{source.name} added: it is read every 15 minutes.")
                return HttpResponseRedirect(request.path)
            if action == "add_webhook":
                source = source_create(
                    kind=SourceKind.WEBHOOK,
                    name=name,
                    actor=request.actor,
                    backlog_past=backlog_past_chosen(request.POST),
                    refuse_same=True,
                )
                return self._page(
                    created={
                        "source": source,
                        "secret": webhook_secret_ensure(source=source),
                        "url": webhook_url(self.clinic, source),
                    }
                )
            if action == "replies_by_hand":
                pk = positive_int(request.POST.get("source"))
                source = Source.objects.filter(pk=pk).first() if pk else None
                if source is None:
                    raise ValidationFailed(
                        "That source does not exist.", fields={"source": ["Reload the page."]}
                    )
                by_hand = request.POST.get("by_hand") == "on"
                source_replies_by_hand_set(source=source, by_hand=by_hand, actor=request.actor)
                messages.success(
                    request,
                    f"{source.name}: replies are posted by hand."
                    if by_hand
                    else f"{source.name}: Carewatch posts the replies once it is connected.",
                )
                return HttpResponseRedirect(request.path)
            raise ValidationFailed("Unknown action.", fields={"action": ["Reload the page."]})
        except ValidationFailed as exc:
            return self._page(error=_setting_named(exc), kept=request.POST, status=400)
        except SourceExists as exc:  # the API's rule (409 `source_exists`), in the page's words
            return self._page(error=_exists_error(exc.source), kept=request.POST, status=409)

    def _page(self, status: int = 200, **extra):
        can_manage = self.access.can(Permission.MANAGE)
        sources = sources_with_connections()
        for source in sources:
            source.can_connect = connecting_set_up(source.kind)
        response = self.render_to_response(
            {
                "clinic": self.clinic,
                "sources": sources,
                "can_manage": can_manage,
                "outages_days": OUTAGES_SHOWN_DAYS,
                "google_ready": connecting_set_up(SourceKind.GOOGLE),
                "facebook_ready": connecting_set_up(SourceKind.FACEBOOK),
                # each add form's box, as the person left it when the page comes back refused
                "backlog_past": {
                    action: backlog_past_chosen(kept)
                    if (kept := extra.get("kept")) and kept.get("action") == action
                    else True
                    for action in ("add_yelp", "add_webhook")
                },
                **extra,
            },
            status=status,
        )
        # The Connect forms post here and are redirected to the platform's consent page:
        # Chromium applies form-action to that redirect too, so the page allows those origins.
        origins = " ".join(
            sorted(
                {
                    _origin(settings.GOOGLE_OAUTH_AUTHORIZE_URL),
                    _origin(settings.FACEBOOK_OAUTH_AUTHORIZE_URL),
                }
            )
        )
        if settings.CSP_POLICY and can_manage:
            response["Content-Security-Policy"] = settings.CSP_POLICY.replace(
                "form-action 'self'", f"form-action 'self' {origins}"
            )
        return response


def _setting_named(exc: ValidationFailed) -> ValidationFailed:
    """A refusal as the page says it: a setting's message names the setting ("business_id: At
    most 500 characters"), as the API names it by its field (`settings.business_id`)."""
    if not any(field.startswith("settings.") for field in exc.fields):
        return exc
    return ValidationFailed(
        exc.detail,
        fields={
            field: [
                f"{field.removeprefix('settings.')}: {m}" if field.startswith("settings.") else m
                for m in said
            ]
            for field, said in exc.fields.items()
        },
    )


def _exists_error(same: Source) -> ValidationFailed:
    """The add forms' error for a source the clinic has already, on its name."""
    state = "" if same.enabled else ", turned off"
    return ValidationFailed(
        f"This clinic has this source already: “{same.name}” ({same.get_kind_display()}{state}),"
        " listed below.",
        fields={"name": ["Give the new source another name, or use the one listed."]},
    )


def _sources_url(clinic) -> str:
    return f"/clinics/{clinic.slug}/sources/"


class ConnectStartView(ClinicView):
    """A Connect (or Reconnect) button: starts the OAuth flow, on to the platform's consent."""

    write_permission = Permission.MANAGE

    def post(self, request, platform: str, *args, **kwargs):
        source_id = positive_int(request.POST.get("source"))
        try:
            url = connect_start(
                clinic=self.clinic,
                platform=platform,
                user=request.user,
                session_key=request.session.session_key or "",
                source_id=source_id,
            )
        except ConnectFailed as exc:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(_sources_url(self.clinic))
        return HttpResponseRedirect(url)


class ConnectReturnView(ClinicView):
    """Where the public callback hands the platform's answer: consume the state, exchange the
    code, list the locations or pages; then to the choice (or back with the reason)."""

    permission = Permission.MANAGE

    def get(self, request, platform: str, *args, **kwargs):
        try:
            attempt = connect_return(
                platform=platform,
                params=request.GET.dict(),
                user=request.user,
                session_key=request.session.session_key or "",
            )
        except ConnectFailed as exc:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(_sources_url(self.clinic))
        return HttpResponseRedirect(f"{_sources_url(self.clinic)}connect/{attempt.pk}/")


class ConnectChooseView(TemplateResponseMixin, ClinicView):
    """Pick the Google location or the Facebook page to connect."""

    permission = Permission.MANAGE
    write_permission = Permission.MANAGE
    template_name = "feeds/connect_choose.html"

    def _attempt(self, request, attempt_id: int):
        return attempt_for(
            attempt_id=attempt_id,
            user=request.user,
            session_key=request.session.session_key or "",
        )

    def _render(self, attempt, status: int = 200, error: str = "", backlog_past: bool = True):
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "attempt": attempt,
                "google": attempt.platform == Platform.GOOGLE,
                "error": error,
                "reconnecting": attempt.source,
                "suggested": choice_suggested(attempt),
                "backlog_past": backlog_past,
            },
            status=status,
        )

    def get(self, request, attempt_id: int, *args, **kwargs):
        try:
            attempt = self._attempt(request, attempt_id)
        except ConnectFailed as exc:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(_sources_url(self.clinic))
        return self._render(attempt)

    def post(self, request, attempt_id: int, *args, **kwargs):
        session_key = request.session.session_key or ""
        try:
            if request.POST.get("action") == "cancel":
                connect_cancel(attempt_id=attempt_id, user=request.user, session_key=session_key)
                messages.success(request, "Connecting was cancelled. Nothing was changed.")
                return HttpResponseRedirect(_sources_url(self.clinic))
            choice = request.POST.get("choice", "")
            # a form without the box (reconnecting a source already read) keeps the default
            backlog_past = backlog_past_chosen(request.POST)
            if not choice:
                attempt = self._attempt(request, attempt_id)
                what = "location" if attempt.platform == Platform.GOOGLE else "page"
                return self._render(
                    attempt, 400, f"Choose a {what} to connect.", backlog_past=backlog_past
                )
            done = connect_choose(
                attempt_id=attempt_id,
                choice_id=choice,
                user=request.user,
                session_key=session_key,
                actor=Actor(user=request.user, via_session=True),
                backlog_as_history=backlog_past,
            )
        except (ConnectFailed, AccountElsewhere) as exc:
            messages.error(request, exc.text())
            return HttpResponseRedirect(_sources_url(self.clinic))
        names = " and ".join(s.name for s in done.sources)
        where = "" if done.sources[0].name == done.choice_name else f" ({done.choice_name})"
        messages.success(request, f"Connected: {names}{where}.")
        return HttpResponseRedirect(_sources_url(self.clinic))


class SourceDisconnectView(ClinicView):
    """Disconnect: revoke at the platform where it can be, delete the tokens."""

    write_permission = Permission.MANAGE

    def post(self, request, source_id: int, *args, **kwargs):
        source = Source.objects.filter(pk=source_id).first()
        if source is None:
            messages.error(request, "That source does not exist. Nothing was changed.")
            return HttpResponseRedirect(_sources_url(self.clinic))
        try:
            message = source_disconnect(
                source=source, actor=Actor(user=request.user, via_session=True)
            )
        except ConnectFailed as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, message)
        return HttpResponseRedirect(_sources_url(self.clinic))


class OAuthCallbackView(View):
    """The one redirect URI per platform (`/oauth/<platform>/callback/`, registered in the
    agency's app). The state names the clinic; the answer goes on to that clinic's return page,
    where the access gate and the state checks apply."""

    def get(self, request, platform: str):
        if platform not in Platform.values:
            return self._refuse(
                request, "This address is not a Carewatch connection callback.", 404
            )
        if not request.user.is_authenticated:
            return HttpResponseRedirect("/login/?" + urlencode({"next": request.get_full_path()}))
        slug = state_clinic_slug(request.GET.get("state", ""))
        clinic = clinic_for_actor(Actor(user=request.user, via_session=True), slug=slug)
        if not slug or clinic is None:
            return self._refuse(
                request,
                "This answer does not belong to a connection you started in one of your "
                "clinics. Nothing was changed.",
            )
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(
            f"/clinics/{clinic.slug}/sources/connect/{platform}/return/?{query}"
        )

    @staticmethod
    def _refuse(request, message: str, status: int = 400) -> HttpResponse:
        return render(request, "feeds/connect_refused.html", {"message": message}, status=status)


class ImportsView(TemplateResponseMixin, ClinicView):
    """Upload a CSV and watch it import."""

    template_name = "feeds/imports.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "jobs": ImportJob.objects.order_by("-created_at")[:20],
                "can_write": self.access.can(Permission.WRITE),
                "past_ticked": request.GET.get("past_reviews") == "on",
            }
        )


class ImportUploadView(ClinicView):
    """The upload form's target: stores the file, queues the import, back to the list."""

    def post(self, request, *args, **kwargs):
        from feeds.services import import_job_create

        upload = request.FILES.get("file")
        past = request.POST.get("past_reviews") == "on"
        refused = True
        if upload is None:
            messages.error(request, "Choose a CSV file.")
        else:
            try:
                job = import_job_create(
                    filename=upload.name,
                    data=upload.read(),
                    created_by_id=request.user.pk,
                    past_reviews=past,
                )
                messages.success(request, f"{job.filename}: import queued ({job.total_rows} rows).")
                refused = False
            except ValidationFailed as exc:
                messages.error(request, f"{upload.name}: {exc.detail}")
        back = request.path.rsplit("upload/", 1)[0]
        # a refused upload comes back with "past reviews" as it was ticked: the corrected file
        # uploaded next must not start reply clocks on old history
        return HttpResponseRedirect(f"{back}?past_reviews=on" if refused and past else back)
