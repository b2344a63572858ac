from adminsortable2.admin import (
    CustomInlineFormSet,
    SortableAdminBase,
    SortableStackedInline,
    SortableTabularInline,
)
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from taggit.models import Tag as TaggitTag

from articles import workflow
from articles.forms import ArticleAdminForm, StoryConfirmForm, StoryUploadForm
from articles.importers import save_story
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    CallToAction,
    Credit,
    Desk,
    Section,
    Tag,
    Takeaway,
)

TAG_SUGGESTIONS = 20

# Stories use articles.Tag; taggit's own tag model stays empty, so keep it off the menu.
admin.site.unregister(TaggitTag)


class SortableAdmin(SortableAdminBase, admin.ModelAdmin):
    """django-admin-sortable2 2.3 asks for a Django 6.1 script it does not ship; the 6.0 one fits.

    Without this, ManifestStaticFilesStorage (production) fails on the missing file.
    """

    @property
    def media(self):
        media = super().media
        scripts = [
            "adminsortable2/js/actions-6.0.js" if js == "adminsortable2/js/actions-6.1.js" else js
            for js in media._js
        ]
        return forms.Media(css=media._css, js=scripts)


class RowAutocompleteSelect(AutocompleteSelect):
    """An autocomplete box that shows the row's current choice without querying for it.

    Django's box looks up its selected option with one query per row; a story with many
    bylines would cost one query each.
    """

    known_objects: dict = {}

    def optgroups(self, name, value, attr=None):
        selected = [str(v) for v in value if v not in ("", None)]
        if not selected or not all(pk in self.known_objects for pk in selected):
            return super().optgroups(name, value, attr)
        label = self.choices.field.label_from_instance
        options = [
            self.create_option(name, pk, label(self.known_objects[pk]), True, index)
            for index, pk in enumerate(selected)
        ]
        return [(None, options, 0)]


class RowObjectsFormSet(CustomInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk:
            for name, field in form.fields.items():
                widget = getattr(field.widget, "widget", field.widget)
                if isinstance(widget, RowAutocompleteSelect):
                    related = getattr(form.instance, name)
                    widget.known_objects = {str(related.pk): related}
        return form


class AutocompleteRowsMixin:
    """Sortable inline rows whose autocomplete fields cost no query per row."""

    formset = RowObjectsFormSet

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.autocomplete_fields)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = RowAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BylineInline(AutocompleteRowsMixin, SortableTabularInline):
    model = Byline
    autocomplete_fields = ["author"]
    extra = 0
    min_num = 1
    verbose_name = "byline"
    verbose_name_plural = "Bylines — drag to change the order names appear in"


class SectionInline(SortableStackedInline):
    model = Section
    fields = ["heading", "body", "anchor"]
    extra = 0
    verbose_name_plural = "Sections — the first one without a heading is the intro"


class TakeawayInline(SortableTabularInline):
    model = Takeaway
    extra = 0
    verbose_name_plural = "Key takeaways — shown as a numbered list"


class CreditInline(SortableTabularInline):
    model = Credit
    extra = 0
    verbose_name_plural = "Credits — “Original article and inspiration provided by …”"


class CallToActionInline(AutocompleteRowsMixin, SortableTabularInline):
    model = ArticleCallToAction
    autocomplete_fields = ["call_to_action"]
    extra = 0
    verbose_name_plural = "Calls to action — reusable blocks, placed in the story"


