"""Tests of the story's editing: admin, story files, revisions, merges, uploads."""
