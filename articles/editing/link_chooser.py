"""The section editor's "Link to a story": find stories by headline, link to their reader page."""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_safe

from articles.editing.admin_guards import search_words
from articles.models import Article

# One screenful; a longer headline search narrows it down.
LINK_CHOOSER_LIMIT = 20


def story_links(user, words: str) -> list[dict]:
    """Return the stories this user may see whose headline holds every word, newest first."""
    # The many-stories form of workflow.can_view: editors see every story, writers their own.
    stories = Article.objects.visible_to(user).filter(deleted_at__isnull=True)
    for word in words.split():
        stories = stories.filter(headline__icontains=word)
    stories = stories.order_by("-updated_at", "-pk").only("headline", "slug", "status")
    return [
        {
            "headline": story.headline,
            "url": story.get_absolute_url(),
            "status": story.get_status_display(),
        }
        for story in stories[:LINK_CHOOSER_LIMIT]
    ]


class LinkChooserAdminMixin:
    """Adds the link chooser's JSON answer to the story admin (login and staff required)."""

    def get_urls(self):
        choose = self.admin_site.admin_view(require_safe(self.link_choose_view))
        return [
            path("link-chooser/", choose, name="articles_article_link_choose"),
            *super().get_urls(),
        ]

    def link_choose_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        words = search_words(request.GET.get("q", ""))
        return JsonResponse({"results": story_links(request.user, words)})
