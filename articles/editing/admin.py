"""The story admin: ArticleAdmin's form, list, permissions, trash and saving."""

from adminsortable2.admin import SortableAdminBase
from django import forms
from django.contrib import admin
from django.contrib.admin import actions as admin_actions
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html

from articles.editing import stories, story_history
from articles.editing.admin_guards import GuardedListMixin, search_words
from articles.editing.admin_inlines import (
    BylineInline,
    CallToActionInline,
    CreditInline,
    ReadNextInline,
    SectionInline,
    TakeawayInline,
)
from articles.editing.admin_stale_saves import StaleSaveMixin
from articles.editing.admin_views import ArticleAdminViews
from articles.editing.autosave import AutosaveAdminMixin
from articles.editing.forms import ArticleAdminForm
from articles.editing.link_chooser import LinkChooserAdminMixin
from articles.editing.live_preview import LivePreviewAdminMixin
from articles.models import EDIT_ANY, Article, Byline, Notice
from articles.moderation import quality, workflow
from articles.reader import search

# How long "also open by …" on the change page remembers a visitor.
PRESENCE_SECONDS = 15 * 60


class SortableAdmin(GuardedListMixin, SortableAdminBase, admin.ModelAdmin):
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


class TrashFilter(admin.SimpleListFilter):
    title = "trash"
    parameter_name = "trash"

    def lookups(self, request, model_admin):
        return [("yes", "In the trash")]

    def queryset(self, request, queryset):
        # The admin's queryset keeps trashed stories out unless this filter asks for them.
        return queryset


def note_presence(article, user) -> list[tuple[str, object]]:
    """Remember that this user has the story open; return who else had it open lately."""
    key = f"newsroom:editing:{article.pk}"
    now = timezone.now()
    present = {
        user_id: (name, seen)
        for user_id, (name, seen) in (cache.get(key) or {}).items()
        if (now - seen).total_seconds() < PRESENCE_SECONDS
    }
    others = [(name, seen) for user_id, (name, seen) in present.items() if user_id != user.pk]
    present[user.pk] = (user.get_full_name() or user.get_username(), now)
    cache.set(key, present, PRESENCE_SECONDS)
    return others


def offers_notice(obj) -> bool:
    """A story that readers have seen can carry a notice about the change being saved."""
    return obj is not None and obj.status in (
        Article.Status.PUBLISHED,
        Article.Status.UNPUBLISHED,
        Article.Status.ARCHIVED,
    )


