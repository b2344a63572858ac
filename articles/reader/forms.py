from django import forms

from articles.models import Desk

CONTROL_CHARACTERS = dict.fromkeys(range(32)) | {127: None}


class SearchForm(forms.Form):
    """The reader's search box and filters. Anything typed gives a page, never an error."""

    MAX_QUERY = 200

    q = forms.CharField(label="Search for", required=False)
    desk = forms.ModelChoiceField(
        queryset=Desk.objects.all(), to_field_name="slug", required=False, empty_label="All desks"
    )
    tag = forms.SlugField(required=False, allow_unicode=True, max_length=100)
    published_after = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    published_before = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_q(self):
        # Control characters are dropped and very long queries cut, rather than refused.
        text = self.cleaned_data["q"].translate(CONTROL_CHARACTERS)
        return " ".join(text.split())[: self.MAX_QUERY]
