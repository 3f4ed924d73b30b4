"""Forms of the responses pages (shape only; the services decide)."""

from django import forms
from django.utils.html import format_html

from responses.models import TemplateCategory, validate_template_key
from responses.services.templating import known_variables_help

# The variables a template's text may hold, from the one list the text is filled from
# (`responses.services.templating.VARIABLES`): it cannot name fewer or more than there are.
# Escaped: a form's help is written as HTML, and "{fact:<slug>}" would lose its "<slug>".
VARIABLES_HELP = format_html("Variables: {}.", known_variables_help())


class TemplateCreateForm(forms.Form):
    key = forms.CharField(
        label="Key",
        validators=[validate_template_key],
        widget=forms.TextInput(attrs={"maxlength": 80}),
        help_text="Use a built-in template's key to replace it for this clinic.",
    )
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=VARIABLES_HELP,
    )


class TemplateEditForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    category = forms.ChoiceField(label="Category", choices=TemplateCategory.choices)
    body = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 5}), help_text=VARIABLES_HELP
    )
    is_active = forms.BooleanField(label="In use", required=False)
