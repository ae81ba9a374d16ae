"""Territory names and ids that look the same but are different texts.

``Ｗest`` (a full-width Ｗ) and ``West``, ``West`` and ``west``, ``West`` and ``West`` followed
by a zero-width space: a rule set may declare both, and every report then shows two rows that
read alike. :func:`lookalike_notes` says so once per group, in a plain note (they are not
refused: a plan may mean two territories).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

#: Characters that show as nothing (zero-width spaces and joiners, word joiner, BOM, soft
#: hyphen).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
#: Cyrillic and Greek letters drawn like Latin ones (after case folding).
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ζ": "z", "η": "n", "μ": "m",
    }
)  # fmt: skip


def folded(text: str) -> str:
    """``text`` as it reads: NFKC-normalised, case-folded, without invisible characters,
    with Cyrillic and Greek look-alikes of Latin letters read as Latin, spaces collapsed."""
    normal = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return " ".join(normal.translate(_CONFUSABLE).split())


def lookalike_notes(territories: Iterable[tuple[str, str]]) -> list[str]:
    """One note per group of territories (``(id, name)`` pairs) whose names, or ids, read
    alike (:func:`folded`) but are not the same territory."""
    pairs = list(territories)
    notes: list[str] = []
    for what, index in (("names", 1), ("ids", 0)):
        groups: dict[str, list[tuple[str, str]]] = {}
        for pair in pairs:
            groups.setdefault(folded(pair[index]), []).append(pair)
        for group in groups.values():
            texts = list(dict.fromkeys(p[index] for p in group))
            if len(group) < 2 or (what == "ids" and len(texts) < 2):
                continue
            if what == "names":
                shown = ", ".join(f"{name!r} ({tid})" for tid, name in group)
                same = "are the same name" if len(texts) == 1 else "look the same"
            else:
                shown = ", ".join(f"{tid!r} ({name})" for tid, name in group)
                same = "look the same"
            notes.append(
                f"territory {what} {shown} {same}: reports and tables will show them alike; "
                "give each territory a name (and id) of its own unless that is meant"
            )
    return notes
