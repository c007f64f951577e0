"""Password hashing (Argon2id) and the password policy (密码策略)."""

from __future__ import annotations

import contextlib
import string
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from autofin.kernel.errors import FieldError, Text, ValidationFailed

MAX_PASSWORD_LENGTH = 128
_CHARACTER_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


@cache
def hasher(cheap: bool = False) -> PasswordHasher:
    """Argon2id with the library's recommended parameters; ``cheap`` (test runs only) keeps suites fast.

    A stored hash made with other parameters is re-hashed at the next successful sign-in.
    """
    if cheap:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str, *, cheap: bool = False) -> str:
    return hasher(cheap).hash(password)


@cache
def dummy_hash(cheap: bool = False) -> str:
    """A hash to verify against when the user does not exist, so that answer takes as long as a wrong password."""
    return hasher(cheap).hash("autofin-no-such-user-dummy-password")


def verify_password(stored_hash: str | None, password: str, *, cheap: bool = False) -> tuple[bool, str | None]:
    """``(matches, new_hash)``: ``new_hash`` is set when the stored hash should be upgraded to current parameters."""
    ph = hasher(cheap)
    if stored_hash is None:
        with contextlib.suppress(VerificationError):
            ph.verify(dummy_hash(cheap), password)
        return False, None
    try:
        ph.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (ph.hash(password) if ph.check_needs_rehash(stored_hash) else None)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("autofin.org").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problems(password: str, username: str | None, min_length: int) -> list[Text]:
    """Every way ``password`` breaks the policy (empty when it is acceptable)."""
    problems: list[Text] = []
    if len(password) < min_length:
        problems.append(Text(f"Use at least {min_length} characters.", f"密码至少需要 {min_length} 个字符。"))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(
            Text(f"Use at most {MAX_PASSWORD_LENGTH} characters.", f"密码最多 {MAX_PASSWORD_LENGTH} 个字符。")
        )
    if username and username.lower() in password.lower():
        problems.append(Text("Do not include the username in the password.", "密码不能包含用户名。"))
    if password.lower() in common_passwords():
        problems.append(
            Text(
                "This password is too common; choose one that is hard to guess.",
                "该密码过于常见，请换一个不易猜到的密码。",
            )
        )
    classes = sum(any(c in chars for c in password) for chars in _CHARACTER_CLASSES)
    classes += any(not c.isalnum() for c in password) or any(c.isalpha() and not c.isascii() for c in password)
    if classes < 3:
        problems.append(
            Text(
                "Mix at least three of: lower-case letters, upper-case letters, digits, symbols.",
                "密码须至少包含小写字母、大写字母、数字、符号中的三类。",
            )
        )
    return problems


def check_password_policy(password: str, username: str | None, min_length: int, field: str = "password") -> None:
    """Raise a 422 naming every broken rule of the password policy."""
    problems = password_problems(password, username, min_length)
    if problems:
        raise ValidationFailed(
            "org.password.weak",
            Text(
                "The password does not meet the policy: " + " ".join(p.en for p in problems),
                "密码不符合安全策略：" + "".join(p.zh for p in problems),
            ),
            [FieldError(field, p) for p in problems],
        )