@admin.register(Article)
class ArticleAdmin(SortableAdmin):
    form = ArticleAdminForm
    inlines = [BylineInline, SectionInline, TakeawayInline, CreditInline, CallToActionInline]
    prepopulated_fields = {"slug": ["headline"]}
    fieldsets = [
        ("The story", {"fields": ["headline", "slug", "dek", "desk", "tags"]}),
        ("Ending", {"fields": ["closing"]}),
        (
            "Hero image",
            {
                "fields": ["hero_image", "hero_alt", "hero_caption", "hero_credit"],
                "description": "Optional. With a picture, alt text is required.",
            },
        ),
        (
            "Publication",
            {"fields": ["status", "published_at", "updated_at", "reading_time"]},
        ),
    ]
    readonly_fields = ["status", "published_at", "updated_at", "reading_time"]
    list_display = ["headline", "status", "desk", "byline_names", "published_at", "updated_at"]
    list_filter = ["status", "desk", "tags", "authors"]
    list_select_related = ["desk"]
    search_fields = ["headline", "dek", "sections__body"]
    date_hierarchy = "published_at"
    save_on_top = True
    # The change form follows the story's reading order: fieldsets (by name) and inline
    # parts (by formset prefix) interleaved.
    story_layout = [
        "The story",
        "bylines",
        "sections",
        "takeaways",
        "Ending",
        "credits",
        "cta_placements",
        "Hero image",
        "Publication",
    ]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )

    @admin.display(description="bylines")
    def byline_names(self, article):
        return ", ".join(byline.author.name for byline in article.bylines.all())

    @admin.display(description="reading time")
    def reading_time(self, article):
        if not article.pk:
            return "—"
        return f"{article.reading_minutes} min ({article.word_count:,} words)"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The word count covers the sections and takeaways, saved only now.
        form.instance.refresh_word_count()

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="articles_article_import",
            ),
            path(
                "tags/suggest/",
                self.admin_site.admin_view(self.tag_suggestions_view),
                name="articles_article_tag_suggestions",
            ),
            path(
                "<int:pk>/transition/<str:action>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="articles_article_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        parts = {
            fieldset.name: ("fieldset", fieldset, index)
            for index, fieldset in enumerate(context["adminform"])
        }
        parts |= {
            inline.formset.prefix: ("inline", inline, None)
            for inline in context["inline_admin_formsets"]
        }
        context["story_layout"] = [parts[name] for name in self.story_layout if name in parts]
        if obj is not None:
            context["workflow_actions"] = [
                (action, workflow.ACTION_LABELS[action])
                for action in workflow.allowed_actions(obj, request.user)
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def transition_view(self, request, pk, action):
        article = get_object_or_404(Article, pk=pk)
        if action not in workflow.ACTIONS:
            raise PermissionDenied
        try:
            workflow.ACTIONS[action](article, by=request.user)
        except workflow.InvalidTransition as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, f"“{article}” is now {article.get_status_display().lower()}."
            )
        return redirect("admin:articles_article_change", article.pk)

    def tag_suggestions_view(self, request):
        """Existing tags starting with what the editor typed, for the tag box."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        term = request.GET.get("term", "").strip().lstrip("#")[:100]
        names = Tag.objects.filter(name__istartswith=term).values_list("name", flat=True)
        return JsonResponse(
            {"results": [{"id": name, "text": name} for name in names[:TAG_SUGGESTIONS]]}
        )

    def import_view(self, request):
        """Upload a story file, check what was parsed, then save it as a draft."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        upload_form, confirm_form, story = StoryUploadForm(), None, None
        if request.method == "POST" and "confirm" in request.POST:
            confirm_form = StoryConfirmForm(request.POST)
            if confirm_form.is_valid():
                article = save_story(confirm_form.cleaned_data["story"])
                self.log_addition(request, article, [{"added": {}}])
                self.message_user(
                    request, f"Imported “{article}” as a draft. Add bylines and check it."
                )
                return redirect("admin:articles_article_change", article.pk)
            story = None
        elif request.method == "POST":
            upload_form = StoryUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                story = upload_form.cleaned_data["story"]
                confirm_form = StoryConfirmForm(initial={"text": upload_form.cleaned_data["text"]})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a story file",
            "upload_form": upload_form,
            "confirm_form": confirm_form,
            "story": story,
        }
        return TemplateResponse(request, "admin/articles/article/import.html", context)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "job_title", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["name", "story_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(story_count=Count("articles"))

    @admin.display(description="stories", ordering="story_count")
    def story_count(self, desk):
        return desk.story_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "hashtag", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CallToAction)
class CallToActionAdmin(admin.ModelAdmin):
    list_display = ["name", "text", "button_label", "url", "use_count"]
    search_fields = ["name", "text", "organisation"]
    fields = ["name", "text", "organisation", "button_label", "url", "used_in"]
    readonly_fields = ["used_in"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(use_count=Count("placements"))

    @admin.display(description="used in", ordering="use_count")
    def use_count(self, cta):
        return cta.use_count

    @admin.display(description="used in these stories")
    def used_in(self, cta):
        articles = Article.objects.filter(cta_placements__call_to_action=cta).distinct()
        if not articles:
            return "No story uses this block yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:articles_article_change", args=[a.pk]),
                        a.headline,
                        a.get_status_display(),
                    )
                    for a in articles
                ),
            ),
        )
