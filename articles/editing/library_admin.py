"""The library admins: authors, desks, tags, notices, preview links, calls to action, staff."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from taggit.models import Tag as TaggitTag

from articles.delivery import cache as page_cache
from articles.editing.admin_guards import GuardedListMixin
from articles.models import Article, Author, CallToAction, Desk, Notice, PreviewLink, Tag

# Stories use articles.Tag; taggit's own tag model stays empty, so keep it off the menu.
admin.site.unregister(TaggitTag)


class ShownToReadersMixin:
    """For rows that reader pages show: every change made here refreshes those pages."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        page_cache.pages_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        page_cache.pages_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        page_cache.pages_changed()


@admin.register(Author)
class AuthorAdmin(ShownToReadersMixin, GuardedListMixin, admin.ModelAdmin):
    list_display = ["name", "job_title", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Desk)
class DeskAdmin(ShownToReadersMixin, GuardedListMixin, admin.ModelAdmin):
    list_display = ["name", "story_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(story_count=Count("articles"))

    @admin.display(description="stories", ordering="story_count")
    def story_count(self, desk):
        return desk.story_count


@admin.register(Tag)
class TagAdmin(ShownToReadersMixin, GuardedListMixin, admin.ModelAdmin):
    list_display = ["name", "hashtag", "is_internal", "story_count"]
    list_filter = ["is_internal"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description", "is_internal"]
    actions = ["merge_tags"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(story_count=Count("tagged_articles"))

    @admin.display(description="stories", ordering="story_count")
    def story_count(self, tag):
        return tag.story_count

    @admin.action(
        description="Merge the selected tags into the most used one", permissions=["change"]
    )
    def merge_tags(self, request, queryset):
        tags = list(queryset.order_by("-story_count", "pk"))
        if len(tags) < 2:
            self.message_user(request, "Select at least two tags to merge.", messages.WARNING)
            return
        survivor, duplicates = tags[0], tags[1:]
        names = ", ".join(tag.hashtag for tag in duplicates)
        moved = survivor.absorb(duplicates)
        page_cache.pages_changed()
        self.message_user(
            request, f"Merged {names} into {survivor.hashtag}; {moved} stories moved."
        )


@admin.register(Notice)
class NoticeAdmin(ShownToReadersMixin, GuardedListMixin, admin.ModelAdmin):
    list_display = ["article", "kind", "text", "created_at", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["article", "created_by"]
    fields = ["article", "kind", "text"]
    autocomplete_fields = ["article"]

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(PreviewLink)
class PreviewLinkAdmin(GuardedListMixin, admin.ModelAdmin):
    list_display = ["article", "label", "created_by", "expires_at", "revoked_at", "visit_count"]
    list_select_related = ["article", "created_by"]
    readonly_fields = ["article", "label", "created_by", "created_at", "expires_at", "revoked_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(visit_count=Count("visits"))

    @admin.display(description="visits")
    def visit_count(self, link):
        return link.visit_count

    def has_add_permission(self, request):
        return False  # links are made on the story's review page


@admin.register(CallToAction)
class CallToActionAdmin(ShownToReadersMixin, GuardedListMixin, admin.ModelAdmin):
    list_display = ["name", "text", "button_label", "url", "showing", "use_count"]
    search_fields = ["name", "text", "organisation"]
    fieldsets = [
        (None, {"fields": ["name", "text", "organisation", "button_label", "url"]}),
        ("When", {"fields": [("starts_at", "ends_at")]}),
        (
            "Campaign tracking",
            {
                "fields": [("utm_source", "utm_medium", "utm_campaign")],
                "description": "Added to web links as utm_… parameters.",
            },
        ),
        ("Where it is used", {"fields": ["used_in"]}),
    ]
    readonly_fields = ["used_in"]

    @admin.display(description="showing now", boolean=True)
    def showing(self, cta):
        return cta.is_showing()

    def get_queryset(self, request):
        # The count's GROUP BY drops the model's ordering; the list and autocomplete keep it.
        return (
            super().get_queryset(request).annotate(use_count=Count("placements")).order_by("name")
        )

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


admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(GuardedListMixin, UserAdmin):
    """Chiefs manage staff accounts through the role groups.

    Only a superuser may make a superuser, grant a permission outside the roles, or change
    or delete a superuser's account (its password above all): a chief who manages staff
    cannot make themselves more than a chief.
    """

    SUPERUSER_ONLY_FIELDS = {"is_superuser", "user_permissions"}

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = self.SUPERUSER_ONLY_FIELDS
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and self.may_manage(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and self.may_manage(request.user, obj)

    @staticmethod
    def may_manage(user, account) -> bool:
        return account is None or user.is_superuser or not account.is_superuser
