from django import forms
from django.core.exceptions import ValidationError

from articles.importers import MAX_STORY_BYTES, StoryFormatError, decode_story, parse_story
from articles.models import Article


class ArticleAdminForm(forms.ModelForm):
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
