"""Take the README's screenshots of the staff screens from a running demo (`make screenshots`).

Signs in as the demo editor and saves, for a desktop (1280 px) and a phone (390 px) width,
the first screen of: a story's edit page, the picture library and the review desk.
"""

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SITE = os.environ.get("SITE", "http://127.0.0.1:8000").rstrip("/")
HERE = Path(__file__).resolve().parent
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SCREENS = {
    "edit-page": "/admin/articles/article/{story}/change/",
    "picture-library": "/admin/articles/picture/",
    "desk": "/review/",
}


def main() -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium")
        )
        page = browser.new_page()
        page.goto(f"{SITE}/admin/login/")
        page.get_by_label("Username").fill("editor")
        page.get_by_label("Password").fill("editor-demo-password")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{SITE}/admin/articles/article/?o=-1")
        first_story = page.locator("#result_list tbody a[href*='/change/']").first
        story = re.search(r"/article/(\d+)/change/", first_story.get_attribute("href"))[1]
        for width_name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for screen, path in SCREENS.items():
                page.goto(SITE + path.format(story=story))
                page.wait_for_load_state("networkidle")
                target = HERE / f"{screen}-{width_name}.png"
                page.screenshot(path=target)
                print(f"wrote {target.relative_to(Path.cwd())}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
