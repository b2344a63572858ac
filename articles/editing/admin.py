from adminsortable2.admin import (
    CustomInlineFormSet,
    SortableAdminBase,
    SortableStackedInline,
    SortableTabularInline,
)
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from taggit.models import Tag as TaggitTag

from articles.delivery import rendering
from articles.editing import images, merge, revisions, stale_saves
from articles.editing.forms import ArticleAdminForm, StoryConfirmForm, StoryUploadForm
from articles.editing.importers import save_story
from articles.models import (
    EDIT_ANY,
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    CallToAction,
    Credit,
    Desk,
    Notice,
    PreviewLink,
    Section,
    Tag,
    Takeaway,
)
from articles.moderation import workflow
from articles.reader import search

TAG_SUGGESTIONS = 20
# How long "also open by …" on the change page remembers a visitor.
PRESENCE_SECONDS = 15 * 60

# Stories use articles.Tag; taggit's own tag model stays empty, so keep it off the menu.
admin.site.unregister(TaggitTag)

# The parameters a list's own filters put in its address: field__exact and field__isnull,
# and field__id__exact for a related field. The date hierarchy adds __year, __month, __day.
FILTER_SUFFIXES = ("exact", "isnull", "id__exact")
DATE_PARTS = {"year": range(1, 9999), "month": range(1, 13), "day": range(1, 32)}
# Each search word adds a condition; thousands of them overflow SQLite's expression tree.
MAX_SEARCH_WORDS = 10


def without_nul(text: str) -> str:
    # PostgreSQL refuses a NUL character in any text it is sent.
    return text.replace("\x00", "")


def search_words(term: str) -> str:
    """The words of a staff search or autocomplete term that the database is asked about."""
    return " ".join(without_nul(term).split()[:MAX_SEARCH_WORDS])


class GuardedListMixin:
    """A list that accepts only the filters it offers.

    Django's admin lets any field of the model be filtered from the address bar: a regular
    expression that makes the database fail, the first letters of a password hash. Here a
    parameter the page does not offer, or a value no filter link would send (a NUL byte, a
    year with twenty digits), is a 400 Bad Request. Searches keep their first ten words.
    """

    def lookup_allowed(self, lookup, value, request):
        if "\x00" in str(value):
            return False
        hierarchy = self.date_hierarchy
        if hierarchy and lookup.startswith(f"{hierarchy}__"):
            part = DATE_PARTS.get(lookup.removeprefix(f"{hierarchy}__"))
            text = str(value)
            return part is not None and text.isascii() and text.isdigit() and int(text) in part
        return lookup in self.offered_lookups(request) and super().lookup_allowed(
            lookup, value, request
        )

    def offered_lookups(self, request) -> set[str]:
        offered = set()
        for item in self.get_list_filter(request):
            if isinstance(item, str | tuple | list):
                field = item if isinstance(item, str) else item[0]
                offered |= {f"{field}__{suffix}" for suffix in FILTER_SUFFIXES}
            else:
                offered.add(item.parameter_name)  # a SimpleListFilter names its own parameter
        return offered

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_words(search_term))


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


