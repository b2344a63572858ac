"""The stored reader page of a story, rendered once per change."""

from django.db import models

from articles.models.story import Article


class RenderedStory(models.Model):
    """A story's reader page, rendered once per change instead of once per reader, as
    Ghost stores a post's HTML. articles/delivery/rendering.py is the only reader and writer."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="rendered"
    )
    # The story's content stamp when this was rendered; any other stamp means out of date.
    content_stamp = models.PositiveBigIntegerField()
    # Links in the page's metadata are absolute: rendered for this site address.
    base_url = models.CharField(max_length=300)
    # Render again from then on: a call to action placed on the story starts or ends.
    valid_until = models.DateTimeField(null=True, blank=True)
    title = models.TextField()
    description = models.TextField()
    head = models.TextField()
    body = models.TextField()

    def __str__(self):
        return f"Rendered page of article {self.article_id}"
