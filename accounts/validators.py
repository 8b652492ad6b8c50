"""Password rules beyond Django's: a long password must also vary."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import User


class MinimumVarietyValidator:
    """Refuse passwords of fewer than `min_distinct` different characters ("aaaaaaaaaaaa", "abababababab")."""

    def __init__(self, min_distinct: int = 5) -> None:
        self.min_distinct = min_distinct

    def validate(self, password: str, user: User | None = None) -> None:
        if len(set(password)) < self.min_distinct:
            raise ValidationError(
                _("密码过于单一：至少要包含 %(n)d 个不同的字符。") % {"n": self.min_distinct},
                code="password_too_uniform",
            )

    def get_help_text(self) -> str:
        return _("密码至少包含 %(n)d 个不同的字符。") % {"n": self.min_distinct}
