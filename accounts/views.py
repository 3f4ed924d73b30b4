"""Sign-in pages: password login, the TOTP step, enrolment with a QR code, backup codes, the
account page, and password reset by e-mail."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import devices_for_user
from django_otp import login as otp_login

from accounts.forms import (
    EnrolAfterResetForm,
    LoginForm,
    OtpTokenForm,
    ReplaceDeviceForm,
    ResetRequestForm,
    ResetSetPasswordForm,
)
from accounts.middleware import PASSWORD_LINK_PREFIX, SETUP_URL, VERIFY_URL
from accounts.models import User
from accounts.selectors import (
    invitation_withdrawn_for,
    user_has_confirmed_device,
    user_is_agency_staff,
    user_needs_otp,
    user_tokens_active,
)
from accounts.services import (
    backup_codes_create,
    backup_codes_on_enrolment,
    client_ip,
    enrolment_needs_password,
    otp_check,
    otp_refusal,
    password_change,
    password_link_use,
    password_reset_throttle,
    sessions_end_elsewhere,
    sign_in_by_password_link,
    sign_in_completed,
    totp_device_confirm,
    totp_device_pending,
    two_factor_disable,
    user_token_revoke,
)
from accounts.tokens import (
    invitation_lifetime,
    password_link_generator,
    password_link_signed,
    reset_lifetime,
)
from core.errors import ValidationFailed
from core.http import branded_for_set


def _safe_next(request, value: str | None, default: str = "/") -> str:
    # never back to a password link: once used it only says so (its password is set)
    if (
        value
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not urlsplit(value).path.startswith(PASSWORD_LINK_PREFIX)
    ):
        return value
    return default


class SignInView(auth_views.LoginView):
    """E-mail and password (with the lockout of `accounts.backends`); then, for agency staff
    and anyone with a device, the TOTP step."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get(self, request, *args, **kwargs):
        # someone signed in who opens the sign-in page ("Back to sign-in" on the password
        # reset page, an old bookmark) goes where signing in would take them; a POST still
        # signs in, so another account can be used without signing out first
        # (someone who still owes the code is sent to the code step before this, by
        # accounts.middleware)
        if request.user.is_authenticated:
            return HttpResponseRedirect(super().get_success_url())
        return super().get(request, *args, **kwargs)

    def form_invalid(self, form):
        """The form again with what is wrong: a 400, as every refused form here answers (the
        code step too); 429 with Retry-After when this address tried too often."""
        response = super().form_invalid(form)
        response.status_code = 400
        if form.throttled is not None:  # too many attempts from this address
            response.status_code = 429
            response["Retry-After"] = str(form.throttled.retry_after)
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        # when the password was typed: an enrolment after a two-factor reset needs it fresh
        self.request.session[PASSWORD_AT_SESSION_KEY] = timezone.now().timestamp()
        return response

    def get_success_url(self):
        url = super().get_success_url()
        user = self.request.user
        if user_needs_otp(user):
            target = VERIFY_URL if user_has_confirmed_device(user) else SETUP_URL
            return f"{target}?{urlencode({'next': url})}"
        return url


PASSWORD_AT_SESSION_KEY = "password-at"  # noqa: S105 - a session key: when the password was typed


def _password_at(request) -> datetime | None:
    value = request.session.get(PASSWORD_AT_SESSION_KEY)
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


class TwoFactorVerifyView(LoginRequiredMixin, View):
    template_name = "accounts/two_factor_verify.html"

    def _render(self, request, form, status=200):
        return render(
            request,
            self.template_name,
            {"form": form, "next": _safe_next(request, request.GET.get("next"))},
            status=status,
        )

    def get(self, request):
        if not user_has_confirmed_device(request.user):
            return HttpResponseRedirect(f"{SETUP_URL}?{request.GET.urlencode()}")
        return self._render(request, OtpTokenForm())

    def post(self, request):
        form = OtpTokenForm(request.POST)
        if form.is_valid():
            device = otp_check(user=request.user, token=form.cleaned_data["otp_token"])
            if device is not None:
                otp_login(request, device)
                sign_in_completed(user=request.user, device=device)
                request.session.cycle_key()
                return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
            form.add_error(
                "otp_token", otp_refusal(user=request.user, token=form.cleaned_data["otp_token"])
            )
        return self._render(request, form, status=400)


