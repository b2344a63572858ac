"""StoryPage: the Wagtail way of holding what a Newsroom article holds.

Newsroom keeps sections, takeaways, credits and calls to action in rows of their own; a Wagtail
site would keep them in StreamFields, so that is what the peer does.
"""

import json

from django.db import models
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

# A newsroom's rich text: no embeds, images or headings inside paragraphs.
RICH_TEXT = ["bold", "italic", "link"]
# So that no value can close the <script> element it is written into.
JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


class CreditBlock(blocks.StructBlock):
    role = blocks.CharBlock(help_text="e.g. “Original article and inspiration provided by”")
    name = blocks.CharBlock()
    organisation = blocks.CharBlock(required=False)
    url = blocks.URLBlock(required=False)

    class Meta:
        template = "stories/blocks/credit.html"


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock()
    organisation = blocks.CharBlock(required=False)
    button_label = blocks.CharBlock(required=False)
    url = blocks.URLBlock(required=False)

    class Meta:
        template = "stories/blocks/cta.html"


class TaggedStory(TaggedItemBase):
    content_object = ParentalKey("StoryPage", related_name="tagged_items", on_delete=models.CASCADE)


class StoryPage(Page):
    dek = models.CharField(max_length=300, blank=True)
    byline = models.CharField(max_length=200, blank=True, help_text="e.g. “Ana Diaz and Tom Li”")
    reading_minutes = models.PositiveSmallIntegerField(default=1)
    # Headings and paragraphs in reading order; a heading starts a section of the story.
    body = StreamField(
        [
            ("heading", blocks.CharBlock(max_length=200)),
            ("paragraph", blocks.RichTextBlock(features=RICH_TEXT)),
            ("takeaways", blocks.ListBlock(blocks.CharBlock(), label="Key takeaways")),
        ]
    )
    closing = RichTextField(blank=True, features=RICH_TEXT)
    tags = ClusterTaggableManager(through=TaggedStory, blank=True)
    footer = StreamField([("credit", CreditBlock()), ("cta", CallToActionBlock())], blank=True)

    content_panels = [
        *Page.content_panels,
        *(FieldPanel(name) for name in ["dek", "byline", "body", "closing", "tags", "footer"]),
    ]
    template = "stories/story_page.html"

    def get_context(self, request, *args, **kwargs):
        """Group the flat stream into an intro, sections (with anchors for the contents) and
        takeaways, as Newsroom's article page shows them."""
        context = super().get_context(request, *args, **kwargs)
        intro, sections, takeaways, anchors = [], [], [], set()
        for block in self.body:
            if block.block_type == "heading":
                anchor = base = slugify(block.value) or "section"
                n = 2
                while anchor in anchors:
                    anchor, n = f"{base}-{n}", n + 1
                anchors.add(anchor)
                sections.append({"heading": block.value, "anchor": anchor, "blocks": []})
            elif block.block_type == "takeaways":
                takeaways.extend(block.value)
            else:
                (sections[-1]["blocks"] if sections else intro).append(block)
        # One query for the tags, shown both in the <head> and in the footer.
        tags = list(self.tags.all())
        url = self.get_full_url(request)
        context.update(
            intro=intro,
            sections=sections,
            takeaways=takeaways,
            tags=tags,
            url=url,
            json_ld=self.json_ld(url, tags),
        )
        return context

    def json_ld(self, url, tags):
        """schema.org NewsArticle data, as Newsroom's article page carries it."""
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "@id": f"{url}#article",
            "mainEntityOfPage": url,
            "url": url,
            "headline": self.title,
            "description": self.dek or self.title,
            "inLanguage": "en-GB",
            "publisher": {"@type": "NewsMediaOrganization", "name": "Newsroom"},
            "keywords": [tag.name for tag in tags],
            "isAccessibleForFree": True,
            "datePublished": self.first_published_at.isoformat(timespec="seconds"),
            "dateModified": self.last_published_at.isoformat(timespec="seconds"),
            "isBasedOn": [
                {"@type": "CreativeWork", "author": {"@type": "Person", "name": b.value["name"]}}
                for b in self.footer
                if b.block_type == "credit"
            ],
        }
        if self.byline:
            data["author"] = {"@type": "Person", "name": self.byline}
        return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES))
