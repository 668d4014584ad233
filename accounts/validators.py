"""A password rule Django does not have: enough different characters, and not mostly spaces."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class VarietyValidator:
    """Refuse passwords that are long only by repetition ("aaaaaaaaaaaa") or by spaces.

    A password needs at least `min_distinct` different characters, and at least `min_visible`
    characters that are not spaces, so "        abcd" (eight spaces, four letters) fails.
    """

    def __init__(self, min_distinct: int = 5, min_visible: int = 8) -> None:
        self.min_distinct = min_distinct
        self.min_visible = min_visible

    def validate(self, password: str, user: object = None) -> None:
        visible = [character for character in password if not character.isspace()]
        if len(visible) < self.min_visible:
            raise ValidationError(
                _("Your password needs at least %(count)d characters that are not spaces.")
                % {"count": self.min_visible},
                code="password_mostly_spaces",
            )
        if len(set(password)) < self.min_distinct:
            raise ValidationError(
                _(
                    "Your password repeats too few characters: use at least %(count)d "
                    "different ones, for example three or four unrelated words."
                )
                % {"count": self.min_distinct},
                code="password_too_repetitive",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password needs at least %(distinct)d different characters and at least "
            "%(visible)d that are not spaces."
        ) % {"distinct": self.min_distinct, "visible": self.min_visible}
