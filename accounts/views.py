"""Sign-in pages: password login, the TOTP step, enrolment with a QR code, backup codes, the
account page, and password reset by e-mail."""

from __future__ import annotations

from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import devices_for_user
from django_otp import login as otp_login

from accounts.forms import LoginForm, OtpTokenForm, ResetRequestForm, ResetSetPasswordForm
from accounts.middleware import SETUP_URL, VERIFY_URL
from accounts.selectors import user_has_confirmed_device, user_is_agency_staff, user_needs_otp
from accounts.services import (
    backup_codes_create,
    otp_verify,
    password_reset_throttle,
    totp_device_confirm,
    totp_device_pending,
    two_factor_disable,
)
from core.errors import ValidationFailed


def _safe_next(request, value: str | None, default: str = "/") -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


class SignInView(auth_views.LoginView):
    """E-mail and password (with the lockout of `accounts.backends`); then, for agency staff
    and anyone with a device, the TOTP step."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_success_url(self):
        url = super().get_success_url()
        user = self.request.user
        if user_needs_otp(user):
            target = VERIFY_URL if user_has_confirmed_device(user) else SETUP_URL
            return f"{target}?{urlencode({'next': url})}"
        return url


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
            device = otp_verify(user=request.user, token=form.cleaned_data["otp_token"])
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()
                return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
            form.add_error(
                "otp_token",
                "That code is not right (or you tried too often: wait a little). "
                "Enter the current code, or one of your backup codes.",
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
            },
            status=status,
        )

    def get(self, request):
        if user_has_confirmed_device(request.user) and not request.user.is_verified():
            # Replacing a device needs the old one first.
            return HttpResponseRedirect(f"{VERIFY_URL}?{request.GET.urlencode()}")
        return self._render(request, OtpTokenForm())

    def post(self, request):
        if user_has_confirmed_device(request.user) and not request.user.is_verified():
            return HttpResponseRedirect(VERIFY_URL)
        form = OtpTokenForm(request.POST)
        if form.is_valid():
            try:
                device = totp_device_confirm(
                    user=request.user, token=form.cleaned_data["otp_token"]
                )
            except ValidationFailed as exc:
                for error in exc.fields.get("otp_token", [exc.detail]):
                    form.add_error("otp_token", error)
            else:
                otp_login(request, device)
                request.session.cycle_key()
                messages.success(request, "Two-factor sign-in is on.")
                return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
        return self._render(request, form, status=400)


class AccountView(LoginRequiredMixin, View):
    """The signed-in person's security settings."""

    template_name = "accounts/account.html"

    def get(self, request):
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        devices = list(devices_for_user(request.user, confirmed=True))
        return render(
            request,
            self.template_name,
            {
                "totp_on": any(isinstance(d, TOTPDevice) for d in devices),
                "backup": next((d for d in devices if isinstance(d, StaticDevice)), None),
                "staff": user_is_agency_staff(request.user),
                "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
            },
        )


class BackupCodesView(LoginRequiredMixin, View):
    def post(self, request):
        if not user_has_confirmed_device(request.user):
            messages.error(request, "Turn on two-factor sign-in first.")
            return HttpResponseRedirect("/account/")
        codes = backup_codes_create(user=request.user)
        return render(request, "accounts/backup_codes.html", {"codes": codes})


class TwoFactorDisableView(LoginRequiredMixin, View):
    def post(self, request):
        try:
            two_factor_disable(user=request.user)
        except ValidationFailed as exc:
            messages.error(request, exc.detail)
        else:
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
        ip = self.request.META.get("REMOTE_ADDR", "")
        refused = password_reset_throttle(ip=ip, email=form.cleaned_data["email"])
        if refused == "ip":
            form.add_error(None, "Too many reset requests from here. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if refused == "email":
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ResetSetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
