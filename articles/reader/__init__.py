"""What readers see: pages, feeds, sitemaps, search and what search engines read."""
