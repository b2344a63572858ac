"""What search engines and social networks read about a page: titles, descriptions,
canonical links, sharing images, and schema.org structured data.

Structured data is built as Python data and serialised by `as_json_ld()`, never assembled
as text, so nothing an editor types can break out of the <script> element.
"""

import json

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from articles.models.text import pictures_in

# Google shows at most this much of a NewsArticle headline.
MAX_HEADLINE = 110
DESCRIPTION_WORDS = 30
# Like django.utils.html.json_script: these cannot close the <script> element once escaped.
JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def as_json_ld(data: dict) -> str:
    """Serialise structured data for a <script type="application/ld+json"> element."""
    # JSON with <, > and & escaped cannot leave the <script> element.
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES))  # nosec B308 B703


def absolute(request, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else request.build_absolute_uri(url)


def publisher(request) -> dict:
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.SITE_NAME,
        "url": absolute(request, reverse("articles:home")),
        "logo": {
            "@type": "ImageObject",
            "url": absolute(request, static("img/logo.png")),
            "width": 512,
            "height": 512,
        },
    }


def sharing_image(request, article) -> dict:
    """The picture a shared link shows: a 1200×630 crop of the editor's sharing image, or
    of the hero image around its focal point; the site's own picture for a story without."""
    social = (article.hero_renditions or {}).get("social")
    if social:
        return {**social, "url": absolute(request, social["url"]), "alt": article.hero_alt}
    if article.social_image:
        return {"url": absolute(request, article.social_image.url), "alt": article.hero_alt}
    if article.hero_image:
        return {
            "url": absolute(request, article.hero_image.url),
            "width": article.hero_width,
            "height": article.hero_height,
            "alt": article.hero_alt,
        }
    return default_sharing_image(request)


def default_sharing_image(request) -> dict:
    # Search engines drop a NewsArticle without an image from their rich results, and a
    # link shared without one shows as a bare line of text.
    image = settings.DEFAULT_SHARE_IMAGE
    url = image if image.startswith(("http://", "https://")) else static(image)
    return {"url": absolute(request, url), "alt": f"The {settings.SITE_NAME} logo"}


def story_metadata(request, article, parts: dict) -> dict:
    """Everything the story page's <head> needs, from the story and its parts."""
    url = absolute(request, article.get_absolute_url())
    description = (
        article.seo_description
        or article.dek
        or Truncator(strip_tags(article.body_text)).words(DESCRIPTION_WORDS)
    )
    image = sharing_image(request, article)
    keywords = [tag.name for tag in parts["hashtags"]]
    return {
        "title": article.seo_title or article.headline,
        "description": description,
        "url": url,
        "canonical": canonical_url(request, article, parts["credits"], url),
        "image": image,
        "keywords": keywords,
        "json_ld": as_json_ld(
            {
                "@context": "https://schema.org",
                "@graph": [
                    news_article(request, article, parts, url, description, image),
                    breadcrumbs(request, article, url),
                ],
            }
        ),
    }


def canonical_url(request, article, credits, url: str) -> str:
    """The story's own address, or the original's when the editor says the story is a copy."""
    # A credit may link to a path on this site; search engines need the full address.
    original = next((absolute(request, c.url) for c in credits if c.url), "")
    return original if article.canonical_is_original and original else url


# Google reads several pictures of a story; a handful is plenty.
MAX_STORY_PICTURES = 5


def story_pictures(request, article, parts, *, skip: str) -> list[str]:
    """Return the full addresses of the library pictures in the story's text, each once."""
    bodies = [section.body for section in parts.get("sections", [])] + [article.closing]
    addresses = []
    for body in bodies:
        for picture in pictures_in(body):
            address = absolute(request, picture.get("src") or "")
            if picture.get("src") and address != skip and address not in addresses:
                addresses.append(address)
    return addresses[:MAX_STORY_PICTURES]


def news_article(request, article, parts, url, description, image) -> dict:
    data = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "mainEntityOfPage": url,
        "url": url,
        "headline": Truncator(article.headline).chars(MAX_HEADLINE),
        "description": description,
        "inLanguage": "en-GB",
        "wordCount": article.word_count,
        "image": [image["url"], *story_pictures(request, article, parts, skip=image["url"])],
        # A story without a byline is the newsroom's own: schema.org wants an author.
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": absolute(request, author.get_absolute_url()),
            }
            for author in parts["authors"]
        ]
        or [publisher(request)],
        "publisher": publisher(request),
        "keywords": [tag.name for tag in parts["hashtags"]],
        "isAccessibleForFree": True,
    }
    if article.published_at:
        data["datePublished"] = article.published_at.isoformat(timespec="seconds")
        data["dateModified"] = max(article.published_at, article.updated_at).isoformat(
            timespec="seconds"
        )
    if article.desk:
        data["articleSection"] = article.desk.name
    based_on = [
        {
            "@type": "CreativeWork",
            **({"url": absolute(request, credit.url)} if credit.url else {}),
            "author": {"@type": "Person", "name": credit.name},
            **(
                {"publisher": {"@type": "Organization", "name": credit.organisation}}
                if credit.organisation
                else {}
            ),
        }
        for credit in parts["credits"]
    ]
    if based_on:
        data["isBasedOn"] = based_on
    if parts["notices"]:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": f"{notice.get_kind_display()}: {notice.text}",
                "datePublished": notice.created_at.isoformat(timespec="seconds"),
            }
            for notice in parts["notices"]
        ]
    return data


def breadcrumbs(request, article, url) -> dict:
    trail = [(settings.SITE_NAME, absolute(request, reverse("articles:home")))]
    if article.desk:
        trail.append((article.desk.name, absolute(request, article.desk.get_absolute_url())))
    trail.append((article.headline, url))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": item}
            for position, (name, item) in enumerate(trail, start=1)
        ],
    }


def website(request) -> str:
    """The home page's structured data: the site, its publisher and its search box."""
    home = absolute(request, reverse("articles:home"))
    search = absolute(request, reverse("articles:search"))
    return as_json_ld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "WebSite",
                    "@id": f"{home}#website",
                    "url": home,
                    "name": settings.SITE_NAME,
                    "inLanguage": "en-GB",
                    "publisher": publisher(request),
                    "potentialAction": {
                        "@type": "SearchAction",
                        "target": {
                            "@type": "EntryPoint",
                            "urlTemplate": f"{search}?q={{search_term_string}}",
                        },
                        "query-input": "required name=search_term_string",
                    },
                }
            ],
        }
    )
