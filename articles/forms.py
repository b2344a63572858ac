from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from articles.models import Article, Desk, Notice, Tag
from articles.story_format import MAX_STORY_BYTES, StoryFormatError, decode_story, parse_story
from articles.validators import PictureField


class TagSelectWidget(forms.SelectMultiple):
    """A tag box: the admin's own Select2 suggests existing tags and accepts new ones."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={
                "class": "tag-select",
                "data-suggest-url": reverse_lazy("admin:articles_article_tag_suggestions"),
                **(attrs or {}),
            }
        )

    def optgroups(self, name, value, attrs=None):
        # Only the story's own tags are options; the rest arrive as the editor types.
        self.choices = [(tag, tag) for tag in value]
        return super().optgroups(name, value, attrs)

    def format_value(self, value):
        if isinstance(value, str):
            value = [value]
        return [getattr(tag, "name", tag) for tag in value or []]

    @property
    def media(self):
        # The admin's bundled jQuery and Select2; names must match what the admin itself loads.
        suffix = "" if settings.DEBUG else ".min"
        return forms.Media(
            js=[
                f"admin/js/vendor/jquery/jquery{suffix}.js",
                f"admin/js/vendor/select2/select2.full{suffix}.js",
                "admin/js/jquery.init.js",
                "js/admin-tags.js",
            ],
            css={
                "screen": [
                    f"admin/css/vendor/select2/select2{suffix}.css",
                    "admin/css/autocomplete.css",
                ]
            },
        )


class TagNamesField(forms.MultipleChoiceField):
    """Free-form tag names: "#Ethical AI", "ethical-ai" and "EthicalAI" are the same tag."""

    widget = TagSelectWidget

    def valid_value(self, value):
        return True

    def clean(self, value):
        names = Tag.objects.canonical_names(super().clean(value))
        if any(len(name) > 100 for name in names):
            raise ValidationError("A tag can be at most 100 characters long.", code="tag_too_long")
        return names


class ArticleAdminForm(forms.ModelForm):
    tags = TagNamesField(
        required=False,
        help_text="Type to find a tag; press Enter or comma to add a new one. "
        "Readers see them as #HashTags.",
    )
    # The version this form was loaded at: a newer one in the database means someone
    # else saved in between, and this save is merged with theirs (ArticleAdmin).
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    notice_kind = forms.ChoiceField(
        label="Notice to readers",
        choices=[("", "No notice for this change"), *Notice.Kind.choices],
        required=False,
        help_text="For a change after publication: readers see it above the story, with the time.",
    )
    notice_text = forms.CharField(
        label="Notice text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed and why, e.g. “An earlier version misstated the grant's size.”",
    )
    # Set by the admin on a save from an older version: the merge and its conflicts.
    stale_save = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("notice_kind")) != bool(cleaned.get("notice_text", "").strip()):
            raise ValidationError(
                "A notice to readers needs both its kind and its text.", code="notice_incomplete"
            )
        if self.instance.pk:
            if cleaned.get("loaded_version") is None:
                # Without it, nothing tells this save from one that would overwrite a newer
                # version (a hand-made request did exactly that).
                raise ValidationError(
                    "This form does not say which version of the story it was opened at, so "
                    "it cannot be saved without risking someone else's changes. Copy your "
                    "changes, reload the story and make them again.",
                    code="version_missing",
                )
            if self.stale_save and self.stale_save.merge.conflicts:
                raise ValidationError(self.stale_save.conflict_message(), code="edit_conflict")
            self.check_for_conflict(cleaned["loaded_version"])
        return cleaned

    def check_for_conflict(self, loaded_version):
        # Lock the row: a second save waits here until the first has committed. The admin
        # merges a save from an older version before it gets here; any other is refused.
        current = Article.objects.select_for_update().get(pk=self.instance.pk)
        if current.version != loaded_version:
            raise ValidationError(
                "Someone saved this story after you opened it. Nothing of yours is saved: "
                "copy your changes, reload the story and make them again.",
                code="edit_conflict",
            )

    class Meta:
        model = Article
        fields = [
            "headline",
            "slug",
            "dek",
            "desk",
            "tags",
            "hero_image",
            "hero_alt",
            "hero_caption",
            "hero_credit",
            "hero_focus_x",
            "hero_focus_y",
            "closing",
            "seo_title",
            "seo_description",
            "social_image",
            "canonical_is_original",
            "assignee",
            "due_at",
            "priority",
        ]
        widgets = {"dek": forms.Textarea(attrs={"rows": 2})}
        # Our checks run before Django's image field opens the file, so a decompression
        # bomb is told it has too many pixels, not that it is "corrupted".
        field_classes = {"hero_image": PictureField, "social_image": PictureField}


def parse_new_story(text: str):
    """Parse an uploaded story, refusing one whose web address is taken."""
    try:
        story = parse_story(text)
    except StoryFormatError as error:
        raise ValidationError(
            f"This is not a story file we can read: {error}.", code="bad_story"
        ) from None
    if Article.objects.filter(slug=story.slug).exists():
        raise ValidationError(
            f"A story with the web address “{story.slug}” exists already. "
            "Edit that story instead, or change the headline in the file.",
            code="slug_taken",
        )
    return story


class StoryUploadForm(forms.Form):
    file = forms.FileField(
        label="Story file",
        help_text="A UTF-8 text file in the story format: headline on the first line, one "
        "paragraph or heading a line, “Key Takeaways”, #hashtags and -> credit lines.",
    )

    def clean(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return self.cleaned_data
        try:
            text = decode_story(upload.read(MAX_STORY_BYTES + 1))
        except StoryFormatError as error:
            raise ValidationError(
                f"This is not a story file we can read: {error}.", code="bad_file"
            ) from None
        self.cleaned_data["text"] = text
        self.cleaned_data["story"] = parse_new_story(text)
        return self.cleaned_data


class StoryConfirmForm(forms.Form):
    """Carries the checked text from the preview step to the save step."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=MAX_STORY_BYTES)

    def clean(self):
        text = self.cleaned_data.get("text")
        if text is not None:
            self.cleaned_data["story"] = parse_new_story(text)
        return self.cleaned_data


class DecisionForm(forms.Form):
    """An editor's (or writer's) decision on the desk's review page.

    The form carries the decision; articles/workflow.py judges it, and the view turns the
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
