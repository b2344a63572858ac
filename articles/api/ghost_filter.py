"""Ghost's filter language (NQL), the part front ends send: read into a Django Q.

    tag:climate                     tags:[climate,rivers]         author:ana-lima
    slug:ferries-go-electric        featured:true                 published_at:>'2026-01-01'
    tag:climate+featured:true       tag:climate,tag:rivers        tag:-climate
    (tag:climate,tag:rivers)+published_at:<='2026-06-30 12:00:00'

`+` is "and", `,` is "or" (and binds tighter, as in Ghost), parentheses group, `-` before a
value negates. Values are bare words or 'quoted'. Anything else is a FilterError whose
message says what was not understood; the caller answers it with Ghost's error shape.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime

TOKEN = re.compile(
    r"\s*(?:(?P<quoted>'(?:[^'\\]|\\.)*')|(?P<op>>=|<=|[><]|[-:+,()\[\]])|(?P<word>[^\s:+,()\[\]'<>]+))"
)
COMPARISONS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


class FilterError(ValueError):
    pass


def parse(text: str, fields: dict[str, Callable]) -> Q:
    """Return the Q for a filter, given for each key a function (lookup, value) → Q, where
    lookup is "exact", "in", "gt", "gte", "lt" or "lte"."""
    parser = _Parser(_tokens(text), fields)
    query = parser.either()
    if parser.peek() is not None:
        raise FilterError(f"Unexpected “{parser.peek()[1]}” in the filter.")
    return query


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FilterError(f"The filter cannot be read from “{text[position : position + 20]}”.")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens, fields):
        self.tokens, self.fields, self.index = tokens, fields, 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None:
            raise FilterError("The filter ends too soon.")
        if expected and token != ("op", expected):
            raise FilterError(f"Expected “{expected}” in the filter, found “{token[1]}”.")
        self.index += 1
        return token

    def either(self) -> Q:
        query = self.both()
        while self.peek() == ("op", ","):
            self.take()
            query |= self.both()
        return query

    def both(self) -> Q:
        query = self.term()
        while self.peek() == ("op", "+"):
            self.take()
            query &= self.term()
        return query

    def term(self) -> Q:
        if self.peek() == ("op", "("):
            self.take()
            query = self.either()
            self.take(")")
            return query
        kind, key = self.take()
        if kind != "word":
            raise FilterError(f"Expected a field name in the filter, found “{key}”.")
        if key not in self.fields:
            known = ", ".join(sorted(self.fields))
            raise FilterError(f"The filter cannot use “{key}”: it can use {known}.")
        self.take(":")
        negated = self.peek() == ("op", "-")
        if negated:
            self.take()
        lookup = "exact"
        if self.peek() and self.peek()[1] in COMPARISONS and self.peek()[0] == "op":
            lookup = COMPARISONS[self.take()[1]]
        if self.peek() == ("op", "["):
            self.take()
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.value())
            self.take("]")
            query = self.fields[key]("in", values)
        else:
            query = self.fields[key](lookup, self.value())
        return ~query if negated else query

    def value(self) -> str:
        kind, value = self.take()
        if kind == "op":
            raise FilterError(f"Expected a value in the filter, found “{value}”.")
        return value


def moment(value: str) -> datetime:
    """A time as Ghost's front ends write it: '2026-01-01', '2026-01-01 12:00:00' or ISO 8601."""
    try:
        parsed = parse_datetime(value.replace(" ", "T", 1))
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime(day.year, day.month, day.day)
        if parsed is not None:
            return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    except (ValueError, OverflowError):  # 2026-02-30, or year 1 moved across midnight
        pass
    raise FilterError(f"“{value}” is not a date or time.")


def boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise FilterError(f"“{value}” is not true or false.")
    return value == "true"
