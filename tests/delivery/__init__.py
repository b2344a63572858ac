"""Tests of the page cache and stored story renderings."""
