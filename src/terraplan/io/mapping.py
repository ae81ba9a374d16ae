"""Column mapping: from the headers of a file to canonical field names.

A header is matched, in this order, against

1. the caller's mapping (``{"Column In File": "our_field"}``, from a dict or a YAML/JSON
   file); a value of ``null`` ignores the column, ``"attributes.<name>"`` makes it a custom
   attribute named ``<name>``. The mapping may also rename values: the form
   ``{"columns": {"Title": "role"}, "values": {"role": {"Regional Sales Manager": "manager"}}}``
   maps columns as above and, per field (or file column), cell values before they are read
   (compared ignoring case and extra spaces; a value of ``null`` empties the cell). Two keys
   say how dates read: ``dates: day first`` (:mod:`terraplan.io.date_orders`) and
   ``time_zone: America/New_York`` (:mod:`terraplan.io.time_zones`);
2. the canonical field names of the kind;
3. built-in aliases (:mod:`terraplan.io.header_aliases`): out-of-the-box Salesforce export names
   (Account, Lead, User, Opportunity, OpportunityLineItem, ForecastingQuota), HubSpot's (``Record
   ID``, ``Deal ID``, ``Line Item ID``) and a few common spellings (``zip``, ``lat``, ``lng``...).
   The money kinds (sales lines, opportunities, targets, acquisition costs) also take the
   fields ``currency``, ``amount_converted`` and ``converted_currency``, recognised from the
   CRMs' currency columns (``CurrencyIsoCode``, ``Amount Currency``, ``Amount (converted)``,
   ``Amount (Base)``...): a converted amount column becomes ``amount`` (see
   :mod:`terraplan.io.currency`).

Steps 2 and 3 compare headers case-insensitively, ignoring spaces, underscores, hyphens
and dots, and ignoring a Salesforce custom-field suffix ``__c``. Headers that match nothing
become custom attributes (accounts, leads; geo units when numeric) or are reported in the
warnings and ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from terraplan.errors import DataError, RuleError
from terraplan.io.currency import CURRENCY_FIELDS, MONEY_FIELDS, MONEY_KINDS, amount_headers
from terraplan.io.date_orders import (
    DATES_KEY,
    DateOrder,
    declared_date_order,
    without_date_settings,
)
from terraplan.io.header_aliases import ALIASES
from terraplan.io.report import short
from terraplan.io.schema import kind_spec
from terraplan.io.time_zones import declared_time_zone

ATTRIBUTE_PREFIX = "attributes."

_SEPARATORS = re.compile(r"[\s_\-./]+")


def _precedence(kind: str, field: str, header: str, user: Mapping[str, str | None]) -> int:
    """Which of two columns of one field wins (lower first): a column the mapping file
    names (as written before one it names with other case or separators); then the column
    named as the field (``potential``, in any case), one spelt as it with other separators
    (``Postal Code``), a Salesforce custom field of its name (``Potential__c``); then the
    field's aliases in their order (HubSpot's "Associated Company IDs (Primary)" before
    "Associated Company IDs"); any other header (a converted amount's) after them all, so
    that the file's order decides among those."""
    key = normalize_header(header)
    text = header.strip().lstrip("\ufeff")
    named = normalize_header(field)
    ranks = (
        header in user,
        key in {normalize_header(k) for k in user},
        text == field,
        text.lower() == field,
        # the field's name with other separators, not a custom field (``__c``) of it
        _SEPARATORS.sub("", text.lower()) == named,
        key == named,
    )
    for rank, matches in enumerate(ranks):
        if matches:
            return rank
    aliases = [normalize_header(a) for a in ALIASES.get(kind, {}).get(field, ())]
    start = len(ranks)
    return start + aliases.index(key) if key in aliases else start + len(aliases)


def unique_headers(written: Sequence[str | None]) -> tuple[list[str], list[int], list[str]]:
    """The headers of a file's columns, each once: names, positions kept and warnings.

    ``written`` holds the header cells in file order. A header is stripped; an empty one is
    named by its position (``column_3``). A header repeating an earlier one drops its column
    (the first is used) and the warning names the header as written and the positions
    (1-based): ``columns 4 and 9 are both named 'Amount': the first is used``. Returns the
    names of the kept columns, their 0-based positions in ``written`` and the warnings.
    """
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(written):
        name = (header or "").strip() or f"column_{index + 1}"
        positions.setdefault(name, []).append(index)
    warnings = []
    for name, where in positions.items():
        if len(where) > 1:
            numbers = [str(i + 1) for i in where]
            listed = ", ".join(numbers[:-1]) + " and " + numbers[-1]
            both = "both" if len(where) == 2 else "all"
            warnings.append(f"columns {listed} are {both} named {short(name)!r}: the first is used")
    kept = sorted(where[0] for where in positions.values())
    names = {where[0]: name for name, where in positions.items()}
    return [names[i] for i in kept], kept, warnings


def normalize_header(header: str) -> str:
    """Lower-case ``header`` without separators and without a Salesforce ``__c`` suffix."""
    text = header.strip().lstrip("\ufeff")
    if text.lower().endswith("__c"):
        text = text[:-3]
    return _SEPARATORS.sub("", text.lower())


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """How the columns of one file map to canonical fields.

    ``fields`` maps a canonical field to the file column it comes from; ``attributes`` maps an
    attribute name to its file column; ``ignored`` lists file columns that are not used;
    ``values`` holds the value mappings per canonical field.
    """

    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Canonical field -> {value in file: value to read instead} (from the mapping).
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    #: Money kinds: ``amount`` is read from a converted amount column (``Amount (converted)``),
    #: and ``currency`` from its currency column (see :mod:`terraplan.io.currency`).
    converted: bool = False
    #: The amount column the converted amount column replaced (not used), if the file has one.
    replaced: str | None = None
    #: The order of slashed dates the mapping declares (``dates: day first``), if any.
    date_order: DateOrder | None = None
    #: The time zone whose days zoned date-times are read as (``time_zone: …``), if any.
    time_zone: str | None = None
    #: How messages name the mapping declaring them: ``the mapping file``, or ``the stored
    #: mapping 'NAME'`` (``--mapping-name``, the API's ``?mapping=``).
    declared_by: str = "the mapping file"

    def column_of(self, name: str) -> str:
        """The file column of field ``name`` (or of attribute ``attributes.<name>``)."""
        if name.startswith(ATTRIBUTE_PREFIX):
            return self.attributes.get(name[len(ATTRIBUTE_PREFIX) :], name)
        return self.fields.get(name, name)


def load_mapping(path: str | Path) -> dict[str, Any]:
    """Read a user mapping file (YAML or JSON, either form of the module docstring)."""
    from terraplan.rules.document import MAX_DOCUMENT_BYTES

    path = Path(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"more than {MAX_DOCUMENT_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = short(str(exc), 200)
        raise DataError(
            f"{path}: cannot read the column mapping ({reason})",
            details={"file": str(path), "reason": reason},
        ) from None
    return parse_mapping(text, str(path), as_json=path.suffix.lower() == ".json")


def parse_mapping(text: str, source: str, *, as_json: bool = False) -> dict[str, Any]:
    """A mapping's text (YAML, or JSON when ``as_json``) read and checked as a mapping file is;
    errors name ``source`` (the file, or a stored mapping), the line and column, and why."""
    from terraplan.rules.document import MAX_DOCUMENT_BYTES, read_document

    try:
        if len(text.encode("utf-8")) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"more than {MAX_DOCUMENT_BYTES:,} bytes")
        # Bounded like a rule file: nesting, aliases ("billion laughs") and size are limited,
        # so a hostile mapping file is refused instead of exhausting the stack or the memory.
        data = json.loads(text.lstrip("\ufeff")) if as_json else None
        if data is None:
            data = read_document(text.lstrip("\ufeff"))
    except RuleError as exc:
        syntax = _yaml_syntax_error(source, text) if "not valid YAML" in exc.message else None
        if syntax is not None:
            raise syntax from None
        reason = short(exc.message.removeprefix("rule set: "), 200)
        raise _unreadable(source, reason) from None
    except RecursionError:
        raise _unreadable(source, "it nests too deeply") from None
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg}"
        raise DataError(
            f"{source}, line {exc.lineno}, column {exc.colno}: cannot read the column mapping"
            f" ({reason})",
            details={"file": source, "line": exc.lineno, "column": exc.colno, "reason": reason},
        ) from None
    except (ValueError, yaml.YAMLError) as exc:
        raise _unreadable(source, short(str(exc), 200)) from None
    split_mapping(data, source)
    return dict(data)


