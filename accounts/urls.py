from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("account/two-factor/verify/", views.TwoFactorVerifyView.as_view(), name="otp-verify"),
    path("account/two-factor/setup/", views.TwoFactorSetupView.as_view(), name="otp-setup"),
    path(
        "account/two-factor/backup-codes/",
        views.BackupCodesView.as_view(),
        name="otp-backup-codes",
    ),
    path("account/two-factor/disable/", views.TwoFactorDisableView.as_view(), name="otp-disable"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("account/sessions/end/", views.SessionsEndView.as_view(), name="sessions-end"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        views.TokenRevokeView.as_view(),
        name="token-revoke",
    ),
    path(
        "password-reset/",
        views.ResetRequestView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        views.ResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
