"""Integrations in the admin, for Chiefs.

API keys: one per integration, with when each was last used, and revocable. A key's secret
is shown once, on the page that answers its creation. Webhooks: addresses told of story
events, with their signing secret and the log of every delivery.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.text import Truncator

from articles.api import tasks, webhooks
from articles.models import ApiKey, Webhook, WebhookDelivery


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


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=Webhook.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each is a JSON POST with the story's id, address and API address.",
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        webhooks.validate_target(url)
        return url


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["name", "url", "event_list", "is_active", "last_delivery"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]

    def get_queryset(self, request):
        # The newest delivery's status for the list, in the list's one query.
        newest = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at")
        return (
            super()
            .get_queryset(request)
            .annotate(last_status=Subquery(newest.values("status")[:1]))
        )

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "events", "is_active"]
        return fields if obj is None else [*fields, "secret", "deliveries_link", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["secret", "deliveries_link", "created_at"]

    @admin.display(description="events")
    def event_list(self, hook):
        return ", ".join(hook.events)

    @admin.display(description="last delivery")
    def last_delivery(self, hook):
        if not hook.last_status:
            return "None yet"
        return WebhookDelivery.Status(hook.last_status).label

    @admin.display(description="deliveries")
    def deliveries_link(self, hook):
        url = reverse("admin:articles_webhookdelivery_changelist")
        return format_html('<a href="{}?webhook__id__exact={}">Its delivery log</a>', url, hook.pk)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, written by the sending alone."""

    # Few, short columns: the admin gives the list little width beside its filters (the
    # webhook is one of them, and on each delivery).
    list_display = ["created_at", "event_name", "story_headline", "state", "answer"]
    list_filter = ["status", "event", "webhook"]
    list_select_related = ["webhook", "story"]
    search_fields = ["story__headline", "webhook__name"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "webhook",
        "event",
        "story",
        "status",
        "next_attempt_at",
        "attempt_history",
        "body",
    ]
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description="event", ordering="event")
    def event_name(self, delivery):
        return delivery.event

    @admin.display(description="story", ordering="story__headline")
    def story_headline(self, delivery):
        # A story deleted since keeps its headline in the body that was sent.
        sent = delivery.payload.get("story") or {}
        return Truncator(delivery.story or sent.get("headline", "—")).chars(60)

    @admin.display(description="status", ordering="status")
    def state(self, delivery):
        if delivery.status == WebhookDelivery.Status.RETRYING:
            next_try = timezone.localtime(delivery.next_attempt_at)
            return f"Failed {delivery.attempts}×; next try {next_try:%d %b, %H:%M}"
        return delivery.get_status_display()

    @admin.display(description="last answer")
    def answer(self, delivery):
        if not delivery.attempts:
            return "—"
        code = delivery.response_code or "no answer"
        return f"{code} in {delivery.duration_ms} ms"

    @admin.display(description="body sent")
    def body(self, delivery):
        return format_html("<pre>{}</pre>", json.dumps(delivery.payload, indent=2))

    @admin.display(description="attempts")
    def attempt_history(self, delivery):
        return render_to_string(
            "admin/articles/webhookdelivery/attempts.html",
            {"attempts": delivery.attempt_log.all()},
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("articles.change_webhook")

    @admin.action(description="Send the selected deliveries again now", permissions=["retry"])
    def retry(self, request, queryset):
        again = queryset.exclude(status=WebhookDelivery.Status.DELIVERED)
        count = 0
        for delivery in again:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.RETRYING, None
            delivery.save(update_fields=["status", "next_attempt_at"])
            tasks.deliver.enqueue(delivery.pk)
            count += 1
        self.message_user(
            request,
            f"{count} deliver{'ies' if count != 1 else 'y'} queued to be sent again; "
            "delivered ones are not sent twice.",
            messages.SUCCESS,
        )
