"""Phone numbers: Indonesian mobile numbers, stored in E.164 (+62…).

Every phone Jaring stores is one it may send a message to (claim received,
decision, payout) by SMS or WhatsApp, so participants' and heirs' phones alike must
be mobile. The `phonenumbers` library (libphonenumber's metadata) decides what is
a valid Indonesian mobile number, so the number plans are not copied here.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from shared.errors import FieldError, RuleViolation

REGION = "ID"
COUNTRY_CODE = "62"

# FIXED_LINE_OR_MOBILE is what libphonenumber answers when a number plan cannot
# tell the two apart; refusing it would refuse numbers that may well be mobile,
# so it is accepted. Plain FIXED_LINE, VOIP, toll-free and the like are refused.
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

_SEPARATORS = str.maketrans("", "", " -.()/")

# How nearly every mobile number is written (08…, 62 8…, +62 8…): its national
# significant number is plainly the digits after the 0 or the 62, so it is read
# directly instead of through libphonenumber's general parser, which was most of a
# bulk import's validation time. Only reading is skipped: every number still meets
# the same check against libphonenumber's Indonesian number plans (number_type), and
# a unit test holds the shortcut equal to the parser. ASCII digits only.
_PLAIN_MOBILE = re.compile(r"(?:\+62|62|0)(8[0-9]{6,13})")


def normalize_phone(raw: object, loc: tuple[str | int, ...]) -> str:
    """The E.164 form of an Indonesian mobile number written 08…, +62… or 62….

    Raises RuleViolation with one FieldError(loc, "phone_invalid", …) otherwise.
    """
    # The raw text is not echoed in the message: a phone number is personal data and
    # a RuleViolation's text may end up in a log.
    number = _parse(raw)
    # ID is the only region of +62, so for a +62 number libphonenumber's "valid for
    # region ID" is exactly "of a known type": one number_type call answers both
    # questions (typing a number twice was a tenth of a bulk import's time).
    kind = (
        phonenumbers.number_type(number)
        if number is not None and number.country_code == int(COUNTRY_CODE)
        else PhoneNumberType.UNKNOWN
    )
    if number is None or kind == PhoneNumberType.UNKNOWN:
        raise RuleViolation(
            [
                FieldError(
                    loc,
                    "phone_invalid",
                    "phone_invalid: give an Indonesian mobile number, written 0812 3456 7890, "
                    "+62 812 3456 7890 or 62 812 3456 7890",
                )
            ]
        )
    if kind not in _MOBILE_TYPES:
        raise RuleViolation(
            [
                FieldError(
                    loc,
                    "phone_invalid",
                    "phone_invalid: this is not a mobile number (a landline cannot receive "
                    "Jaring's SMS or WhatsApp messages); give an Indonesian mobile number",
                )
            ]
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse(raw: object) -> phonenumbers.PhoneNumber | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip().translate(_SEPARATORS)
    plain = _PLAIN_MOBILE.fullmatch(text)
    if plain is not None:
        return phonenumbers.PhoneNumber(country_code=int(COUNTRY_CODE), national_number=int(plain.group(1)))
    # "62812…" without the plus is how numbers come out of many spreadsheets; parsed
    # with region ID it would be read as a national number. National numbers start
    # with the trunk 0 and mobile ones with 8, so a leading 62 is the country code.
    if text.startswith(COUNTRY_CODE):
        text = "+" + text
    try:
        return phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
