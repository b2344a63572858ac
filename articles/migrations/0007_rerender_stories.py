"""Drop the stored story pages: this release changes what they hold.

A stored page counts for its story's content stamp, which moves when the story changes, not
when the templates do. Pages stored before this release lack the default sharing image and
the newsroom as author, and draw a call to action without a link as a button; each story is
rendered again by its first reader.
"""

from django.db import migrations


def drop_stored_pages(apps, schema_editor):
    apps.get_model("articles", "RenderedStory").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_sqlite_fts"),
    ]

    operations = [
        migrations.RunPython(drop_stored_pages, migrations.RunPython.noop, elidable=True),
    ]
