"""The yardstick for rendering cost: the same story page written the plain Django way.

One DetailView, the parts fetched with select_related/prefetch_related, and the page drawn by
the project's own base and story templates. No stored rendering, no page cache, no search
metadata, no related stories: what a competent developer would write in an afternoon.
bench/render.py and bench/run.py time Newsroom's story page against it.
"""

from django.db.models import Prefetch
from django.views.generic import DetailView

from articles.models import Article, ArticleCallToAction, Byline, TaggedArticle

STORY_PARTS = [
    "sections",
    "takeaways",
    "credits",
    "notices",
    Prefetch("bylines", queryset=Byline.objects.select_related("author")),
    Prefetch("tagged_items", queryset=TaggedArticle.objects.select_related("tag")),
    Prefetch(
        "cta_placements", queryset=ArticleCallToAction.objects.select_related("call_to_action")
    ),
]


class PlainStoryView(DetailView):
    template_name = "plain_django/story.html"

    def get_queryset(self):
        return Article.objects.published().select_related("desk").prefetch_related(*STORY_PARTS)

    def get_context_data(self, **kwargs):
        article = self.object
        sections = list(article.sections.all())
        intro = next((i for i, s in enumerate(sections) if s.heading), len(sections))
        ctas = {"after_intro": [], "after_body": [], "after_takeaways": [], "end": []}
        for placed in article.cta_placements.all():
            ctas[placed.placement].append(placed.call_to_action)
        return {
            "article": article,
            "intro_sections": sections[:intro],
            "body_sections": sections[intro:],
            "contents": [s for s in sections if s.heading],
            "takeaways": article.takeaways.all(),
            "credits": article.credits.all(),
            "notices": article.notices.all(),
            "authors": article.byline_authors,
            "hashtags": article.public_tags,
            "ctas": ctas,
        }
