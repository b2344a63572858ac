"""Choosing a library picture for a story: the form widget, and what choosing one changes."""

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from articles.models import Article, Picture


class PictureChooserWidget(forms.HiddenInput):
    """A "Choose from the library" button and a hidden input holding the chosen picture's id.

    static/js/picture-chooser.js opens a searchable grid from the admin's chooser
    (PictureAdmin.choose_view) and, on a choice, shows the thumbnail and fills the input.
    """

    template_name = "admin/articles/picture/chooser_widget.html"
    # The input is hidden, the chooser is not: the admin must draw the field's row.
    is_hidden = False

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "picture-chooser__input", **(attrs or {})})

    def id_for_label(self, id_):
        # No "for": a label may not name a hidden input, and the button names itself.
        return None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = str(value or "")
        context["chosen"] = (
            Picture.objects.filter(pk=chosen).first()
            if chosen.isascii() and chosen.isdigit()
            else None
        )
        context["choose_url"] = reverse("admin:articles_picture_choose")
        # The help text describes the button a person uses; a hidden input may carry no aria-*.
        attrs = context["widget"]["attrs"]
        context["button_describedby"] = attrs.pop("aria-describedby", "")
        attrs.pop("aria-invalid", None)
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates, not the form renderer's: that one sees only the apps'.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))

    @property
    def media(self):
        return forms.Media(
            css={"all": ["css/picture-library.css"]},
            js=[forms.Script("js/picture-chooser.js", defer=True)],
        )


def use_picture_as_hero(article: Article, picture: Picture) -> None:
    """Make the picture the story's hero: its file, size, words and focal point.

    Only the fields change; the caller saves the story through the write path, which makes
    the renditions. The story keeps copies, so a later edit in the library leaves it alone.
    """
    article.hero_image = picture.image.name
    article.hero_width, article.hero_height = picture.width, picture.height
    article.hero_alt = picture.alt
    article.hero_caption = picture.caption
    article.hero_credit = picture.credit
    article.hero_focus_x, article.hero_focus_y = picture.focus_x, picture.focus_y
