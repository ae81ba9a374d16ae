"""The value counts a row-counting warning gives as examples, summed over batches.

A warning such as ``23 opportunities read as won from the stage (e.g. 'Closed Won': 11)``
names values with their counts. A table or folder read in batches says it once per batch;
the import's report sums the leading count (:mod:`terraplan.services.source_imports`), and
this module sums the examples, so that the report does not say ``23 … (e.g. 'Closed Won':
11)`` when every one of the 23 is ``Closed Won``.
"""

from __future__ import annotations

import re

from terraplan.io.stages import STAGES_SHOWN

#: A quoted value (as ``repr`` quotes it) and its count.
_PAIR = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"): (\d[\d,]*)"""
#: The examples of a warning: ``(e.g. 'A': 3, 'B': 1)`` and nothing else inside.
_EXAMPLES = re.compile(rf"\(e\.g\. ({_PAIR}(?:, {_PAIR})*)\)")


def examples(text: str) -> dict[str, int] | None:
    """Quoted value -> count of the first ``(e.g. …)`` of ``text`` that lists only value
    counts; ``None`` when it has none (or lists something else)."""
    found = _EXAMPLES.search(text)
    if found is None:
        return None
    return {
        value: int(count.replace(",", "")) for value, count in re.findall(_PAIR, found.group(1))
    }


def summed(into: dict[str, int] | None, text: str) -> dict[str, int] | None:
    """``into`` with the examples of ``text`` added (``None`` when either has none)."""
    more = examples(text)
    if into is None or more is None:
        return None
    total = dict(into)
    for value, count in more.items():
        total[value] = total.get(value, 0) + count
    return total


def with_examples(text: str, counts: dict[str, int], shown: int = STAGES_SHOWN) -> str:
    """``text`` with its ``(e.g. …)`` listing ``counts``: the ``shown`` most frequent, the
    most frequent first (then by value), then how many more values there are."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    listed = ", ".join(f"{value}: {count:,}" for value, count in ordered[:shown])
    if len(ordered) > shown:
        listed += f", and {len(ordered) - shown:,} more"
    return _EXAMPLES.sub(lambda _: f"(e.g. {listed})", text, count=1)
