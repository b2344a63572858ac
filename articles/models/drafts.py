"""Work that is not a story yet: what an editor has typed since their last save."""

from django.db import models
from django.utils import timezone

from articles.models.story import Article


class Autosave(models.Model):
    """One user's unsaved form for one story (or for a story not yet created), kept so that
    a closed tab, a crash or a failed save loses at most a few seconds of typing.

    Not a revision: readers never see it, it moves no workflow, and saving the story for
    real deletes it. Another user's autosave is never shown in place of anyone's text.
    """

    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="autosaves"
    )
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    # The form as the browser would post it: {field name: [values]}.
    data = models.JSONField()
    # The story's version when the form was opened: restoring goes through the stale-save
    # merge, so an autosave never undoes what others saved since.
    loaded_version = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="one_autosave_per_story_user")
        ]

    def __str__(self):
        return f"Autosave of {self.article or 'a new story'} by {self.user}"
