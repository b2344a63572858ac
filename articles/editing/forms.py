from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from articles.editing.picture_chooser import PictureChooserWidget, use_picture_as_hero
from articles.editing.story_format import (
    MAX_STORY_BYTES,
    StoryFormatError,
    decode_story,
    parse_story,
)
from articles.editing.uploads import PictureField
from articles.models import Article, Notice, Picture, Tag


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
    hero_picture = forms.ModelChoiceField(
        queryset=Picture.objects.all(),
        required=False,
        widget=PictureChooserWidget,
        label="From the library",
        help_text="A picture uploaded once to the library: its file, alt text, caption, credit "
        "and focal point become this story's.",
    )
    # Set by the admin on a save from an older version: the merge and its conflicts.
    stale_save = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        # Django draws a picture field as a fieldset named by its legend; the file input in it
        # still needs a name of its own for screen readers.
        for name in ("hero_image", "social_image"):
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("aria-label", self.fields[name].label)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("notice_kind")) != bool(cleaned.get("notice_text", "").strip()):
            # On the field, not the form: the error then opens the folded notice panel.
            self.add_error(
                "notice_text",
                ValidationError(
                    "A notice to readers needs both its kind and its text.",
                    code="notice_incomplete",
                ),
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

    def clean_hero_picture(self):
        picture = self.cleaned_data.get("hero_picture")
        if picture and "hero_image" in self.changed_data:
            raise ValidationError(
                "Upload a picture or choose one from the library, not both.", code="two_pictures"
            )
        return picture

    def save(self, commit=True):
        # After the form has set the story's fields, so the library's words are not
        # overwritten by the (empty) hero fields posted beside the chooser.
        if self.cleaned_data.get("hero_picture") is not None:
            use_picture_as_hero(self.instance, self.cleaned_data["hero_picture"])
        return super().save(commit)

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
