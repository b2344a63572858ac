"""The quality gate: what a story still lacks before review or publication, in plain words."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from articles.editing.validators import validate_button_label, validate_link_url
from articles.models import Article


@dataclass
class QualityReport:
    """What a story still lacks. Errors block; an editor may override warnings with a note."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


def check_quality(article: Article) -> QualityReport:
    """List, in plain words, what the story is missing before review or publication."""
    report = QualityReport()
    if not any(section.body.strip() for section in article.sections.all()):
        report.errors.append("Add at least one section with some text.")
    if article.hero_image and not article.hero_alt.strip():
        report.errors.append("Describe the hero image in its alt text.")
    for credit in article.credits.all():
        if not credit.name.strip():
            report.errors.append(f"The credit “{credit.role}” needs a name.")
    for placed in article.cta_placements.select_related("call_to_action"):
        check_call_to_action(placed.call_to_action, report)
    if not article.takeaways.exists():
        report.warnings.append("There are no key takeaways.")
    if not article.dek.strip():
        report.warnings.append("There is no dek (the summary under the headline).")
    if not article.bylines.exists():
        report.warnings.append("There is no byline.")
    return report


def check_call_to_action(cta, report: QualityReport) -> None:
    if not cta.url.strip() and not cta.button_label.strip():
        # Text only is allowed (readers see no button), but it is seldom what was meant.
        report.warnings.append(
            f"The call to action “{cta.name}” has no link: readers see its text, no button."
        )
        return
    try:
        validate_link_url(cta.url)
    except ValidationError:
        report.errors.append(f"The call to action “{cta.name}” needs a working link.")
    try:
        if not cta.button_label.strip():
            raise ValidationError("no label")
        validate_button_label(cta.button_label)
    except ValidationError:
        report.errors.append(
            f"The call to action “{cta.name}” needs a button label that says what happens "
            "(“Book a consultation”, not “Click here”)."
        )
