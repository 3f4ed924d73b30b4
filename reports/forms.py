from django import forms

from reports.models import EXTRA_RECIPIENTS_MAX


class ReportSettingsForm(forms.Form):
    send_monthly = forms.BooleanField(
        required=False,
        label="Send the monthly report automatically",
        help_text="On the 1st of each month at 08:00 in the clinic's time zone, last month's "
        "report goes to the clinic: its approvers and the addresses below by e-mail, with the "
        "PDF; all its people in the portal. A month already sent is not sent again.",
    )
    extra_recipients = forms.CharField(
        required=False,
        label="Also e-mail the report to",
        help_text=f"Up to {EXTRA_RECIPIENTS_MAX} addresses, one per line (a practice owner, a "
        "board). They receive the PDF; they have no portal account.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