def _unreadable(source: str, reason: str) -> DataError:
    return DataError(
        f"{source}: cannot read the column mapping ({reason})",
        details={"file": source, "reason": reason},
    )


def _yaml_syntax_error(path: Path | str, text: str) -> DataError | None:
    """The error for a mapping file that is not valid YAML: the file, the line and column
    where the parser stopped, its reason, and a hint when an unquoted ``#`` (which starts a
    comment: ``Employee #: id``) on a line up to there is the likely cause. ``None`` when the
    parser gives no position."""
    try:
        for _ in yaml.parse(text):  # events only: no aliases are expanded
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        if mark is None:
            return None
        line, column = mark.line + 1, mark.column + 1
        problem = " ".join(str(exc.problem or exc.context or "a syntax error").split())
        reason = f"not valid YAML: {problem}"
        lines = text.splitlines()[:line]
        commented = [
            number
            for number, content in enumerate(lines, start=1)
            if re.search(r"^\s*[^\s\"'#][^:\"']*\s#", content)
        ]
        if commented:
            number = commented[-1]
            key, _, value = lines[number - 1].strip().partition(": ")
            fixed = f"{short(json.dumps(key.strip()), 60)}: {short(value.strip(), 40) or '...'}"
            reason += (
                f"; line {number} has a '#' outside quotes, which starts a comment in YAML:"
                f" quote the column name ({fixed})"
            )
        return DataError(
            f"{path}, line {line}, column {column}: cannot read the column mapping ({reason})",
            details={"file": str(path), "line": line, "column": column, "reason": reason},
        )
    except yaml.YAMLError:
        return None
    return None


