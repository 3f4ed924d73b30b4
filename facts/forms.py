"""Forms of the fact sheet page (shape only; the services decide)."""

from django import forms

STATEMENT_HELP = (
    "One or two short sentences a reply can quote as they are (500 characters at most)."
)


class FactForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    statement = forms.CharField(
        label="Statement",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=STATEMENT_HELP,
    )
    source = forms.CharField(
        label="Where it comes from (optional)",
        max_length=300,
        required=False,
        help_text="A policy, an inspection, a license registry…",
    )
    source_url = forms.URLField(
        label="Source link (optional)", max_length=1000, required=False, assume_scheme="https"
    )
    topics = forms.CharField(
        label="Topics (optional)",
        max_length=400,
        required=False,
        help_text="Scoring topics this fact answers, separated by commas (e.g. cleanliness).",
    )

    def clean_topics(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["topics"].split(",") if t.strip()]


class FactCreateForm(FactForm):
    slug = forms.SlugField(
        label="Slug (optional)",
        max_length=80,
        required=False,
        help_text="How replies cite it: {fact:the-slug}. Made from the title when left empty.",
    )
    confirm = forms.BooleanField(
        label="Confirmed: replies may cite it from now on",
        required=False,
        initial=True,
    )

    field_order = ["title", "slug", "statement", "source", "source_url", "topics", "confirm"]
