"""Word search on SQLite: an FTS5 index of the stories' text (articles/reader/search.py).

Also builds body_text again with a space between paragraphs: it used to run them together
("region.The trial"), which search snippets showed.
"""

from collections import defaultdict

from django.db import migrations


def separate_paragraphs(apps, schema_editor):
    # As Article.refresh_word_count() now does, a thousand stories at a time.
    from articles.models import plain_text

    Article = apps.get_model("articles", "Article")
    Section = apps.get_model("articles", "Section")
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        parts = defaultdict(list)
        sections = Section.objects.filter(article_id__in=chunk).order_by("position", "pk")
        for article_id, heading, body in sections.values_list("article_id", "heading", "body"):
            parts[article_id] += [heading, body]
        for pk, closing in Article.objects.filter(pk__in=chunk).values_list("pk", "closing"):
            body = plain_text(" ".join([*parts[pk], closing]))
            Article.objects.filter(pk=pk).update(body_text=body)
    if schema_editor.connection.vendor == "postgresql":
        from articles.reader.search import DOCUMENT

        Article.objects.update(search_vector=DOCUMENT)


def create_fts_index(apps, schema_editor):
    # PostgreSQL searches its own indexed search vector (migration 0003).
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "CREATE VIRTUAL TABLE articles_article_fts USING fts5("
        "headline, dek, takeaways, body, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    schema_editor.execute(
        "INSERT INTO articles_article_fts (rowid, headline, dek, takeaways, body) "
        "SELECT id, headline, dek, takeaways_text, body_text FROM articles_article"
    )


def drop_fts_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS articles_article_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_link_help_texts"),
    ]

    operations = [
        migrations.RunPython(separate_paragraphs, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_fts_index, drop_fts_index),
    ]
