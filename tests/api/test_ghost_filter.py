"""Ghost's filter language, read into Django queries (articles/api/ghost_filter.py)."""

from datetime import UTC, datetime

import pytest
from django.db.models import Q

from articles.api.ghost_filter import FilterError, boolean, moment, parse

FIELDS = {
    key: (lambda lookup, value, key=key: Q(**{f"{key}__{lookup}": value}))
    for key in ["tag", "slug", "published_at"]
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag:climate", Q(tag__exact="climate")),
        ("tag:'Climate change'", Q(tag__exact="Climate change")),
        ("tag:[climate,rivers]", Q(tag__in=["climate", "rivers"])),
        ("tag:-climate", ~Q(tag__exact="climate")),
        ("published_at:>'2026-01-01'", Q(published_at__gt="2026-01-01")),
        ("published_at:<=2026-01-01", Q(published_at__lte="2026-01-01")),
        ("tag:a+slug:b", Q(tag__exact="a") & Q(slug__exact="b")),
        ("tag:a,slug:b", Q(tag__exact="a") | Q(slug__exact="b")),
        ("tag:a,slug:b+tag:c", Q(tag__exact="a") | (Q(slug__exact="b") & Q(tag__exact="c"))),
        ("(tag:a,slug:b)+tag:c", (Q(tag__exact="a") | Q(slug__exact="b")) & Q(tag__exact="c")),
    ],
)
def test_a_filter_becomes_its_query(text, expected):
    assert parse(text, FIELDS) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour:red", "cannot use “colour”"),
        ("tag", "ends too soon"),
        ("tag:[a,b", "ends too soon"),
        ("tag:a)", "Unexpected “)”"),
        ("tag:a++slug:b", "Expected a field name"),
        ("tag:'unclosed", "cannot be read"),
    ],
)
def test_a_filter_not_understood_says_what(text, message):
    with pytest.raises(FilterError) as error:
        parse(text, FIELDS)
    assert message in str(error.value)


def test_times_are_read_as_front_ends_write_them():
    assert moment("2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
    assert moment("2026-01-01 12:30:00") == datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
    assert moment("2026-01-01T12:30:00+02:00") == datetime(2026, 1, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "0001-01-01T00:00:00+05:00"])
def test_a_time_not_understood_is_a_filter_error(value):
    with pytest.raises(FilterError):
        moment(value)


def test_booleans_are_true_or_false_only():
    assert boolean("true") is True and boolean("false") is False
    with pytest.raises(FilterError):
        boolean("yes")
