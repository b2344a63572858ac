"""Tests of what readers see: pages, feeds, sitemaps, search, SEO."""
