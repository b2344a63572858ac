from django.core.management.base import BaseCommand

from articles.moderation import workflow


class Command(BaseCommand):
    help = (
        "Finalise scheduled stories whose time has come and tell their writers. "
        "Safe to run every minute from cron, and to run late: each story is finalised once."
    )

    def handle(self, *args, **options):
        for article in workflow.publish_due():
            self.stdout.write(f"published {article.get_absolute_url()}  {article.headline}")
