from adminsortable2.admin import SortableAdminBase, SortableStackedInline, SortableTabularInline
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

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


class BylineInline(SortableTabularInline):
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


class CallToActionInline(SortableTabularInline):
    model = ArticleCallToAction
    autocomplete_fields = ["call_to_action"]
    extra = 0
    verbose_name_plural = "Calls to action — reusable blocks, placed in the story"


@admin.register(Article)
class ArticleAdmin(SortableAdminBase, admin.ModelAdmin):
    form = ArticleAdminForm
    inlines = [BylineInline, SectionInline, TakeawayInline, CreditInline, CallToActionInline]
    prepopulated_fields = {"slug": ["headline"]}
    fieldsets = [
        ("The story", {"fields": ["headline", "slug", "dek", "desk", "tags"]}),
        (
            "Hero image",
            {
                "fields": ["hero_image", "hero_alt", "hero_caption", "hero_credit"],
                "description": "Optional. With a picture, alt text is required.",
            },
        ),
        ("Ending", {"fields": ["closing"]}),
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
                "<int:pk>/transition/<str:action>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="articles_article_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
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
