"""Forms of the responses pages (shape only; the services decide)."""

from django import forms

from responses.models import TemplateCategory


class TemplateCreateForm(forms.Form):
    key = forms.SlugField(
        label="Key",
        max_length=80,
        help_text="Use a built-in template's key to replace it for this clinic.",
    )
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Variables: {clinic_name}, {clinic_phone}, {clinic_email}, {contact_url}, "
        "{contact_line}, {fact:<slug>}, {relevant_facts}.",
    )


class TemplateEditForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 5}))
    is_active = forms.BooleanField(label="In use", required=False)
