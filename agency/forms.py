"""Forms of the staff pages: they check shape; the services decide."""

from django import forms

from accounts.models import Scope
from agency.models import AgencyRole


class StaffAddForm(forms.Form):
    email = forms.EmailField(max_length=254, label="E-mail")
    full_name = forms.CharField(label="Full name", max_length=200)
    role = forms.ChoiceField(label="Role", choices=AgencyRole.choices, initial=AgencyRole.WRITER)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Key name", max_length=100)
    scopes = forms.MultipleChoiceField(
        label="Scopes", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )


def apply_domain_errors(form: forms.Form, exc) -> None:
    """Put a service's field errors on the form (unknown fields go to the form itself)."""
    for name, messages in (exc.fields or {}).items():
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(name if name in form.fields else None, str(message))
    if not exc.fields:
        form.add_error(None, exc.detail)
