"""统一社会信用代码 (Unified Social Credit Identifier, GB 32100-2015): format and check character."""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PATTERN = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")


class InvalidCreditCode(ValueError):
    """The string is not a valid 统一社会信用代码."""


def check_character(first17: str) -> str:
    """The 18th character that GB 32100 derives from the first 17."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return the code when it is well formed with a correct check character; raise InvalidCreditCode naming why."""
    if len(code) != 18:
        raise InvalidCreditCode(f"a 统一社会信用代码 has 18 characters, got {len(code)}")
    if not _PATTERN.match(code):
        raise InvalidCreditCode("a 统一社会信用代码 uses digits and upper-case letters other than I, O, S, V and Z")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(f"check character is {code[17]!r} but should be {expected!r}")
    return code


def make_credit_code(body17: str) -> str:
    """Complete a 17-character body with its check character (used for demo and test data)."""
    return body17 + check_character(body17)