class StoryPartInline:
    """A part of a story: editable exactly when the story is (the workflow's rule)."""

    extra = 0

    def _story_editable(self, request, obj):
        return obj is None or workflow.can_edit(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._story_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._story_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._story_editable(request, obj)


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


class BylineInline(StoryPartInline, AutocompleteRowsMixin, SortableTabularInline):
    model = Byline
    autocomplete_fields = ["author"]
    # No minimum: a first draft or an imported story saves without one. The quality gate
    # (workflow.check_quality) warns at submit and publish.
    verbose_name = "byline"
    verbose_name_plural = "Bylines — drag to change the order names appear in"


class SectionInline(StoryPartInline, SortableStackedInline):
    model = Section
    fields = ["heading", "body", "anchor"]
    verbose_name_plural = "Sections — the first one without a heading is the intro"


class TakeawayInline(StoryPartInline, SortableTabularInline):
    model = Takeaway
    verbose_name_plural = "Key takeaways — shown as a numbered list"


class CreditInline(StoryPartInline, SortableTabularInline):
    model = Credit
    verbose_name_plural = "Credits — “Original article and inspiration provided by …”"


class CallToActionInline(StoryPartInline, AutocompleteRowsMixin, SortableTabularInline):
    model = ArticleCallToAction
    autocomplete_fields = ["call_to_action"]
    verbose_name_plural = "Calls to action — reusable blocks, placed in the story"


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
class ArticleAdmin(SortableAdmin):
    form = ArticleAdminForm
    inlines = [BylineInline, SectionInline, TakeawayInline, CreditInline, CallToActionInline]
    prepopulated_fields = {"slug": ["headline"]}
    readonly_fields = ["status", "published_at", "updated_at", "reading_time", "history"]
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
    date_hierarchy = "published_at"
    save_on_top = True
    # One count of the filtered list is enough; counting the whole table again costs at scale.
    show_full_result_count = False
    actions = ["delete_selected", "restore_selected"]
    # The change form follows the story's reading order: fieldsets (by name) and inline
    # parts (by formset prefix) interleaved.
    story_layout = [
        "The story",
        "Notice to readers",
        "bylines",
        "sections",
        "takeaways",
        "Ending",
        "credits",
        "cta_placements",
        "Hero image",
        "Search engines and sharing",
        "Assignment",
        "Publication",
        "History",
    ]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                "The story",
                {"fields": ["headline", "slug", "dek", "desk", "tags", "loaded_version"]},
            ),
            ("Ending", {"fields": ["closing"]}),
            (
                "Hero image",
                {
                    "fields": [
                        "hero_image",
                        "hero_alt",
                        "hero_caption",
                        "hero_credit",
                        ("hero_focus_x", "hero_focus_y"),
                    ],
                    "description": "Optional. With a picture, alt text is required.",
                },
            ),
            (
                "Search engines and sharing",
                {
                    "fields": [
                        "seo_title",
                        "seo_description",
                        "social_image",
                        "canonical_is_original",
                    ],
                    "classes": ["collapse"],
                    "description": "Optional. Empty fields use the headline, dek and hero image.",
                },
            ),
            ("Publication", {"fields": ["status", "published_at", "updated_at", "reading_time"]}),
        ]
        if offers_notice(obj):
            fieldsets.insert(1, ("Notice to readers", {"fields": ["notice_kind", "notice_text"]}))
        # Writers cannot assign work: the fields are not in their form at all.
        if request.user.has_perm(EDIT_ANY):
            fieldsets.append(("Assignment", {"fields": ["assignee", "due_at", "priority"]}))
        if obj is not None:
            fieldsets.append(("History", {"fields": ["history"]}))
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not offers_notice(obj):
            form.base_fields.pop("notice_kind", None)
            form.base_fields.pop("notice_text", None)
        if stale_save := getattr(request, "stale_save", None):
            form = type(form.__name__, (form,), {"stale_save": stale_save})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or object_id is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        # One transaction with the row locked: no other save can land between the merge
        # and this save.
        with transaction.atomic():
            stale_save = self.merge_stale_post(request, object_id)
            response = super().changeform_view(request, object_id, form_url, extra_context)
        if stale_save and response.status_code == 302:
            self.message_user(request, stale_save.merged_message(), messages.INFO)
        return response

    def merge_stale_post(self, request, object_id) -> stale_saves.StaleSave | None:
        """Merge a save from a form opened at an older version with the story as it is now.

        The posted data is replaced by the merge: what only someone else changed comes from
        the story, what only this editor changed from the form, and where both changed the
        same thing the editor's choice (or, until they choose, their own text, and the form
        refuses to save; see ArticleAdminForm.clean).
        """
        pk, loaded = unquote(object_id), request.POST.get("loaded_version", "")
        if not (pk.isascii() and pk.isdigit() and loaded.isascii() and loaded.isdigit()):
            return None  # the form refuses a save without the version it was opened at
        current = Article.objects.live().select_for_update().filter(pk=pk).first()
        if current is None or int(loaded) == current.version:
            return None
        if not self.has_change_permission(request, current):
            return None
        base = current.revisions.filter(version=int(loaded)).first()
        latest = current.revisions.select_related("created_by").first()
        data = request.POST.copy()
        fields = set(flatten_fieldsets(self.get_fieldsets(request, current)))
        # Choices made on a conflict page count only against the version shown there.
        choices = (
            {key.removeprefix("choose-"): data[key] for key in data if key.startswith("choose-")}
            if data.get("theirs_version") == str(current.version)
            else {}
        )
        merged = merge.merge(
            base.snapshot if base else None,
            revisions.snapshot(current),
            stale_saves.read_post(data, request.FILES, fields),
            choices,
        )
        stale_saves.write_post(data, merged, current.pk)
        if not merged.conflicts:
            data["loaded_version"] = str(current.version)
        request.POST = data
        user = latest.created_by if latest else None
        request.stale_save = stale_saves.StaleSave(
            merged,
            who=(user.get_full_name() or user.get_username()) if user else "Someone",
            when=timezone.localtime(latest.created_at).strftime("%H:%M") if latest else "",
            version=current.version,
        )
        return request.stale_save

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
        matches = search.found(queryset, search_term)
        # Counting and dating every story a common word matches costs more than the list:
        # the newest MAX_RESULTS matches are listed, as on the readers' search page.
        return queryset.filter(pk__in=search.newest(matches)), False

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

    @admin.display(description="workflow history")
    def history(self, article):
        events = article.events.select_related("actor")
        if not events:
            return "No decisions yet."
        return format_html(
            "<ol class='story-history'>{}</ol>",
            format_html_join(
                "",
                "<li><strong>{}</strong> · {} · {}{}</li>",
                (
                    (
                        timezone.localtime(e.created_at).strftime("%d %b %Y %H:%M"),
                        e.who,
                        workflow.event_label(e),
                        f" — {e.note}" if e.note else "",
                    )
                    for e in events
                ),
            ),
        )

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
        # The word count covers the sections and takeaways, saved only now.
        form.instance.refresh_word_count()
        images.make_renditions(form.instance)
        revisions.record(form.instance, by=request.user, summary="Saved in the admin")

    def get_urls(self):
        def view(name, route, function):
            return path(
                route, self.admin_site.admin_view(function), name=f"articles_article_{name}"
            )

        return [
            view("import", "import/", self.import_view),
            view("tag_suggestions", "tags/suggest/", self.tag_suggestions_view),
            view(
                "transition",
                "<int:pk>/transition/<str:action>/",
                require_POST(self.transition_view),
            ),
            view("revisions", "<int:pk>/revisions/", self.revisions_view),
            view("revision", "<int:pk>/revisions/<int:version>/", self.revision_view),
            view(
                "revision_restore",
                "<int:pk>/revisions/<int:version>/restore/",
                require_POST(self.revision_restore_view),
            ),
            view(
                "revision_preview",
                "<int:pk>/revisions/<int:version>/preview/",
                self.revision_preview_view,
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
                t
                for t in workflow.allowed_actions(obj, request.user)
                if not (t.needs_note or t.needs_time)
            ]
            context["others_here"] = note_presence(obj, request.user)
            context["latest_revision"] = obj.revisions.select_related("created_by").first()
        stale_save = getattr(request, "stale_save", None)
        if stale_save and stale_save.merge.conflicts:
            context["stale_save"] = stale_save
            context["conflicts"] = [
                {
                    "key": conflict.key,
                    "label": conflict.label,
                    "theirs": merge.shown(conflict.field, conflict.theirs),
                    "mine": merge.shown(conflict.field, conflict.mine),
                    "is_file": bool(conflict.field and conflict.field.kind == "file"),
                    "chosen": request.POST.get(f"choose-{conflict.key}"),
                }
                for conflict in stale_save.merge.conflicts
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def story_or_403(self, request, pk, *, edit=False):
        article = get_object_or_404(Article, pk=pk)
        allowed = workflow.can_edit if edit else workflow.can_view
        if not allowed(request.user, article):
            raise PermissionDenied
        return article

    def transition_view(self, request, pk, action):
        article = self.story_or_403(request, pk)
        transition = workflow.TRANSITIONS.get(action)
        if transition is None:
            raise Http404
        if transition.needs_note or transition.needs_time:
            return redirect("desk:review", article.pk)
        try:
            workflow.take(action, article, by=request.user)
        except workflow.QualityGateFailed as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("desk:review", article.pk)
        except workflow.WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, f"“{article}” is now {article.get_status_display().lower()}."
            )
        return redirect("admin:articles_article_change", article.pk)

    def revisions_view(self, request, pk):
        article = self.story_or_403(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": f"Revisions of “{article}”",
            "revisions": article.revisions.select_related("created_by"),
            "can_restore": workflow.can_edit(request.user, article),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def revision_view(self, request, pk, version):
        article = self.story_or_403(request, pk)
        revision = get_object_or_404(article.revisions, version=version)
        against_version = request.GET.get("against", "")
        # isascii too: "²".isdigit() is true, and int("²") fails.
        against = (
            article.revisions.filter(version=int(against_version)).first()
            if against_version.isascii() and against_version.isdigit()
            else article.revisions.filter(version__lt=version).first()
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": f"Version {revision.version} of “{article}”",
            "revision": revision,
            "against": against,
            "changes": revisions.diff(against.snapshot if against else {}, revision.snapshot),
            "can_restore": workflow.can_edit(request.user, article),
        }
        return TemplateResponse(request, "admin/articles/article/revision.html", context)

    def revision_restore_view(self, request, pk, version):
        article = self.story_or_403(request, pk, edit=True)
        revision = get_object_or_404(article.revisions, version=version)
        new = revisions.revert(revision, by=request.user)
        self.message_user(request, f"Restored version {version}; it is now version {new.version}.")
        return redirect("admin:articles_article_change", article.pk)

    def revision_preview_view(self, request, pk, version):
        article = self.story_or_403(request, pk)
        revision = get_object_or_404(article.revisions, version=version)
        context = rendering.preview_context(revisions.preview_parts(revision))
        response = TemplateResponse(request, "reader/article_detail.html", context)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    def tag_suggestions_view(self, request):
        """Existing tags starting with what the editor typed, for the tag box."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        term = without_nul(request.GET.get("term", "")).strip().lstrip("#")[:100]
        tags = Tag.objects.all()
        if not request.user.has_perm(EDIT_ANY):
            # Another writer's draft-only tags would give away what she is working on.
            tags = tags.known_to(request.user)
        names = tags.filter(name__istartswith=term).values_list("name", flat=True)
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
                article = save_story(confirm_form.cleaned_data["story"], by=request.user)
                self.log_addition(request, article, [{"added": {}}])
                self.message_user(
                    request, f"Imported “{article}” as a draft. Add bylines and check it."
                )
                return redirect("admin:articles_article_change", article.pk)
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
class AuthorAdmin(GuardedListMixin, admin.ModelAdmin):
    list_display = ["name", "job_title", "user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Desk)
class DeskAdmin(GuardedListMixin, admin.ModelAdmin):
    list_display = ["name", "story_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(story_count=Count("articles"))

    @admin.display(description="stories", ordering="story_count")
    def story_count(self, desk):
        return desk.story_count


@admin.register(Tag)
class TagAdmin(GuardedListMixin, admin.ModelAdmin):
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
        self.message_user(
            request, f"Merged {names} into {survivor.hashtag}; {moved} stories moved."
        )


@admin.register(Notice)
class NoticeAdmin(GuardedListMixin, admin.ModelAdmin):
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
        return False  # links are made on the desk's review page


@admin.register(CallToAction)
class CallToActionAdmin(GuardedListMixin, admin.ModelAdmin):
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


def view_on_site(request, content_type_id, object_id):
    """The admin's "View on site" redirect, only for objects this user may see in the admin.

    Django's own (the contenttypes shortcut) sends any staff member to any object's address,
    so a writer would learn the slug, and with it the headline, of another writer's draft.
    newsroom/urls.py routes admin/r/… here, ahead of the admin's own URLs.
    """
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        model_admin = admin.site.get_model_admin(model)
        obj = model_admin.get_object(request, object_id)
    except (ContentType.DoesNotExist, ValueError, NotRegistered):
        raise Http404 from None
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)