def _mapping_error(source: str, reason: str) -> DataError:
    return DataError(f"{source}: {reason}", details={"file": source, "reason": reason})


def split_mapping(
    mapping: object, source: str = "mapping"
) -> tuple[dict[str, str | None], dict[str, dict[str, str | None]]]:
    """The column part and the value part of a mapping (either form of the module docstring).

    Raises :class:`DataError` naming ``source`` when the mapping has another shape.
    """
    if not isinstance(mapping, Mapping):
        raise _bad_mapping(source)
    mapping, refused = without_date_settings(mapping)  # how dates read, not columns
    if refused is not None:
        raise _mapping_error(source, refused)
    nested = any(
        key in ("columns", "values") and isinstance(value, Mapping)
        for key, value in mapping.items()
    )
    columns: object = mapping.get("columns", {}) if nested else mapping
    values: object = mapping.get("values", {}) if nested else {}
    if nested and set(mapping) - {"columns", "values"}:
        extra = ", ".join(sorted(map(str, set(mapping) - {"columns", "values"})))
        reason = f"unknown key(s) {extra}; use 'columns', 'values', '{DATES_KEY}' and 'time_zone'"
        raise _mapping_error(source, reason)
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in columns.items()
    ):
        raise _bad_mapping(source)
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str)
        and isinstance(v, Mapping)
        and all(
            isinstance(a, str | int | float) and (b is None or isinstance(b, str | int))
            for a, b in v.items()
        )
        for k, v in values.items()
    ):
        reason = 'its "values" must be {"field": {"value in file": "our value"}}'
        raise _mapping_error(source, reason)
    value_maps = {
        str(k): {str(a): (None if b is None else str(b)) for a, b in v.items()}
        for k, v in values.items()
    }
    return dict(columns), value_maps


