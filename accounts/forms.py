from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "E-mail or password is wrong, or the account is locked for 15 minutes "
        "after repeated failures.",
    }


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ResetSetPasswordForm(SetPasswordForm):
    """Setting a new password through a reset link also lifts a login lockout."""

    def save(self, commit=True):
        from accounts.services import user_unlock

        user = super().save(commit=commit)
        if commit:
            user_unlock(user=user)
        return user
