"""Numbers as sources write them: "11,000", "11 000", "2.7 million", "110k", "twenty-five", "28%".

``NUMBER`` is a regular expression for one number in a phrase that has been lowercased
and whose whitespace runs are single spaces; ``read_number`` gives its value. Pure:
docs/figures.md ("Numbers") is the reference for every form accepted here.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

__all__ = [
    "DIGIT_WORDS",
    "HYPHENS",
    "MULTIPLIERS",
    "NUMBER",
    "NUMBER_WORDS",
    "Written",
    "read_number",
]

MULTIPLIERS = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_SUFFIXES = {"k": 10**3, "m": 10**6, "bn": 10**9}

#: The words for one to nine.
DIGIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEEN_WORDS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SMALL = {word: i for i, word in enumerate(("zero", *DIGIT_WORDS, *_TEEN_WORDS.split()))}
_SMALL |= {word: 10 * i for i, word in enumerate(_TENS_WORDS, start=2)}
_SCALES = {"hundred": 100, "dozen": 12, **MULTIPLIERS}
#: Every word a number in words is made of; a phrase refuses them as trailing words.
NUMBER_WORDS = frozenset([*_SMALL, *_SCALES, "half"])

# -- in digits ---------------------------------------------------------------------
# ASCII digits only ("\d" would take Arabic-Indic digits too). Separators come in
# groups of three, all alike, so "11,00" is refused and "300 2,700" stays two numbers.
_WHOLE = r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+"
# A suffix is glued to the digits: "3.5m" is 3.5 million, "3.5 m" is 3.5 metres.
_DIGITS = rf"(?:{_WHOLE})(?:\.[0-9]+)?(?: (?:thousand|million|billion)|k|m|bn)?"
_DIGITS_PARTS = re.compile(r"([0-9, ]+?)(?:\.([0-9]+))?(?: (thousand|million|billion)|(k|m|bn))?")

# -- in words ----------------------------------------------------------------------
# Unicode hyphen, non-breaking hyphen, hyphen-minus: last, so a class never reads a range.
HYPHENS = "‐‑-"
_UNIT = "|".join(DIGIT_WORDS)
# Longer words first, so "seventeen" is never tried as "seven" and a stray "teen".
_BELOW_100 = (
    rf"(?:(?:{'|'.join(_TENS_WORDS)})(?:[ {HYPHENS}](?:{_UNIT}))?"
    rf"|{_TEEN_WORDS.replace(' ', '|')}|{_UNIT})"
)
# "three hundred and fifty": "and" is taken only before a last part below a hundred.
_BELOW_1000 = rf"(?:(?:{_BELOW_100}|a) hundred(?: (?:and )?{_BELOW_100})?|{_BELOW_100})"
_TAIL = rf"(?: and {_BELOW_100}| {_BELOW_1000})"
_COUNT = rf"(?:{_BELOW_1000}|a)"
# Scale words in descending order, each at most once: "two million three hundred thousand".
_THOUSANDS = rf"{_COUNT} thousand{_TAIL}?"
_MILLIONS = rf"{_COUNT} million(?: {_BELOW_1000} thousand)?{_TAIL}?"
_BILLIONS = rf"{_COUNT} billion(?: {_BELOW_1000} million)?(?: {_BELOW_1000} thousand)?{_TAIL}?"
_WORDS = (
    rf"(?:{_BILLIONS}|{_MILLIONS}|{_THOUSANDS}|(?:{_BELOW_100}|a) dozen"
    rf"|half a (?:dozen|hundred|thousand|million|billion)|{_BELOW_1000}|zero)"
)

_PERCENT = r"(?: ?%| percent| per cent| pct)"
NUMBER = rf"(?:{_DIGITS}|{_WORDS}){_PERCENT}?"
_PERCENT_AT_END = re.compile(rf"{_PERCENT}$")


class Written(NamedTuple):
    """A number as written: its digits or count, the multiplier after them, a percent sign."""

    mantissa: Fraction
    multiplier: int
    percent: bool

    @property
    def value(self) -> Fraction:
        """The number itself."""
        return self.mantissa * self.multiplier


def read_number(text: str) -> Written:
    """The value of a number that ``NUMBER`` matched, split as a range needs it."""
    percent = _PERCENT_AT_END.search(text)
    if percent is not None:
        text = text[: percent.start()]
    mantissa, multiplier = _digits(text) if text[0].isdigit() else _words(text)
    return Written(mantissa, multiplier, percent is not None)


def _digits(text: str) -> tuple[Fraction, int]:
    match = _DIGITS_PARTS.fullmatch(text)
    assert match is not None  # NUMBER only captures digits that _DIGITS_PARTS reads
    whole, decimals, word, suffix = match.groups()
    mantissa = Fraction(int(whole.replace(",", "").replace(" ", "")))
    if decimals:
        mantissa += Fraction(int(decimals), 10 ** len(decimals))
    multiplier = MULTIPLIERS[word] if word else _SUFFIXES[suffix] if suffix else 1
    return mantissa, multiplier


def _words(text: str) -> tuple[Fraction, int]:
    tokens = re.split(rf"[ {HYPHENS}]", text)
    # A count followed by scale words only ("three hundred", "twenty-five thousand")
    # lends its scale words to a range's bare start, as "2-3 million" does: "two to
    # three hundred" is 200 to 300. "A hundred" or "half a million" is one whole.
    split = next((i for i, token in enumerate(tokens) if token not in _SMALL), len(tokens))
    count, scales = tokens[:split], tokens[split:]
    if count and scales and all(t in _SCALES for t in scales):
        multiplier = 1
        for word in scales:
            multiplier *= _SCALES[word]
        return Fraction(sum(_SMALL[t] for t in count)), multiplier
    return _value_of_words(tokens), 1


def _value_of_words(tokens: list[str]) -> Fraction:
    total, group, half = 0, 0, False
    for token in tokens:
        if token in _SMALL:
            group += _SMALL[token]
        elif token == "a":
            group = 1
        elif token == "half":
            half = True
        elif token in ("hundred", "dozen"):
            group *= _SCALES[token]
        elif token in MULTIPLIERS:
            total += group * MULTIPLIERS[token]
            group = 0
    return Fraction(total + group, 2 if half else 1)