def qr_svg(data: str) -> str:
    """The QR code of `data` as SVG markup (no script, no inline style: the CSP allows it)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1).replace(
        ">", '><title id="qr-title">QR code for your authenticator app</title>', 1
    )


class TwoFactorSetupView(LoginRequiredMixin, View):
    """Enrol an authenticator app: scan the QR code (or type the key), enter a code."""

    template_name = "accounts/two_factor_setup.html"

    def _password_needed(self, request) -> bool:
        return not user_has_confirmed_device(request.user) and enrolment_needs_password(
            user=request.user, password_at=_password_at(request)
        )

    def _form_class(self, request):
        if user_has_confirmed_device(request.user):
            return ReplaceDeviceForm
        return EnrolAfterResetForm if self._password_needed(request) else OtpTokenForm

    def _render(self, request, form, status=200):
        import base64

        device = totp_device_pending(user=request.user)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr_svg": qr_svg(device.config_url),
                "secret": base64.b32encode(device.bin_key).decode(),
                "next": _safe_next(request, request.GET.get("next") or request.POST.get("next")),
                "required": user_is_agency_staff(request.user),
                "replacing": user_has_confirmed_device(request.user),
                "password_needed": "password" in form.fields,
            },
            status=status,
        )

    def get(self, request):
        replacing = user_has_confirmed_device(request.user)
        if replacing and not request.user.is_verified():
            # Replacing a device needs the old one first.
            return HttpResponseRedirect(f"{VERIFY_URL}?{request.GET.urlencode()}")
        return self._render(request, self._form_class(request)())

    def post(self, request):
        replacing = user_has_confirmed_device(request.user)
        if replacing and not request.user.is_verified():
            return HttpResponseRedirect(VERIFY_URL)
        form = self._form_class(request)(request.POST)
        if form.is_valid():
            try:
                device = totp_device_confirm(
                    user=request.user,
                    token=form.cleaned_data["otp_token"],
                    current_token=form.cleaned_data.get("current_otp_token"),
                    password_needed="password" in form.fields,
                    password=form.cleaned_data.get("password"),
                )
            except ValidationFailed as exc:
                if exc.code in ("password_required", "password_invalid"):
                    form.add_error("password", exc.fields["password"])
                elif exc.code in ("otp_required", "otp_invalid"):  # the current code
                    form.add_error("current_otp_token", exc.fields["otp_token"])
                else:
                    for error in exc.fields.get("otp_token", [exc.detail]):
                        form.add_error("otp_token", error)
            else:
                otp_login(request, device)
                request.session.cycle_key()
                next_url = _safe_next(request, request.POST.get("next"))
                if replacing:
                    messages.success(request, "Two-factor sign-in moved to the new app.")
                    return HttpResponseRedirect(next_url)
                # a first enrolment: the backup codes at once (a lost phone without them
                # left only a superuser to help)
                codes = backup_codes_on_enrolment(user=request.user, device=device)
                if not codes:  # they kept backup codes from before
                    messages.success(request, "Two-factor sign-in is on.")
                    return HttpResponseRedirect(next_url)
                return render(
                    request,
                    "accounts/backup_codes.html",
                    {"codes": codes, "enrolled": True, "next": next_url},
                )
        return self._render(request, form, status=400)


class AccountView(LoginRequiredMixin, View):
    """The signed-in person's security settings."""

    template_name = "accounts/account.html"

    def get(self, request):
        return self.render_page(request)

    @classmethod
    def render_page(cls, request, *, failed: str = "", form=None, status: int = 200):
        """The page; `failed` names the form ("backup" or "disable") whose code was refused."""
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        devices = list(devices_for_user(request.user, confirmed=True))
        return render(
            request,
            cls.template_name,
            {
                "totp_on": any(isinstance(d, TOTPDevice) for d in devices),
                "backup": next((d for d in devices if isinstance(d, StaticDevice)), None),
                "staff": user_is_agency_staff(request.user),
                "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
                "backup_form": form if failed == "backup" else OtpTokenForm(auto_id="backup_%s"),
                "disable_form": form if failed == "disable" else OtpTokenForm(auto_id="off_%s"),
                "password_form": form
                if failed == "password"
                else AccountPasswordForm(request.user, auto_id="pw_%s"),
                "tokens": list(user_tokens_active(user=request.user, now=timezone.now())),
            },
            status=status,
        )


