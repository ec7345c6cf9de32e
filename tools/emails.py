"""Email addresses: one normal form for registering, logging in and external identities.

An address is compared and stored as NFKC, case-folded, NFKC again (Unicode's NFKC_Casefold,
less its removal of default-ignorable characters). So what someone registered with always logs
them in, whatever form their keyboard or system sends (NFD "é" or NFC "é", "ADA@" or "ada@"),
and a lookalike in compatibility characters (the fullwidth forms U+FF01-FF5E of "ada@example.com")
is the same address, not a second account.
"""

import unicodedata
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from db.limits import EMAIL_MAX
from tools.schemas import storable_text


def normalize_email(address: str) -> str:
    """The address's normal form (see the module's docstring), surrounding spaces dropped."""
    folded = unicodedata.normalize("NFKC", address.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def _valid(address: str) -> str:
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    # email-validator writes the domain in its Unicode form; fold that too, so the result is stable.
    return normalize_email(checked.normalized)


def _normalized(value: object) -> object:
    return normalize_email(value) if isinstance(value, str) else value


# An address as typed: bounded, storable and normalised, not checked for syntax (a login with a
# malformed address simply fails like any unknown one).
TypedEmail = Annotated[
    str,
    StringConstraints(max_length=EMAIL_MAX),
    AfterValidator(storable_text),
    AfterValidator(normalize_email),
]
# An address to register: the same, and a valid address.
Email = Annotated[
    str,
    BeforeValidator(_normalized),
    StringConstraints(max_length=EMAIL_MAX),
    AfterValidator(storable_text),
    AfterValidator(_valid),
]


def email_or_none(value: object) -> str | None:
    """A claimed address (an identity provider's `email`), normalised, or None if it is not one."""
    if not isinstance(value, str) or len(value) > EMAIL_MAX:
        return None
    try:
        return _valid(storable_text(normalize_email(value)))
    except ValueError:
        return None
