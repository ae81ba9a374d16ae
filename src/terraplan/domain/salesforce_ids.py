"""Salesforce record ids in their two forms: 15 characters (case-sensitive) and 18.

Salesforce shows a record's id in 15 characters in its pages and most reports, and in 18 in
the API, Data Loader and some report columns: the same 15 characters followed by three that
encode the case of the first 15, so that tools comparing ids without case still tell them
apart. One CRM export can therefore name the account ``001A000001AbCdE`` in the account
file and ``001A000001AbCdEIAX`` in an opportunity's AccountId. :func:`match_id_forms` maps
a reference written in the other form to the stored id (a record's own id too), and
:func:`record_key` tells two ids naming one record; an 18-character value is accepted
only when its three last characters are the right suffix of its first 15, so ids of other
systems that merely have 18 characters are never cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SHAPE = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?$")


def suffix(short_id: str) -> str:
    """The three characters Salesforce appends to a 15-character id: for each block of five
    characters, the letter (A-Z then 0-5) whose index has bit ``i`` set when character
    ``i`` of the block is an upper-case letter."""
    letters = []
    for block in range(3):
        chunk = short_id[5 * block : 5 * block + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        letters.append(SUFFIX_ALPHABET[bits])
    return "".join(letters)


def is_long_form(value: str) -> bool:
    """An 18-character Salesforce id whose suffix matches its first 15 characters."""
    return (
        len(value) == 18 and bool(_SHAPE.match(value)) and value[15:].upper() == suffix(value[:15])
    )


def match_id_forms(values: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """``value -> stored id`` for each value naming a stored id in the other form: an
    18-character id whose first 15 are a stored 15-character id, or a 15-character id
    whose 18-character form is stored. Values already stored, or matching nothing, are
    left out."""
    stored = set(known)
    long_of: dict[str, str] = {}
    for ident in stored:
        if is_long_form(ident):
            long_of[ident[:15]] = ident
    found: dict[str, str] = {}
    for value in set(values):
        if value in stored or not _SHAPE.match(value):
            continue
        if len(value) == 18 and is_long_form(value) and value[:15] in stored:
            found[value] = value[:15]
        elif len(value) == 15 and value in long_of:
            found[value] = long_of[value]
    return found


def other_form(value: str) -> str | None:
    """The other form of a Salesforce id: the first 15 characters of an 18-character id whose
    suffix is right, the 18-character form of a 15-character one; ``None`` for any other
    value (an id of another system)."""
    if is_long_form(value):
        return value[:15]
    if len(value) == 15 and _SHAPE.match(value):
        return value + suffix(value)
    return None


def record_key(value: str) -> str:
    """What names one Salesforce record whichever form it is written in: the first 15
    characters of an 18-character id whose suffix is right, else ``value`` as it is. A
    15-character id keeps its case (``...AbC`` and ``...abc`` are two records), and an id of
    another system that merely has 18 characters keeps all of them."""
    return value[:15] if is_long_form(value) else value


def with_other_forms(ids: Iterable[str]) -> tuple[str, ...]:
    """``ids`` followed by each Salesforce id's other form not already among them: the first
    15 characters of an 18-character id whose suffix is right, the 18-character form of a
    15-character one. A list of pinned accounts written in either form then names the
    stored record whichever form the CRM export gave it; listing the result again adds
    nothing."""
    given = list(dict.fromkeys(ids))
    seen = set(given)
    extra: list[str] = []
    for value in given:
        other = other_form(value)
        if other is not None and other not in seen:
            seen.add(other)
            extra.append(other)
    return (*given, *extra)


def as_typed(ids: Iterable[str]) -> tuple[str, ...]:
    """``ids`` without the forms :func:`with_other_forms` added: each id whose other form
    comes before it is left out, so a list reads again as it was written."""
    seen: set[str] = set()
    typed: list[str] = []
    for value in ids:
        if other_form(value) not in seen:
            typed.append(value)
        seen.add(value)
    return tuple(typed)