class AccountPasswordForm(PasswordChangeForm):
    """The account page's password change: the current one, then the new one twice; a rule's
    refusal ("too common") is shown on the new password, where it belongs."""

    def validate_password_for_user(self, user, *_args, **_kwargs):
        super().validate_password_for_user(user, "new_password1")


class PasswordChangeView(LoginRequiredMixin, View):
    """Change one's password while signed in: this session stays, every other ends, personal
    tokens are revoked, and an e-mail says it changed."""

    def post(self, request):
        form = AccountPasswordForm(request.user, request.POST, auto_id="pw_%s")
        if not form.is_valid():
            return AccountView.render_page(request, failed="password", form=form, status=400)
        password_change(user=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(
            request,
            "Password changed. Other browsers where you were signed in are signed out, and your "
            "personal tokens are revoked.",
        )
        return HttpResponseRedirect("/account/")


class SessionsEndView(LoginRequiredMixin, View):
    """Sign out everywhere else (a lost laptop, a shared computer): this session stays."""

    def post(self, request):
        sessions_end_elsewhere(user=request.user)
        update_session_auth_hash(request, request.user)
        messages.success(request, "Signed out everywhere else. This browser stays signed in.")
        return HttpResponseRedirect("/account/")


class TokenRevokeView(LoginRequiredMixin, View):
    """Revoke one of one's own personal tokens from the account page (the API does the same)."""

    def post(self, request, token_id: int):
        token = user_tokens_active(user=request.user, now=timezone.now()).filter(pk=token_id)
        token = token.first()
        if token is None:
            raise Http404("No such token.")
        user_token_revoke(token=token)
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
        return HttpResponseRedirect("/account/")


class _ReauthenticatedView(LoginRequiredMixin, View):
    """A change to two-factor itself: a session that passed the code step (never one that
    only knows the password) and a fresh code in the same request."""

    form_name = ""

    def post(self, request):
        if not user_has_confirmed_device(request.user):
            messages.error(request, "Turn on two-factor sign-in first.")
            return HttpResponseRedirect("/account/")
        if not request.user.is_verified():
            return HttpResponseRedirect(VERIFY_URL)
        form = OtpTokenForm(request.POST, auto_id=f"{self.form_name}_%s")
        if not form.is_valid():
            return AccountView.render_page(request, failed=self.form_name, form=form, status=400)
        try:
            return self.act(request, form.cleaned_data["otp_token"])
        except ValidationFailed as exc:
            for error in exc.fields.get("otp_token", [exc.detail]):
                form.add_error("otp_token" if "otp_token" in exc.fields else None, error)
            return AccountView.render_page(request, failed=self.form_name, form=form, status=400)

    def act(self, request, otp_token: str):
        raise NotImplementedError


class BackupCodesView(_ReauthenticatedView):
    form_name = "backup"

    def act(self, request, otp_token: str):
        codes = backup_codes_create(user=request.user, otp_token=otp_token)
        return render(request, "accounts/backup_codes.html", {"codes": codes})


class TwoFactorDisableView(_ReauthenticatedView):
    form_name = "disable"

    def act(self, request, otp_token: str):
        two_factor_disable(user=request.user, otp_token=otp_token)
        messages.success(request, "Two-factor sign-in is off.")
        return HttpResponseRedirect("/account/")


class ResetRequestView(auth_views.PasswordResetView):
    """Always the same answer, whether the address exists or not; throttled per address and
    per client IP."""

    form_class = ResetRequestForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self):
        # Links point at the configured address, never at the request's Host header.
        return {"base_url": settings.PUBLIC_BASE_URL}

    def form_valid(self, form):
        ip = client_ip(self.request)
        refused = password_reset_throttle(ip=ip, email=form.cleaned_data["email"])
        if refused == "ip":
            form.add_error(None, "Too many reset requests from here. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if refused == "email":
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


PASSWORD_SET_FOR = "password-set-for"  # noqa: S105 - session key: whose password a link set
# the password links this browser used (uid and token): opened again, or submitted again from
# another tab, the page says the password was set with it rather than "does not work"
LINKS_USED = "password-links-used"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """The page a password link opens. The same link serves a reset and an invitation: a
    person reaches it without a usable password only from an invitation (the reset form skips
    such accounts), so the page and its answer speak of choosing a first password then.

    Once the password is set the person is signed in (`sign_in_by_password_link`), as the
    sign-in page would do: a clinic's people without two-factor land where signing in leads;
    agency staff, and anyone with an authenticator app, go on to set it up or to enter its
    code, and nothing else opens before that (`accounts.middleware`)."""

    form_class = ResetSetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.EmailBackend"

    @property
    def token_generator(self):
        # dispatch() finds the link's person before it checks the token: an invitation's
        # link lasts days, a reset's an hour (accounts.tokens)
        return password_link_generator(getattr(self, "user", None))

    def get_user(self, uidb64):
        # A deactivated person's link (an invitation or a reset sent before) sets no password
        # and signs nobody in: the link does not work, and the page says why.
        user = super().get_user(uidb64)
        self.deactivated = user if user is not None and not user.is_active else None
        return None if self.deactivated is not None else user

    def _token(self) -> str | None:
        token = self.kwargs.get("token")
        if token == self.reset_url_token:
            token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN)
        return token

    def _signed(self) -> bool:
        """The link is one Carewatch made for its person (valid now, or expired): only then
        does the page say anything of them (their agency's brand, whether it is an
        invitation). A made-up link to a real account gives the page an unknown account gives,
        so that nobody learns an account's agency by trying ids."""
        if self.validlink:
            return True
        return password_link_signed(getattr(self, "user", None), self._token())

    def _first_password(self) -> bool:
        user = getattr(self, "user", None)
        return user is not None and not user.has_usable_password()

    def _someone_else(self):
        """The person signed in in this browser when it is not the link's (else None): the
        page says so, and refuses until they sign out (`form_valid`)."""
        signed_in = self.request.user
        if self.validlink and signed_in.is_authenticated and signed_in.pk != self.user.pk:
            return signed_in
        return None

    def _withdrawn(self):
        """The invitation this link was, withdrawn since (its clinic was deleted), or None."""
        if self.validlink or getattr(self, "deactivated", None) is not None:
            return None
        return invitation_withdrawn_for(getattr(self, "user", None), self._token())

    def _used_here(self) -> bool:
        """This browser set the password with this link already (the link's own address, or
        the form's, submitted again from another tab)."""
        if self.validlink or getattr(self, "user", None) is None:
            return False
        uid, token = self.kwargs.get("uidb64"), self.kwargs.get("token")
        return any(
            isinstance(used, dict)
            and used.get("uid") == uid
            and (token == self.reset_url_token or used.get("token") == token)
            for used in self.request.session.get(LINKS_USED, [])
        )

    def _used_next(self) -> str:
        """Where the "sign in" of a used link leads: on with the sign-in when the link's person
        is signed in in this browser (the two-factor step, else where signing in leads), the
        sign-in page otherwise."""
        landing = str(settings.LOGIN_REDIRECT_URL)
        signed_in = self.request.user
        if not signed_in.is_authenticated or signed_in.pk != self.user.pk:
            return reverse("accounts:login")
        if user_needs_otp(signed_in) and not signed_in.is_verified():
            target = VERIFY_URL if user_has_confirmed_device(signed_in) else SETUP_URL
            return f"{target}?{urlencode({'next': landing})}"
        return landing

    def render_to_response(self, context, **response_kwargs):
        if context.get("used_here") and self.request.method == "POST":
            response_kwargs["status"] = 409  # a second submission: refused, nothing changed
        return super().render_to_response(context, **response_kwargs)

    def get_context_data(self, **kwargs):
        if self._used_here():
            branded_for_set(self.request, self.user)
            return {
                **super().get_context_data(**kwargs),
                "used_here": True,
                "account": self.user,
                "used_next": self._used_next(),
            }
        signed = self._signed()
        withdrawn = None if signed else self._withdrawn()
        if signed:
            branded_for_set(self.request, self.user)  # the page carries their agency's brand
        elif withdrawn is not None:
            # the agency that looked after the clinic: its brand, and whom to ask
            branded_for_set(self.request, self.user, agency_id=withdrawn.agency_id)
        first = signed and self._first_password()
        context = {
            **super().get_context_data(**kwargs),
            "first_password": first,
            "signed": signed,
            "link_lifetime": invitation_lifetime() if first else reset_lifetime(),
            "invitation_lifetime": invitation_lifetime(),
            "reset_lifetime": reset_lifetime(),
            # only its own signed link says that an account is deactivated
            "deactivated": getattr(self, "deactivated", None) is not None
            and password_link_signed(self.deactivated, self._token()),
            "withdrawn": withdrawn,
        }
        if self.validlink:
            context["account"] = self.user
            context["someone_else"] = self._someone_else()
            context["needs_second_factor"] = user_needs_otp(self.user)
            token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, "")
            # signing out flushes the session (and the token in it): come back by the link
            context["continue_url"] = reverse(
                "accounts:password_reset_confirm",
                kwargs={"uidb64": self.kwargs["uidb64"], "token": token},
            )
        return context

    def post(self, request, *args, **kwargs):
        if self._someone_else() is not None:
            # A shared phone: refused rather than set and then signed out, because by then
            # the wrong person has chosen (and knows) the other person's password.
            context = self.get_context_data(form=self.get_form())
            return self.render_to_response(context, status=409)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.first_password = self._first_password()  # before the password is set
        # set once: under a lock of the person's row, the link checked again (another tab or
        # browser may have used it since this request's check)
        token = self._token()
        user = password_link_use(
            user_id=self.user.pk, token=token, password=form.cleaned_data["new_password1"]
        )
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        self._remember_used(token)  # used now, by this request or (user None) another
        if user is None:
            self.validlink = False
            return self.render_to_response(self.get_context_data())
        self.user = user
        auth_login(self.request, user, self.post_reset_login_backend)
        response = HttpResponseRedirect(self.get_success_url())
        if not self._signed_in():
            self.request.session[PASSWORD_SET_FOR] = {
                "id": self.user.pk,
                "email": self.user.email,
                "full_name": self.user.full_name,
            }
        return response

    def _remember_used(self, token: str | None) -> None:
        uid = self.kwargs["uidb64"]
        token = token or ""
        used = [u for u in self.request.session.get(LINKS_USED, []) if isinstance(u, dict)]
        self.request.session[LINKS_USED] = [*used[-4:], {"uid": uid, "token": token}]

    def _signed_in(self) -> bool:
        return self.request.user.is_authenticated and self.request.user.pk == self.user.pk

    def get_success_url(self) -> str:
        if self._signed_in():
            first = getattr(self, "first_password", False)
            landing = str(settings.LOGIN_REDIRECT_URL)
            if sign_in_by_password_link(user=self.user):
                has_app = user_has_confirmed_device(self.user)
                messages.success(
                    self.request,
                    f"Your password is {'set' if first else 'changed'}. "
                    + (
                        "Enter the code from your authenticator app to finish signing in."
                        if has_app
                        else "Now set up two-factor sign-in with an authenticator app."
                    ),
                )
                target = VERIFY_URL if has_app else SETUP_URL
                return f"{target}?{urlencode({'next': landing})}"
            messages.success(
                self.request,
                f"Your password is {'set' if first else 'changed'}: you are signed in as "
                f"{self.user.email}.",
            )
            return landing
        url = super().get_success_url()
        return f"{url}?first=1" if getattr(self, "first_password", False) else url


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    """After a reset or an invitation: names the account whose password was set (once)."""

    template_name = "registration/password_reset_complete.html"

    def get_context_data(self, **kwargs):
        account = self.request.session.pop(PASSWORD_SET_FOR, None)
        if account and not self.request.user.is_authenticated:
            person = User.objects.filter(pk=account.get("id")).first()
            if person is not None:
                branded_for_set(self.request, person)  # their agency's brand
        return {**super().get_context_data(**kwargs), "account": account}
