"""The long commands a person runs show a bar with counts and the time left on a terminal,
and nothing when their output goes to a file, a pipe or cron's mail."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from articles.operations.demo import DEMO_STORIES_DIR
from tests.factories import make_article

pytestmark = pytest.mark.django_db(transaction=True)
# tqdm's bar: "Adding: 100%|███| 3/3 [00:01<00:00, 2.9 stories/s]" (time taken<time left).
BAR = r"{done}/{total} \[\d\d:\d\d<\d\d:\d\d"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(*args, terminal: bool) -> str:
    stderr = Terminal() if terminal else io.StringIO()
    call_command(*args, stdout=io.StringIO(), stderr=stderr)
    return stderr.getvalue()


def test_generate_articles_shows_its_count_and_time_left_on_a_terminal():
    shown = run("generate_articles", "3", terminal=True)
    assert re.search(BAR.format(done=3, total=3), shown), shown
    assert "stories" in shown


def test_generate_articles_is_quiet_off_a_terminal():
    assert run("generate_articles", "3", terminal=False) == ""


def test_import_counts_the_stories_it_imports(tmp_path):
    files = sorted(Path(DEMO_STORIES_DIR).glob("*.txt"))[:2]
    shown = run("import_article", *map(str, files), terminal=True)
    assert re.search(BAR.format(done=2, total=2), shown), shown


def test_backup_and_restore_count_rows_and_media_files(tmp_path):
    make_article()
    archive = tmp_path / "newsroom.tar.gz"
    shown = run("backup", str(archive), terminal=True)
    assert "Database" in shown and "rows" in shown
    assert "Media" in shown
    call_command("flush", interactive=False)
    shown = run("restore", str(archive), terminal=True)
    assert "Database" in shown and "rows" in shown


def test_backup_is_quiet_off_a_terminal(tmp_path):
    make_article()
    assert run("backup", str(tmp_path / "newsroom.tar.gz"), terminal=False) == ""
