import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from accounts.services import SIGN_IN_FAILED, SignInThrottled
from core.branding import person_brand
from core.mail import MailWithAlternatives

logger = logging.getLogger(__name__)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        max_length=254,
        label="E-mail",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        error_messages={
            "required": "Enter your e-mail address.",
            "invalid": "Enter an e-mail address, such as name@clinic.com.",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": SIGN_IN_FAILED,
    }
    throttled: SignInThrottled | None = None

    def clean(self):
        try:
            return super().clean()
        except SignInThrottled as exc:
            self.throttled = exc
            raise ValidationError(exc.detail, code="throttled") from None


class OtpTokenForm(forms.Form):
    """A code of the authenticator app or a backup code: the sign-in's code step, and the
    fresh code that re-authenticates changes to two-factor itself."""

    # letters too: a backup code has them ("tovg5zdh"), and a numeric keypad cannot type
    # them; the app's code still fills in from the phone's suggestion (one-time-code)
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=24,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "autocorrect": "off",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class ReplaceDeviceForm(OtpTokenForm):
    """Moving two-factor to another app: the new app's code and one of the app in use."""

    current_otp_token = forms.CharField(
        label="Code from the app you use now (or a backup code)", max_length=16
    )


class EnrolAfterResetForm(OtpTokenForm):
    """A first enrolment after an owner reset the person's two-factor sign-in, in a session
    whose password is not fresh (`accounts.services.enrolment_needs_password`): the password
    again, with the new app's code."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Django's, through `core.mail` (the one message class, which every reader decodes)."""
        # in the brand the person knows (a clinic's people: their agency's, never "Carewatch")
        brand = person_brand(context["user"])
        context = {**context, "brand_name": brand.name}
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = MailWithAlternatives(
            subject, body, brand.sender, [to_email], reply_to=list(brand.reply_to) or None
        )
        if html_email_template_name is not None:
            message.attach_alternative(
                render_to_string(html_email_template_name, context), "text/html"
            )
        try:
            message.send()
        except Exception:  # as Django's: the page says the same whether the address exists
            logger.exception("Failed to send password reset email to %s", context["user"].pk)


class ResetSetPasswordForm(SetPasswordForm):
    """The new password, twice, of a password link's page. The page sets it with
    `accounts.services.password_link_use` (once per link, which also lifts a login lockout
    and revokes the person's personal tokens), never with `save()`."""

    def validate_password_for_user(self, user, *_args, **_kwargs):
        # Django puts "This password is too common." on the confirmation field; it is about
        # the password chosen in the first one (a mismatch stays on the second)
        super().validate_password_for_user(user, "new_password1")
