"""The API's JSON: a story as its parts, in reading order, and what it is filed under."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    CallToAction,
    Credit,
    Desk,
    Notice,
    Section,
    Tag,
    plain_text,
)
from articles.reader.seo import absolute, canonical_url, sharing_image


class TrimmedFieldsMixin:
    """Leave out the fields a client did not ask for in `?fields=headline,url`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the view makes with its request is trimmed: a story's desk, declared on
        # the class, is made without one and keeps its fields.
        request = self.context.get("request")
        asked = request.query_params.get("fields", "") if request else ""
        wanted = {name.strip() for name in asked.split(",") if name.strip()}
        if not wanted:
            return
        unknown = wanted - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {
                    "fields": f"No such field: {', '.join(sorted(unknown))}. "
                    f"The fields are: {', '.join(self.fields)}."
                }
            )
        for name in set(self.fields) - wanted:
            self.fields.pop(name)


class AbsoluteUrlField(serializers.Field):
    """The object's page on the site, as a full address."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return absolute(self.context["request"], value.get_absolute_url())


extend_schema_field({"type": "string", "format": "uri"})(AbsoluteUrlField)


class DeskSerializer(TrimmedFieldsMixin, serializers.ModelSerializer):
    url = AbsoluteUrlField()

    class Meta:
        model = Desk
        fields = ["slug", "name", "description", "url"]


class AuthorSerializer(TrimmedFieldsMixin, serializers.ModelSerializer):
    url = AbsoluteUrlField()

    class Meta:
        model = Author
        fields = ["slug", "name", "job_title", "bio", "url"]


class TagSerializer(TrimmedFieldsMixin, serializers.ModelSerializer):
    url = AbsoluteUrlField()
    internal = serializers.BooleanField(source="is_internal", read_only=True)

    class Meta:
        model = Tag
        fields = ["slug", "name", "description", "internal", "url"]


class ShortDeskSerializer(DeskSerializer):
    class Meta(DeskSerializer.Meta):
        fields = ["slug", "name", "url"]


class BylineSerializer(serializers.ModelSerializer):
    url = AbsoluteUrlField()

    class Meta:
        model = Author
        fields = ["slug", "name", "job_title", "url"]


class ShortTagSerializer(serializers.ModelSerializer):
    url = AbsoluteUrlField()

    class Meta:
        model = Tag
        fields = ["slug", "name", "url"]


class RenditionSerializer(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class HeroImageSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The largest rendition a browser without srcset gets.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt = serializers.CharField()
    caption = serializers.CharField()
    credit = serializers.CharField()
    webp = RenditionSerializer(many=True)
    fallback = RenditionSerializer(many=True, help_text="JPEG or PNG, as the original.")
    fallback_type = serializers.CharField()


class SectionSerializer(serializers.ModelSerializer):
    html = serializers.CharField(source="body", help_text="Sanitised HTML.")
    text = serializers.SerializerMethodField()

    class Meta:
        model = Section
        fields = ["heading", "anchor", "html", "text"]

    def get_text(self, section) -> str:
        return plain_text(section.body)


class CreditSerializer(serializers.ModelSerializer):
    class Meta:
        model = Credit
        fields = ["role", "name", "organisation", "url"]


class CallToActionSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="link", help_text="With the campaign's UTM parameters.")

    class Meta:
        model = CallToAction
        fields = ["id", "text", "button_label", "url", "organisation", "starts_at", "ends_at"]


class PlacedCallToActionSerializer(serializers.ModelSerializer):
    call_to_action = CallToActionSerializer()

    class Meta:
        model = ArticleCallToAction
        fields = ["placement", "call_to_action"]


class NoticeSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="kind")

    class Meta:
        model = Notice
        fields = ["type", "text", "created_at"]


class StorySummarySerializer(TrimmedFieldsMixin, serializers.ModelSerializer):
    """A story in a list: enough to show a card and link to it."""

    url = AbsoluteUrlField()
    desk = ShortDeskSerializer(allow_null=True)
    bylines = BylineSerializer(source="byline_authors", many=True)
    tags = ShortTagSerializer(source="shown_tags", many=True)
    hero_image = serializers.SerializerMethodField()
    reading_minutes = serializers.IntegerField()

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "url",
            "headline",
            "dek",
            "desk",
            "bylines",
            "tags",
            "hero_image",
            "published_at",
            "updated_at",
            "reading_minutes",
        ]

    def to_representation(self, article):
        preview = self.context.get("reads_unpublished")
        # Internal tags only for a preview key (both from the prefetched tagged items).
        article.shown_tags = (
            [item.tag for item in article.tagged_items.all()] if preview else article.public_tags
        )
        data = super().to_representation(article)
        if preview:
            # A preview key sees stories readers do not: say which, and why not.
            data["status"] = article.status
            data["trashed"] = article.deleted_at is not None
        return data

    @extend_schema_field(HeroImageSerializer(allow_null=True))
    def get_hero_image(self, article):
        renditions = article.hero_renditions or {}
        if not article.hero_image or not renditions:
            return None
        request = self.context["request"]
        return {
            "url": absolute(request, renditions["src"]),
            "width": renditions["width"],
            "height": renditions["height"],
            "alt": article.hero_alt,
            "caption": article.hero_caption,
            "credit": article.hero_credit,
            "webp": [{**r, "url": absolute(request, r["url"])} for r in renditions["webp"]],
            "fallback": [{**r, "url": absolute(request, r["url"])} for r in renditions["fallback"]],
            "fallback_type": renditions["fallback_type"],
        }


class SeoSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()
    canonical_url = serializers.CharField()
    social_image = serializers.CharField(allow_null=True)


class StorySerializer(StorySummarySerializer):
    """A whole story, its parts in reading order."""

    sections = SectionSerializer(many=True)
    takeaways = serializers.SerializerMethodField()
    closing = serializers.SerializerMethodField()
    credits = CreditSerializer(many=True)
    calls_to_action = serializers.SerializerMethodField()
    notices = NoticeSerializer(many=True)
    seo = serializers.SerializerMethodField()

    class Meta(StorySummarySerializer.Meta):
        fields = [
            *StorySummarySerializer.Meta.fields,
            "sections",
            "takeaways",
            "closing",
            "credits",
            "calls_to_action",
            "notices",
            "word_count",
            "seo",
        ]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_takeaways(self, article):
        return [takeaway.text for takeaway in article.takeaways.all()]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"html": {"type": "string"}, "text": {"type": "string"}},
            "required": ["html", "text"],
        }
    )
    def get_closing(self, article):
        return {"html": article.closing, "text": plain_text(article.closing)}

    @extend_schema_field(PlacedCallToActionSerializer(many=True))
    def get_calls_to_action(self, article):
        # A block outside its dates shows on no story, as on the story page.
        now = timezone.now()
        placed = [p for p in article.cta_placements.all() if p.call_to_action.is_showing(now)]
        return PlacedCallToActionSerializer(placed, many=True, context=self.context).data

    @extend_schema_field(SeoSerializer)
    def get_seo(self, article):
        request = self.context["request"]
        url = absolute(request, article.get_absolute_url())
        return {
            "title": article.seo_title or article.headline,
            "description": article.seo_description or article.dek,
            "canonical_url": canonical_url(request, article, article.credits.all(), url),
            "social_image": sharing_image(request, article).get("url"),
        }
