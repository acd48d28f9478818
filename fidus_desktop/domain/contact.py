"""How a person's contact data is checked and compared: e-mail, phone, names, amounts.

One place for the rules the record pane, the CSV import and the command line share, so a value
refused in one is refused in all. Duplicates are found on normalized forms: the e-mail
case-insensitively, the phone as its digits in international form.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: Longest text accepted in a name, an e-mail or a short field (a pasted novel is refused).
MAX_FIELD = 200
MAX_NOTES = 20_000
#: E.164: at most 15 digits after the country code's "+"; at least 7 make a real number.
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
#: Prospective values above this are a typing mistake, not a fund's client (10 billion).
MAX_AMOUNT = Decimal("10000000000")

# Deliberately plain: a local part, one "@", a dotted domain with a 2+ letter end. Unicode
# letters are allowed (internationalised addresses); spaces, commas and angle brackets are not.
_EMAIL = re.compile(r"^[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\.]+(\.[^\s@<>(),;:\"\[\]\\.]+)*\.[^\W\d_]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")


def clean_text(value: object) -> str:
    """Text as stored: stripped, control characters (but newlines and tabs) removed."""
    text = "" if value is None else str(value)
    return "".join(c for c in text if c in "\n\t" or c.isprintable()).strip()


def email_problem(email: str, *, required: bool = True) -> str | None:
    if not email:
        return "An e-mail address is required." if required else None
    if len(email) > MAX_FIELD:
        return f"An e-mail address has at most {MAX_FIELD} characters."
    if not _EMAIL.match(email):
        return f"'{email[:60]}' is not an e-mail address (like name@example.com)."
    return None


def phone_problem(phone: str, *, required: bool = True) -> str | None:
    """The phone must be in international form: ``+`` and the country code, then the number."""
    if not phone:
        return "A phone number is required (international form, e.g. +1 305 555 0100)." if required else None
    if len(phone) > 40:
        return "A phone number has at most 40 characters."
    compact = _PHONE_SEPARATORS.sub("", phone)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        return "Give the phone in international form, starting with + and the country code (e.g. +1 305 555 0100)."
    digits = compact[1:]
    if not digits.isdigit() or not digits.isascii():
        return "A phone number holds digits, spaces, dashes, dots and brackets only."
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        return f"A phone number in international form has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits."
    return None


def name_problem(name: str) -> str | None:
    if not name:
        return "A name is required."
    if len(name) > MAX_FIELD:
        return f"A name has at most {MAX_FIELD} characters."
    return None


_PLAIN = re.compile(r"-?\d+(\.\d+)?")
_GROUPED_POINT = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")  # 250,000.00
_GROUPED_COMMA = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?")  # 250.000,00 (a European spreadsheet)
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")  # 1500,50
#: ``250.000`` is 250 to an English reader and 250,000 to a German one: refused, never guessed.
_AMBIGUOUS = re.compile(r"-?\d{1,3}\.\d{3}")


def _amount_text(text: object) -> str:
    raw = clean_text(text).replace(" ", "").replace("\u00a0", "").replace("'", "")
    for symbol in ("US$", "USD", "usd", "$", "\u20ac", "EUR"):
        raw = raw.replace(symbol, "")
    return raw


def parse_amount(text: object) -> Decimal | None:
    """``25000``, ``25,000.00``, ``25.000,00``, ``25 000``, ``$25,000`` -> Decimal; ``None`` when it
    is not an amount, or could be read two ways (``25.000``)."""
    if isinstance(text, Decimal):
        return text if text.is_finite() else None
    raw = _amount_text(text)
    if not raw or len(raw) > 30 or _AMBIGUOUS.fullmatch(raw):
        return None
    if _PLAIN.fullmatch(raw):
        number = raw
    elif _GROUPED_POINT.fullmatch(raw):
        number = raw.replace(",", "")
    elif _GROUPED_COMMA.fullmatch(raw):
        number = raw.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(raw):
        number = raw.replace(",", ".")
    else:
        return None
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def amount_problem(text: str) -> str | None:
    if not clean_text(text):
        return None
    amount = parse_amount(text)
    if amount is None:
        if _AMBIGUOUS.fullmatch(_amount_text(text)):
            return f"'{text[:40]}' can be read two ways: write 250000, 250,000.00 or 250.000,00."
        return f"'{text[:40]}' is not an amount (e.g. 250000 or 250,000.00)."
    if amount < 0:
        return "An amount cannot be negative."
    if amount > MAX_AMOUNT:
        return "That amount is too large for a prospective investment."
    if amount != amount.quantize(Decimal("0.01")):
        return "Amounts are in whole cents."
    return None


def email_key(email: str) -> str:
    """The form two e-mail addresses are compared in (case-insensitive)."""
    return clean_text(email).casefold()


def phone_key(phone: str) -> str:
    """The digits of a phone in international form (``+1 (305) 555-0100`` -> ``13055550100``);
    empty for a number too short to identify anybody."""
    text = clean_text(phone)
    compact = _PHONE_SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = compact[2:]
    digits = "".join(c for c in compact if c.isascii() and c.isdigit())
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def international_phone(phone: str) -> str:
    """``0034 600 000 001`` -> ``+34 600 000 001``: the stored form keeps the manager's spacing."""
    text = clean_text(phone)
    return "+" + text[2:].lstrip() if text.startswith("00") else text
