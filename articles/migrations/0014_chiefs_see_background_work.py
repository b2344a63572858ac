from django.db import migrations

from articles.moderation.roles import ensure_roles


def give_chiefs_the_task_queue(apps, schema_editor):
    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_webhooks"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        # Chiefs read the task queue (articles/moderation/roles.py).
        migrations.RunPython(give_chiefs_the_task_queue, migrations.RunPython.noop),
    ]