@admin.register(Article)
class ArticleAdmin(
    LinkChooserAdminMixin,
    LivePreviewAdminMixin,
    ArticleAdminViews,
    AutosaveAdminMixin,
    StaleSaveMixin,
    SortableAdmin,
):
    form = ArticleAdminForm
    inlines = [
        BylineInline,
        SectionInline,
        TakeawayInline,
        CreditInline,
        CallToActionInline,
        ReadNextInline,
    ]
    prepopulated_fields = {"slug": ["headline"]}
    readonly_fields = [
        "status",
        "published_at",
        "updated_at",
        "reading_time",
        "history",
        "hero_preview",
    ]
    list_display = [
        "headline",
        "status",
        "desk",
        "byline_names",
        "assignee",
        "published_at",
        "updated_at",
    ]
    list_filter = ["status", "desk", "tags", "authors", TrashFilter]
    list_select_related = ["desk", "assignee"]
    # body_text is the plain text of every section, kept on the story: no join, no DISTINCT.
    search_fields = ["headline", "dek", "body_text"]
    date_hierarchy = "published_at"  # its years: templatetags/story_admin.py
    # A row costs about 1 ms to draw: 50 keep the list at 100,000 stories under 100 ms.
    list_per_page = 50
    # One count of the filtered list is enough; counting the whole table again costs at scale.
    show_full_result_count = False
    actions = ["delete_selected", "restore_selected"]
    # The writing screen (change_form.html), by fieldset name and inline formset prefix: the
    # story's own parts in reading order; beside them what is about the story; below, folded
    # until opened, what is seldom changed while writing.
    story_layout = {
        "main": ["The story", "sections", "takeaways", "Ending", "credits", "cta_placements"],
        "side": ["Desk and tags", "bylines", "Hero image", "read_next"],
        "folded": [
            "Search engines and sharing",
            "Notice to readers",
            "Assignment",
            "Publication details",
            "History",
        ],
    }

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/story-editor.js"]

    def get_fieldsets(self, request, obj=None):
        hero_fields = ["hero_picture", "hero_image", "hero_alt", "hero_caption", "hero_credit"]
        if obj is not None and obj.hero_image:
            hero_fields.insert(0, "hero_preview")
        folded = ["collapse"]
        fieldsets = [
            ("The story", {"fields": ["headline", "dek", "loaded_version"]}),
            ("Desk and tags", {"fields": ["desk", "tags"]}),
            ("Ending", {"fields": ["closing"]}),
            (
                "Hero image",
                {
                    "fields": [*hero_fields, ("hero_focus_x", "hero_focus_y")],
                    "description": "Optional. With a picture, alt text is required.",
                },
            ),
            (
                "Search engines and sharing",
                {
                    "fields": [
                        "slug",
                        "seo_title",
                        "seo_description",
                        "social_image",
                        "canonical_is_original",
                    ],
                    "classes": folded,
                    "description": "Optional. Empty fields use the headline, dek and hero image.",
                },
            ),
            (
                "Publication details",
                {
                    "fields": ["status", "published_at", "updated_at", "reading_time"],
                    "classes": folded,
                },
            ),
        ]
        if offers_notice(obj):
            fieldsets.append(
                (
                    "Notice to readers",
                    {"fields": ["notice_kind", "notice_text"], "classes": folded},
                )
            )
        # Writers cannot assign work: the fields are not in their form at all.
        if request.user.has_perm(EDIT_ANY):
            fieldsets.append(
                ("Assignment", {"fields": ["assignee", "due_at", "priority"], "classes": folded})
            )
        if obj is not None:
            fieldsets.append(("History", {"fields": ["history"], "classes": folded}))
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not offers_notice(obj):
            form.base_fields.pop("notice_kind", None)
            form.base_fields.pop("notice_text", None)
        if stale_save := getattr(request, "stale_save", None):
            form = type(form.__name__, (form,), {"stale_save": stale_save})
        return form

    def get_queryset(self, request):
        articles = (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )
        in_trash = request.GET.get("trash") == "yes"
        if in_trash and request.user.has_perm("articles.restore_article"):
            articles = articles.filter(deleted_at__isnull=False)
        else:
            articles = articles.filter(deleted_at__isnull=True)
        return articles.visible_to(request.user)

    def get_object(self, request, object_id, from_field=None):
        # Look beyond the writer's own list, so another writer's story is a clear 403
        # (has_view_permission says no) rather than a "does not exist" redirect.
        try:
            return Article.objects.live().get(pk=object_id)
        except (Article.DoesNotExist, ValueError):
            return None

    def get_search_results(self, request, queryset, search_term):
        """Search by whole words with the search index, as readers do."""
        search_term = search_words(search_term)
        if not search_term:
            return queryset, False
        # Counting and dating every story a common word matches costs more than the list:
        # the newest MAX_RESULTS matches are listed, as on the readers' search page.
        return queryset.filter(pk__in=search.newest_matches(queryset, search_term)), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"search_limit": search.MAX_RESULTS, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_list_filter(self, request):
        if request.user.has_perm("articles.restore_article"):
            return self.list_filter
        return [f for f in self.list_filter if f is not TrashFilter]

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or workflow.can_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or workflow.can_edit(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.deleted_at is None)

    def has_restore_permission(self, request):
        return request.user.has_perm("articles.restore_article")

    @admin.action(
        description="Restore the selected stories from the trash", permissions=["restore"]
    )
    def restore_selected(self, request, queryset):
        for article in queryset.filter(deleted_at__isnull=False):
            workflow.restore_from_trash(article, by=request.user)
        self.message_user(request, "Restored from the trash.")

    def get_deleted_objects(self, objs, request):
        """Deleting moves stories to the trash and deletes nothing else, so the confirmation
        lists only the stories. Django's own list would ask for permission to delete their
        revisions, history and preview links, which a chief does not (and need not) have."""
        stories = [str(story) for story in objs]
        return stories, {Article._meta.verbose_name_plural: len(stories)}, set(), []

    @admin.action(description="Move selected stories to the trash", permissions=["delete"])
    def delete_selected(self, request, queryset):
        """Django's own action and confirmation page, named for what delete_queryset does."""
        return admin_actions.delete_selected(self, request, queryset)

    def delete_model(self, request, obj):
        workflow.trash(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            workflow.trash(article, by=request.user)

    @admin.display(description="bylines")
    def byline_names(self, article):
        return ", ".join(byline.author.name for byline in article.bylines.all())

    @admin.display(description="reading time")
    def reading_time(self, article):
        if not article.pk:
            return "—"
        return f"{article.reading_minutes} min ({article.word_count:,} words)"

    @admin.display(description="latest decisions")
    def history(self, article):
        # The last few decisions only: the whole story of the story is on its History page.
        return story_history.recent_history(article)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("notice_kind"):
            Notice.objects.create(
                article=obj,
                kind=form.cleaned_data["notice_kind"],
                text=form.cleaned_data["notice_text"].strip(),
                created_by=request.user,
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The formsets have saved the parts: what every save then needs is the write path's.
        stories.finish_save(form.instance, by=request.user, summary="Saved in the admin")

    @admin.display(description="current picture")
    def hero_preview(self, article):
        # The smallest resized copy when there is one: the original may be megabytes.
        renditions = (article.hero_renditions or {}).get("fallback") or [{}]
        url = renditions[0].get("url") or article.hero_image.url
        return format_html('<img class="story-thumb" src="{}" alt="{}">', url, article.hero_alt)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        parts = {
            fieldset.name: ("fieldset", fieldset, index)
            for index, fieldset in enumerate(context["adminform"])
        }
        parts |= {
            inline.formset.prefix: ("inline", inline, None)
            for inline in context["inline_admin_formsets"]
        }
        for column, names in self.story_layout.items():
            context[f"story_{column}"] = [parts.pop(name) for name in names if name in parts]
        # A part the layout does not name yet still shows, at the end of the story column.
        context["story_main"] += parts.values()
        if obj is not None:
            context.update(self.story_panel_context(request, obj))
        self.add_stale_save_context(request, context)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def story_panel_context(self, request, article):
        """What the side panel says about the story: status, buttons, checks, who and when."""
        context = {
            # Actions that need a note or a time are taken on the review page.
            "workflow_actions": [
                t
                for t in workflow.allowed_actions(article, request.user)
                if not (t.needs_note or t.needs_time)
            ],
            "others_here": note_presence(article, request.user),
            "latest_revision": article.revisions.select_related("created_by").first(),
            "quality": quality.check_quality(article),
        }
        context["change_request"] = workflow.open_change_requests([article]).get(article.pk)
        return context
