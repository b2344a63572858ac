from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from articles.importers import MAX_STORY_BYTES, StoryFormatError, decode_story, parse_story
from articles.models import Article


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
    """Free-form tag names: "#EthicalAI" and "EthicalAI" are the same tag."""

    widget = TagSelectWidget

    def valid_value(self, value):
        return True

    def clean(self, value):
        names = {}
        for raw in super().clean(value):
            name = raw.strip().lstrip("#").strip()
            if len(name) > 100:
                raise ValidationError(
                    "A tag can be at most 100 characters long.", code="tag_too_long"
                )
            if name:
                names.setdefault(name.lower(), name)
        return list(names.values())


class ArticleAdminForm(forms.ModelForm):
    tags = TagNamesField(
        required=False,
        help_text="Type to find a tag; press Enter or comma to add a new one. "
        "Readers see them as #HashTags.",
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
            "closing",
        ]
        widgets = {"dek": forms.Textarea(attrs={"rows": 2})}


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
