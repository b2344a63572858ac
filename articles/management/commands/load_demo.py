from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from articles.operations.demo import DemoRefused, create_demo_users, load_demo_stories

DUMMY_MAILER = "django.core.mail.backends.dummy.EmailBackend"


class Command(BaseCommand):
    help = "Create the demo logins and publish the demo stories (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="The address the printed links start with (default: SITE_URL).",
        )

    def handle(self, *args, base_url, **options):
        base_url = base_url.rstrip("/")
        try:
            logins = create_demo_users()
        except DemoRefused as error:
            raise CommandError(str(error)) from None
        # The demo's own editorial decisions would each email the demo writer.
        with override_settings(MAILERS={"default": {"BACKEND": DUMMY_MAILER}}):
            articles = load_demo_stories()
        self.stdout.write(self.style.SUCCESS("Newsroom demo is ready."))
        self.stdout.write(f"  Front page:  {base_url}/")
        for article in articles:
            state = article.get_status_display().lower()
            self.stdout.write(f"  Story:       {base_url}{article.get_absolute_url()}  ({state})")
        self.stdout.write(f"  Review:      {base_url}/review/")
        self.stdout.write(f"  Admin:       {base_url}/admin/")
        for username, password in logins.items():
            self.stdout.write(f"  Log in as:   {username} / {password}")
