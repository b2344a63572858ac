"""The articles app's models, one module per concern; import them from `articles.models`."""

# Django registers models in the order their classes run, and that order is the order of
# content types, permissions and the rows in a backup: import the modules as the models
# were first written (library, story, parts, history), not alphabetically.
# isort: off
from articles.models.text import (
    BLOCK_TAG,
    RICH_TEXT_EXTENSIONS,
    count_words,
    plain_text,
    rich_text_field,
    sanitize_rich_text,
    unique_slug,
)
from articles.models.library import Author, Desk, Tag, TaggedArticle, TagQuerySet, hashtag, tag_key
from articles.models.story import (
    EDIT_ANY,
    UPDATE_GRACE,
    WORDS_PER_MINUTE,
    Article,
    ArticleQuerySet,
    bylines_with_authors,
    refresh_search_vectors,
)
from articles.models.parts import (
    ArticleCallToAction,
    Byline,
    CallToAction,
    Credit,
    Section,
    Takeaway,
)
from articles.models.history import (
    ArticleEvent,
    Notice,
    PreviewLink,
    PreviewLinkVisit,
    Revision,
    SchedulerRun,
)
from articles.models.drafts import Autosave
from articles.models.curation import Pin, PinQuerySet, ReadNext
from articles.models.pictures import Picture, PictureQuerySet
from articles.models.keys import ApiKey
from articles.models.hooks import DeliveryAttempt, Webhook, WebhookDelivery
# isort: on

__all__ = [
    "BLOCK_TAG",
    "EDIT_ANY",
    "RICH_TEXT_EXTENSIONS",
    "UPDATE_GRACE",
    "WORDS_PER_MINUTE",
    "ApiKey",
    "Article",
    "ArticleCallToAction",
    "ArticleEvent",
    "ArticleQuerySet",
    "Author",
    "Autosave",
    "Byline",
    "CallToAction",
    "Credit",
    "DeliveryAttempt",
    "Desk",
    "Notice",
    "Picture",
    "PictureQuerySet",
    "Pin",
    "PinQuerySet",
    "PreviewLink",
    "PreviewLinkVisit",
    "ReadNext",
    "Revision",
    "SchedulerRun",
    "Section",
    "Tag",
    "TagQuerySet",
    "TaggedArticle",
    "Takeaway",
    "Webhook",
    "WebhookDelivery",
    "bylines_with_authors",
    "count_words",
    "hashtag",
    "plain_text",
    "refresh_search_vectors",
    "rich_text_field",
    "sanitize_rich_text",
    "tag_key",
    "unique_slug",
]
