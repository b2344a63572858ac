"""The story's parts in its admin form: bylines, sections, takeaways, credits, calls to action."""

import json

from adminsortable2.admin import (
    CustomInlineFormSet,
    SortableStackedInline,
    SortableTabularInline,
)
from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.serializers.json import DjangoJSONEncoder
from django_prose_editor.widgets import AdminProseEditorWidget

from articles.models import ArticleCallToAction, Byline, Credit, ReadNext, Section, Takeaway
from articles.moderation import workflow
from articles.reader import related


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


class SectionBodyEditor(AdminProseEditorWidget):
    """The rich-text editor of a section's body, its settings serialised once per page.

    The editor reads its settings from an attribute of each row's text area. The library
    works them out and serialises them again for every row, the same each time; every row's
    widget is a copy of this one, so they share the string made here.
    """

    def __init__(self, *, attrs, config, preset):
        super().__init__(attrs=attrs, config=config, preset=preset)
        self.settings_json = json.dumps(
            self.get_config(), separators=(",", ":"), cls=DjangoJSONEncoder
        )

    def get_context(self, name, value, attrs):
        context = forms.Textarea.get_context(self, name, value, attrs)
        context["widget"]["attrs"][f"data-django-prose-editor-{self.preset}"] = self.settings_json
        return context


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


class StoryPartForm(forms.ModelForm):
    """A row of a story part, whose place in the story is its position field."""

    def has_changed(self):
        # The editor numbers every row when one is dragged or moved, new rows too. A new row
        # that only got a number is still empty: leave it out, as Django leaves out an
        # untouched extra row, instead of asking for the fields nobody typed.
        changed = self.changed_data
        if self.instance.pk is None:
            changed = [name for name in changed if name != "position"]
        return bool(changed)


class StoryPartInline:
    """A part of a story: editable exactly when the story is (the workflow's rule)."""

    extra = 0
    form = StoryPartForm

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


class BylineForm(StoryPartForm):
    class Meta:
        error_messages = {
            NON_FIELD_ERRORS: {"unique_together": "This author already has a byline on this story."}
        }


class BylineInline(StoryPartInline, AutocompleteRowsMixin, SortableTabularInline):
    model = Byline
    form = BylineForm
    autocomplete_fields = ["author"]
    # No minimum: a first draft or an imported story saves without one. The quality gate
    # (quality.check_quality) warns at submit and publish.
    verbose_name = "byline"
    verbose_name_plural = "Bylines — drag to change the order names appear in"


class SectionInline(StoryPartInline, SortableStackedInline):
    model = Section
    # The anchor is made from the heading and kept: it is there for the rare hand fix,
    # folded away so it does not look like one more thing to fill in. The row template
    # draws these fields by name: a field added here must be added there too.
    fieldsets = [
        (None, {"fields": ["heading", "body", "position"]}),
        ("Anchor", {"fields": ["anchor"], "classes": ["collapse"]}),
    ]
    template = "admin/articles/article/rows/sections.html"
    verbose_name_plural = "Sections — the first one without a heading is the intro"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            library_widget = field.widget
            field.widget = SectionBodyEditor(
                attrs=library_widget.attrs,
                config=library_widget.config,
                preset=library_widget.preset,
            )
            field.widget.is_required = library_widget.is_required
        return field


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


class ReadNextFormSet(RowObjectsFormSet):
    def clean(self):
        super().clean()
        # The database allows each pin once; two new rows naming the same story are caught
        # here, where the editor can see which.
        chosen = [
            form.cleaned_data["related"]
            for form in self.forms
            if form.cleaned_data.get("related") and not form.cleaned_data.get("DELETE")
        ]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError("Each story can be pinned once.")


class ReadNextInline(AutocompleteRowsMixin, SortableTabularInline):
    """The stories an editor pins at the top of this story's "Read next" list. The rest of
    the list is worked out (articles/reader/related.py) and not shown here."""

    model = ReadNext
    fk_name = "story"
    form = StoryPartForm
    formset = ReadNextFormSet
    fields = ["related", "position"]
    autocomplete_fields = ["related"]
    extra = 0
    max_num = related.SHOWN

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pinned=True)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "related":
            # A pin chooses a story; writing or changing one happens on its own page.
            field.widget.can_add_related = field.widget.can_change_related = False
            field.widget.can_view_related = field.widget.can_delete_related = False
        return field

    # Choosing what readers are sent to next is curation, as front-page picks are: those
    # who may publish do it, on any story they may see.
    def has_view_permission(self, request, obj=None):
        return workflow.can_curate(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission
