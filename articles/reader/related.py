"""Read next: the stories listed under a story, stored with it and read in one query.

A story's list is worked out after it is saved (by the task worker: articles/reader/tasks.py)
and when it moves in the workflow, and so are the lists of the newest stories sharing a tag
or its desk with it, which it may now belong in. The work is bounded: the candidates are the
newest CANDIDATES published stories of each of the tags and desks involved, and the newest
overall, never the whole archive, so a publication costs the same with a thousand stories or
a million and leaves every other list as it is.
Editors' pins (ReadNext rows with pinned=True) come first and are never worked out again.
"""

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q

from articles.models import Article, ReadNext, Tag, TaggedArticle

SHOWN = 3
# Stored per story, beyond the pins: spares for stories later unpublished or trashed, which
# the reader's query leaves out.
KEPT = 6
CANDIDATES = 30
NEIGHBOURS = 10
# Stories worked out together: they share the candidates' queries, and SQLite takes at most
# 32,766 parameters in a query.
BATCH = 1000


def read_next(article: Article) -> list[Article]:
    """The published stories listed under this one: the editors' pins, then the rest."""
    return list(
        Article.objects.published()
        .filter(read_next_of__story=article)
        .select_related("desk")
        .only("headline", "slug", "published_at", "desk__name", "desk__slug")
        .order_by("-read_next_of__pinned", "read_next_of__position")[:SHOWN]
    )


def story_changed(article: Article) -> None:
    """Work out the story's list again and, once readers see it, the lists of the newest
    stories it may now belong in: those sharing a tag or its desk with it."""
    stories = [article.pk]
    if article.is_published:
        alike = Q(desk_id=article.desk_id) if article.desk_id else Q(pk__in=[])
        for tag_id in public_tag_ids([article.pk])[article.pk]:
            alike |= Q(Exists(tagged_with(tag_id)))
        neighbours = (
            Article.objects.published()
            .filter(alike)
            .exclude(pk=article.pk)
            .order_by("-published_at")
            .values_list("pk", flat=True)[:NEIGHBOURS]
        )
        stories += list(neighbours)
    work_out(stories)


def work_out(story_ids) -> None:
    """Store the worked-out list of each of these stories, keeping the editors' pins."""
    story_ids = list(story_ids)
    for start in range(0, len(story_ids), BATCH):
        work_out_batch(story_ids[start : start + BATCH])


def work_out_batch(story_ids: list[int]) -> None:
    desk_of = dict(Article.objects.filter(pk__in=story_ids).values_list("pk", "desk_id"))
    tags_of = public_tag_ids(list(desk_of))
    found = candidate_pools(tags_of, desk_of)
    candidates = {pk: (desk, when) for rows in found.values() for pk, desk, when in rows}
    pools = {key: [row[0] for row in rows] for key, rows in found.items()}
    candidate_tags = public_tag_ids(list(candidates))
    pinned = defaultdict(set)
    pins = ReadNext.objects.filter(story_id__in=list(desk_of), pinned=True)
    for story_id, related_id in pins.values_list("story_id", "related_id"):
        pinned[story_id].add(related_id)

    rows = []
    for story_id, desk_id in desk_of.items():
        tags = tags_of[story_id]
        pool = set(pools[None]).union(
            *(pools[("tag", tag_id)] for tag_id in tags), pools.get(("desk", desk_id), ())
        )
        pool -= pinned[story_id] | {story_id}

        def rank(pk, tags=tags, desk_id=desk_id):
            # Tags shared, then the same desk, then the newest.
            their_desk, published_at = candidates[pk]
            same_desk = desk_id is not None and their_desk == desk_id
            return (len(tags & candidate_tags[pk]), same_desk, published_at)

        best = sorted(pool, key=rank, reverse=True)[:KEPT]
        rows += [
            ReadNext(story_id=story_id, related_id=pk, position=position, pinned=False)
            for position, pk in enumerate(best, start=len(pinned[story_id]))
        ]
    ReadNext.objects.filter(story_id__in=list(desk_of), pinned=False).delete()
    ReadNext.objects.bulk_create(rows)


def candidate_pools(tags_of: dict, desk_of: dict) -> dict:
    """The newest published stories of each tag and desk these stories have, and overall
    (under None) for a story that shares neither with any."""
    published = Article.objects.published()
    pools = {None: newest(published)}
    for tag_id in set().union(*tags_of.values()):
        pools[("tag", tag_id)] = newest(published.filter(Exists(tagged_with(tag_id))))
    for desk_id in set(desk_of.values()) - {None}:
        pools[("desk", desk_id)] = newest(published.filter(desk_id=desk_id))
    return pools


def newest(stories) -> list[tuple]:
    """(id, desk, publication time) of the newest CANDIDATES of these stories."""
    newest_first = stories.order_by("-published_at")
    return list(newest_first.values_list("pk", "desk_id", "published_at")[:CANDIDATES])


def tagged_with(tag_id):
    return TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag_id=tag_id)


def public_tag_ids(story_ids: list) -> dict[int, set[int]]:
    """The tags readers may see on each of these stories."""
    tags = defaultdict(set)
    rows = TaggedArticle.objects.filter(content_object__in=story_ids, tag__in=Tag.objects.public())
    for story_id, tag_id in rows.values_list("content_object_id", "tag_id"):
        tags[story_id].add(tag_id)
    return tags
