"""The story and its editing: the admin, forms, story files, revisions, merges, pictures."""
