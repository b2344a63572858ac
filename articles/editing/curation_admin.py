"""Front-page picks: editors choose which published stories lead the home page or a desk's page."""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Exists, OuterRef
from django.urls import path, reverse
from django.utils import timezone

from articles.editing.admin_guards import GuardedListMixin
from articles.editing.library_admin import ShownToReadersMixin
from articles.models import Article, Pin
from articles.moderation import workflow
from articles.moderation.quality import check_quality


class PublishedStoryAutocomplete(AutocompleteJsonView):
    """The story chooser's suggestions: only stories readers can see can be picked."""

    def has_perm(self, request, obj=None):
        return workflow.can_curate(request.user) and super().has_perm(request, obj)

    def get_queryset(self):
        return super().get_queryset().published()


class PublishedStorySelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        # An empty first option, as HTML wants of a required single <select>; Django's
        # autocomplete leaves it out when the field is required.
        groups = super().optgroups(name, value, attr)
        if not value or value == [None] or value == [""]:
            groups.insert(0, (None, [self.create_option(name, "", "Choose a story", False, 0)], 0))
        return groups

    def get_url(self):
        return reverse(f"{self.admin_site.name}:articles_pin_story_autocomplete")


class PinForm(forms.ModelForm):
    class Meta:
        model = Pin
        fields = ["article", "desk", "position", "ends_at"]
        labels = {"article": "Story", "desk": "Page", "ends_at": "Ends"}
        help_texts = {"article": "A published story: type words from its headline."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "desk" in self.fields:
            self.fields["desk"].empty_label = "The home page"

    def clean_article(self):
        article = self.cleaned_data["article"]
        if not Article.objects.published().filter(pk=article.pk).exists():
            raise forms.ValidationError(
                "This story is not published, so readers cannot see it: only a published "
                "story can be featured.",
                code="unpublished",
            )
        problems = check_quality(article).errors
        if problems:
            raise forms.ValidationError(
                "This story cannot be featured until it passes the quality gate: "
                + " ".join(problems),
                code="quality",
            )
        return article

    def clean_ends_at(self):
        ends_at = self.cleaned_data["ends_at"]
        # Checked only when typed: an old pick whose end has passed can still be reordered.
        if ends_at and "ends_at" in self.changed_data and ends_at <= timezone.now():
            raise forms.ValidationError(
                "The end must be in the future: leave it empty to keep the story featured "
                "until you remove it.",
                code="ended",
            )
        return ends_at

    def clean(self):
        cleaned = super().clean()
        article, desk = cleaned.get("article"), cleaned.get("desk")
        if article and desk and article.desk_id != desk.pk:
            # A desk's page lists only that desk's stories, so the pick would never show.
            raise forms.ValidationError(
                f"This story is not on the {desk.name} desk: feature it on its own desk's page "
                "or on the home page.",
                code="other_desk",
            )
        # Checked here, not by a constraint: the home page's picks have no desk, and NULLs
        # never count as equal in a unique constraint.
        if article and (self.instance.pk is None or {"article", "desk"} & set(self.changed_data)):
            others = Pin.objects.filter(article=article, desk=desk).exclude(pk=self.instance.pk)
            if others.exists():
                page = desk.name if desk else "the home page"
                raise forms.ValidationError(
                    f"This story is already featured on {page}: change that pick instead.",
                    code="duplicate",
                )
        return cleaned


class PinListForm(PinForm):
    """A pick's row in the list: its position box is named for the story, since the list
    draws no label beside it (the column heading is not one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "position" in self.fields:
            label = f"Position of {self.instance.article.headline}"
            self.fields["position"].widget.attrs["aria-label"] = label


@admin.register(Pin)
class PinAdmin(ShownToReadersMixin, GuardedListMixin, admin.ModelAdmin):
    form = PinForm
    fields = ["article", "desk", "position", "ends_at"]
    list_display = ["page", "story", "position", "ends_at", "status"]
    list_display_links = ["story"]
    list_editable = ["position", "ends_at"]
    list_filter = ["desk"]
    list_select_related = ["article", "desk"]
    ordering = ["desk__name", "position", "-created_at"]

    def get_urls(self):
        autocomplete = self.admin_site.admin_view(
            PublishedStoryAutocomplete.as_view(admin_site=self.admin_site)
        )
        return [
            path("story-autocomplete/", autocomplete, name="articles_pin_story_autocomplete"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        published = Article.objects.published().filter(pk=OuterRef("article_id"))
        return super().get_queryset(request).annotate(story_is_published=Exists(published))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            kwargs["widget"] = PublishedStorySelect(db_field, self.admin_site)
            kwargs["queryset"] = Article.objects.live()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist_form(self, request, **kwargs):
        # Django's list editing builds a bare form; keep the same checks as the pick's page.
        return super().get_changelist_form(request, form=PinListForm, **kwargs)

    def get_changeform_initial_data(self, request):
        # "Feature on the home page" links here with ?article=<id>; take nothing else.
        story = request.GET.get("article", "")
        return {"article": story} if story.isascii() and story.isdigit() else {}

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="page", ordering="desk__name")
    def page(self, pin):
        return pin.desk.name if pin.desk_id else "Home page"

    @admin.display(description="story", ordering="article__headline")
    def story(self, pin):
        return pin.article.headline

    @admin.display(description="status")
    def status(self, pin):
        if not pin.story_is_published:
            return "Hidden: the story is not published"
        if pin.ends_at and pin.ends_at <= timezone.now():
            return "Ended"
        return "Showing"

    # Editors curate (workflow.can_curate); writers do not see the picks at all.
    def has_view_permission(self, request, obj=None):
        return workflow.can_curate(request.user)

    def has_add_permission(self, request):
        return workflow.can_curate(request.user)

    def has_change_permission(self, request, obj=None):
        return workflow.can_curate(request.user)

    def has_delete_permission(self, request, obj=None):
        return workflow.can_curate(request.user)
