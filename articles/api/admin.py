"""API keys in the admin: Chiefs issue one per integration, see when each was last used,
and revoke it. A key's secret is shown once, on the page that answers its creation."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from articles.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "shown_prefix", "scope", "created_at", "last_used_at", "state"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    @admin.display(description="key")
    def shown_prefix(self, key):
        return f"{key.prefix}…"

    @admin.display(description="state")
    def state(self, key):
        return f"Revoked {key.revoked_at:%d %b %Y}" if key.revoked_at else "Active"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scope"]
        return [
            "name",
            "scope",
            "shown_prefix",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A key's reach is fixed when it is handed out: for another, issue another key.
        return ["scope", "shown_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: its history stays

    def save_model(self, request, obj, form, change):
        if not change:
            request.issued_secret = obj.new_secret()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        # The secret is in this page only: it is stored nowhere, so the page is not cached.
        response = TemplateResponse(
            request,
            "admin/articles/apikey/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": f"API key for {obj.name}",
                "key": obj,
                "secret": request.issued_secret,
                "opts": self.opts,
                "api_url": request.build_absolute_uri(reverse("api:story-list")),
                "list_url": reverse("admin:articles_apikey_changelist"),
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked_at__isnull=True)
        count = len(revoked)
        for key in revoked:
            key.revoke()
        self.message_user(
            request,
            f"{count} key{'s' if count != 1 else ''} revoked: requests with "
            f"{'them' if count != 1 else 'it'} now get 401.",
            messages.SUCCESS,
        )
