from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError


class DecisionForm(forms.Form):
    """An editor's (or writer's) decision on a story's review page.

    The form carries the decision; articles/moderation/workflow.py judges it, and the view turns the
    workflow's refusals into errors on this form.
    """

    decision = forms.ChoiceField(widget=forms.RadioSelect, label="Your decision")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you request changes, or publish past a warning. "
        "The writer receives it by email.",
    )
    publish_at = forms.DateTimeField(
        label="Publish at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Only for “Schedule”: when readers may first see the story.",
    )
    # What the page showed: if the story moved on since, the decision is refused.
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, article, transitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.article = article
        self.fields["decision"].choices = [(t.action, t.label) for t in transitions]
        self.fields["seen"].initial = self.state_of(article)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "decision", "note", "publish_at", "seen", Submit("decide", "Record the decision")
        )

    @staticmethod
    def state_of(article) -> str:
        return f"{article.status}:{article.version}"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("seen") != self.state_of(self.article):
            # Form-wide, not on the hidden field, so that the user sees it.
            raise ValidationError(
                "This story changed since you opened this page: it is now "
                f"{self.article.get_status_display().lower()} at version {self.article.version}. "
                "Look at it again before deciding.",
                code="stale",
            )
        return cleaned


class PreviewLinkForm(forms.Form):
    label = forms.CharField(
        label="For whom", max_length=120, help_text="e.g. “Our lawyer” or “Source: Dr Ana Ruiz”."
    )
    days = forms.IntegerField(label="Valid for (days)", min_value=1, max_value=30, initial=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("label", "days", Submit("share", "Create a preview link"))


class ReviewerCommentForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=80)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="The editors see this in the story's history.",
    )
