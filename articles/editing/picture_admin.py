"""The picture library in the admin: a grid of thumbnails, the focal point page, the chooser."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from articles.editing import tasks
from articles.editing.admin_guards import GuardedListMixin, search_words
from articles.editing.uploads import PictureField
from articles.models import EDIT_ANY, Picture

# No role carries the picture permissions, and adding them would change the roles: whoever
# may write stories (writers, editors, chiefs) may use and add to the library.
USE_LIBRARY = "articles.change_article"
# The chooser shows one screenful; a search narrows it down.
CHOOSER_LIMIT = 24


class PictureForm(forms.ModelForm):
    class Meta:
        model = Picture
        fields = ["image", "alt", "caption", "credit", "focus_x", "focus_y"]
        # The same checks and clean copy as a story's hero image.
        field_classes = {"image": PictureField}
        widgets = {
            # Django draws a file input under a legend, which names no input; say it here.
            "image": forms.ClearableFileInput(attrs={"aria-label": "Picture file"}),
            "focus_x": forms.NumberInput(attrs={"min": 0, "max": 100}),
            "focus_y": forms.NumberInput(attrs={"min": 0, "max": 100}),
        }


class UploadPictureForm(PictureForm):
    """A new picture added from the section editor's chooser: the file and its words."""

    class Meta(PictureForm.Meta):
        fields = ["image", "alt", "caption", "credit"]


@admin.register(Picture)
class PictureAdmin(GuardedListMixin, admin.ModelAdmin):
    form = PictureForm
    fieldsets = [
        (None, {"fields": ["image", "alt", "caption", "credit"]}),
        (
            "Focal point in numbers",
            {
                "fields": [("focus_x", "focus_y")],
                "description": "Once the picture is saved, click on it above (or use the arrow "
                "keys on it) to set where its subject is.",
            },
        ),
    ]
    search_fields = ["alt", "caption", "credit"]
    list_display = ["alt", "credit", "created_at"]
    list_per_page = 48
    # The grid has no checkboxes; a picture is deleted from its own page.
    actions = None

    class Media:
        css = {"all": ["css/picture-library.css"]}
        js = [forms.Script("js/focal-point.js", defer=True)]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        # The file is kept: stories that chose the picture hold its name as their hero image.
        # A different picture is a new upload.
        words = (None, {"fields": ["alt", "caption", "credit"]})
        return [words, *self.fieldsets[1:]]

    def get_urls(self):
        choose = self.admin_site.admin_view(require_safe(self.choose_view))
        upload = self.admin_site.admin_view(require_POST(self.upload_view))
        return [
            path("choose/", choose, name="articles_picture_choose"),
            path("upload/", upload, name="articles_picture_upload"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_story_count()

    def save_model(self, request, obj, form, change):
        obj.uploaded_by = obj.uploaded_by or request.user
        super().save_model(request, obj, form, change)
        if "image" in form.changed_data:
            tasks.make_thumbnail.enqueue(obj.pk)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, extra_context={"title": "Picture library", **(extra_context or {})}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        picture = self.get_object(request, object_id)
        extra = {**(extra_context or {})}
        if picture is not None:
            extra |= usage(picture, request.user)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def choose_view(self, request):
        """Answer the story form's chooser: the newest pictures, or those matching ?q=."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        pictures = self.get_queryset(request).search(search_words(request.GET.get("q", "")))
        return JsonResponse({"results": [chooser_entry(p) for p in pictures[:CHOOSER_LIMIT]]})

    def upload_view(self, request):
        """Add a picture to the library from the chooser; answer with it, or the form's errors."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadPictureForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = {name: list(messages) for name, messages in form.errors.items()}
            return JsonResponse({"errors": errors}, status=400)
        picture = form.save(commit=False)
        picture.uploaded_by = request.user
        picture.save()
        tasks.make_thumbnail.enqueue(picture.pk)
        return JsonResponse(chooser_entry(picture), status=201)

    # The library is shared by everyone who writes stories; deleting is for editors, and
    # only for a picture no story uses (its file is a story's hero image or in its text).
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(USE_LIBRARY)

    def has_add_permission(self, request):
        return request.user.has_perm(USE_LIBRARY)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(USE_LIBRARY)

    def has_delete_permission(self, request, obj=None):
        if not request.user.has_perm(EDIT_ANY):
            return False
        return obj is None or not obj.stories().exists()


def usage(picture: Picture, user) -> dict:
    """Return the stories using the picture that this user may open, and how many others do."""
    stories = picture.stories().order_by("headline")
    visible = list(stories.visible_to(user).only("pk", "headline", "deleted_at"))
    story_count = stories.count()
    return {
        "story_count": story_count,
        "hidden_story_count": story_count - len(visible),
        "visible_stories": [
            {
                "headline": story.headline,
                "url": reverse("admin:articles_article_change", args=[story.pk]),
                "in_trash": story.deleted_at is not None,
            }
            for story in visible
        ],
    }


def chooser_entry(picture: Picture) -> dict:
    """What the chooser needs to show a picture and fill a story's hero fields."""
    return {
        "id": picture.pk,
        "thumbnail": picture.thumbnail_url,
        "alt": picture.alt,
        "caption": picture.caption,
        "credit": picture.credit,
        "focus_x": picture.focus_x,
        "focus_y": picture.focus_y,
        "image": picture.image.name,
        "url": picture.image.url,
        "width": picture.width,
        "height": picture.height,
        "story_count": getattr(picture, "story_count", None),
    }
