"""Password rules with Chinese messages (Django 5.2's zh-Hans catalogue lags behind its English texts)."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短，至少需要 {self.min_length} 个字符。",
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return f"密码至少 {self.min_length} 个字符。"


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def validate(self, password, user=None):
        if password.isdigit():
            raise ValidationError("密码不能全是数字。", code="password_entirely_numeric")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError("密码过于常见，请换一个。", code="password_too_common") from None


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError("密码与账号信息过于相似。", code="password_too_similar") from None


class CharacterClassesValidator:
    """At least `classes` of the four kinds of character: capitals, small letters, digits, other signs."""

    KINDS = (
        ("大写字母", str.isupper),
        ("小写字母", str.islower),
        ("数字", str.isdigit),
        ("符号", lambda c: not c.isalnum()),
    )

    def __init__(self, classes: int = 3):
        self.classes = classes

    def validate(self, password, user=None):
        used = sum(any(test(c) for c in password) for _, test in self.KINDS)
        if used < self.classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.classes} 种（现为 {used} 种）。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.classes} 种。"
