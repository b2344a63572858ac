"""Read a rendered page the way a reader sees it: visible text, in order."""

from html.parser import HTMLParser

INVISIBLE = {"head", "script", "style", "template"}


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in INVISIBLE

    def handle_endtag(self, tag):
        self.hidden -= tag in INVISIBLE

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def assert_in_order(text: str, items: list[str]) -> None:
    position = 0
    for item in items:
        found = text.find(item, position)
        assert found >= 0, f"{item!r} is missing or out of order"
        position = found + len(item)
