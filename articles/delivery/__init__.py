"""Getting reader pages out fast: the page cache and stored story renderings."""