def _bad_mapping(source: str) -> DataError:
    reason = (
        'must be an object {"Column In File": "our_field"} or '
        '{"columns": {...}, "values": {"field": {"value in file": "our value"}}}'
    )
    return _mapping_error(source, reason)


def resolve_columns(
    headers: Sequence[str],
    kind: str,
    mapping: Mapping[str, Any] | None = None,
    *,
    mapping_source: str = "mapping",
) -> ColumnMap:
    """Map ``headers`` of a file of ``kind`` to canonical fields (see the module docstring).

    Raises :class:`DataError` when ``mapping`` names a field that ``kind`` does not have.
    """
    spec = kind_spec(kind)
    mapping_in = mapping
    column_mapping, value_mapping = split_mapping(mapping or {}, mapping_source)
    mapping = column_mapping
    canonical = {n for n in spec.names if n != "attributes"}
    if spec.kind in MONEY_KINDS:
        canonical.update(CURRENCY_FIELDS)
    lookup: dict[str, str] = {normalize_header(n): n for n in canonical}
    for field_name, aliases in ALIASES.get(kind, {}).items():
        for alias in aliases:
            lookup.setdefault(normalize_header(alias), field_name)
    if spec.kind in MONEY_KINDS:
        amounts = {key for key, role in lookup.items() if role == MONEY_FIELDS[spec.kind]}
        for key, role in amount_headers(amounts).items():
            lookup.setdefault(key, role)
    user = dict(mapping or {})
    user_normalized = {normalize_header(k): v for k, v in user.items()}
    for wanted in user.values():
        if wanted is None or wanted.startswith(ATTRIBUTE_PREFIX) or wanted in canonical:
            continue
        reason = f"maps a column to {wanted!r}, which is not a field of {kind}"
        raise DataError(
            f"{mapping_source}: {reason}",
            details={"file": mapping_source, "reason": reason, "field": wanted},
        )

    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    ignored: list[str] = []
    warnings: list[str] = []
    for header in headers:
        key = normalize_header(header)
        target: str | None
        if header in user or key in user_normalized:
            target = user[header] if header in user else user_normalized[key]
            if target is None:
                ignored.append(header)
                continue
        elif header.startswith(ATTRIBUTE_PREFIX):
            target = header
        else:
            target = lookup.get(key)
        if target is None:
            if spec.extra_columns == "ignore":
                ignored.append(header)
                warnings.append(
                    f"column {short(header)!r} maps to no field of {kind} and is ignored"
                )
            else:
                attributes.setdefault(header.strip(), header)
            continue
        if target.startswith(ATTRIBUTE_PREFIX):
            attributes.setdefault(target[len(ATTRIBUTE_PREFIX) :], header)
        elif target in fields:
            kept, dropped = fields[target], header
            if _precedence(kind, target, header, user) < _precedence(kind, target, kept, user):
                kept, dropped = header, kept
                fields[target] = header
            ignored.append(dropped)
            warnings.append(_left_out(target, kept, dropped, user))
        else:
            fields[target] = header
    warnings.extend(_misspelt_columns(user, headers))
    converted, replaced = False, None
    if spec.kind in MONEY_KINDS:
        money = MONEY_FIELDS[spec.kind]
        own_currency = fields.get("currency")
        amount = fields.get(money)
        user_amount = amount is not None and (
            amount in user or normalize_header(amount) in user_normalized
        )
        converted, replaced = _prefer_converted(fields, ignored, warnings, user_amount, money)
        renamed = {"converted_currency": "currency", "amount_converted": money}
        value_mapping = {renamed.get(k, k): v for k, v in value_mapping.items()}
        if own_currency is not None and spec.extra_columns == "any":
            # an account's currency also stays an attribute: rules may route by it
            attributes.setdefault(own_currency.strip(), own_currency)
            if own_currency in ignored:
                ignored.remove(own_currency)
    values: dict[str, dict[str, str | None]] = {}
    by_header = {normalize_header(column): name for name, column in fields.items()}
    for key, table in value_mapping.items():
        name = key if key in fields or key in canonical else by_header.get(normalize_header(key))
        if name is None or name not in canonical:
            reason = f"maps values of {key!r}, which is not a field of {kind} nor a mapped column"
            raise DataError(
                f"{mapping_source}: {reason}",
                details={"file": mapping_source, "reason": reason, "field": key},
            )
        values.setdefault(name, {}).update(table)
    return ColumnMap(
        fields,
        attributes,
        tuple(ignored),
        tuple(warnings),
        values,
        converted,
        replaced,
        declared_date_order(mapping_in),
        declared_time_zone(mapping_in),
        declared_by(mapping_source),
    )


def declared_by(mapping_source: str) -> str:
    """How messages name a mapping by its ``mapping_source``: a stored one by its name
    (``mapping 'uk-leads'``, as :class:`~terraplan.io.named_mapping.NamedMapping` gives it),
    any other as the mapping file (a file, or its content read already)."""
    if mapping_source.startswith("mapping '"):
        return f"the stored {mapping_source}"
    return "the mapping file"


def _left_out(field: str, kept: str, dropped: str, user: Mapping[str, str | None]) -> str:
    """The warning for a column left out because another column of the file gives its field:
    which column is read, why (the mapping names it, it is named as the field), and which
    is ignored."""
    if kept in user or normalize_header(kept) in {normalize_header(k) for k in user}:
        why = " (the mapping names it)"
    elif kept.strip().lstrip("\ufeff").lower() == field:
        why = " (named as the field)"
    else:
        why = ""
    return (
        f"columns {short(kept)!r} and {short(dropped)!r} both give field {field!r}:"
        f" {short(kept)!r} is read{why}, {short(dropped)!r} is ignored"
    )


def _misspelt_columns(user: Mapping[str, Any], headers: Sequence[str]) -> list[str]:
    """A warning per mapped column the file lacks while one of its columns is spelt almost
    the same (``Nmae`` for ``Name``): the mapping would otherwise do nothing, silently. (A
    column simply absent is not said: one mapping often serves several files.)"""
    import difflib

    present = {normalize_header(h): h for h in headers}
    found = []
    for column in user:
        key = normalize_header(column)
        if column in headers or key in present:
            continue
        close = difflib.get_close_matches(key, list(present), n=1, cutoff=0.75)
        if close:
            found.append(
                f"the mapping names column {short(column)!r}, which the file does not have; "
                f"did you mean {short(present[close[0]])!r}?"
            )
    return found


def _prefer_converted(
    fields: dict[str, str],
    ignored: list[str],
    warnings: list[str],
    user_amount: bool,
    money: str = "amount",
) -> tuple[bool, str | None]:
    """Read ``money`` (the amount field) from the converted amount column, if the file has one (updates the
    arguments in place). Returns whether it does and the amount column it replaced.

    The converted amount's currency column, if any, becomes ``currency`` (the record's own
    currency is no longer the amount's). An amount column the caller's mapping names keeps
    its place: the converted column is then ignored, with a warning.
    """
    column = fields.pop("amount_converted", None)
    converted_currency = fields.pop("converted_currency", None)
    if column is None:
        if converted_currency is not None:
            ignored.append(converted_currency)
            warnings.append(
                f"column {short(converted_currency)!r} names the currency of converted amounts,"
                " but the file has no converted amount column; it is ignored"
            )
        return False, None
    if user_amount:
        ignored.append(column)
        warnings.append(
            f"column {short(column)!r} (converted amounts) is ignored: the mapping reads"
            f" {money} from {short(fields[money])!r}"
        )
        if converted_currency is not None:
            ignored.append(converted_currency)
        return False, None
    replaced = fields.pop(money, None)
    fields[money] = column
    own_currency = fields.pop("currency", None)
    for header in (replaced, own_currency):
        if header is not None:
            ignored.append(header)
    if converted_currency is not None:
        fields["currency"] = converted_currency
    return True, replaced
