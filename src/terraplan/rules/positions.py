"""Where in a rule-set text an error is: the line and column of the element a
:class:`~terraplan.errors.RuleError` names.

The parser reports the offending element as a path (``rules[3].when.any[1].value``); an editor
wants a line. :func:`error_position` walks the path through the YAML node graph of the text
(JSON texts are YAML too) and returns the position of the deepest element it reaches; syntax
errors carry their own position in the message.
"""

from __future__ import annotations

import re
from typing import Any

from terraplan.errors import RuleError

_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_YAML_MARK = re.compile(r"line (\d+), column (\d+)")
_JSON_MARK = re.compile(r"at line (\d+)")


def path_tokens(path: str) -> list[str | int]:
    """``"rules[3].when.any[1]"`` -> ``["rules", 3, "when", "any", 1]``."""
    return [int(index) if index else name for index, name in _TOKEN.findall(path)]


def _walk(root: Any, tokens: list[str | int]) -> Any:
    import yaml

    node = root
    for token in tokens:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(token):
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(token, int)
            and 0 <= token < len(node.value)
        ):
            child = node.value[token]
        if child is None:
            break
        node = child
    return node


def element_position(text: str, path: str) -> tuple[int, int] | None:
    """1-based (line, column) of the element at ``path`` in ``text`` (or of its nearest
    ancestor found); None when the text does not compose as YAML."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if root is None:
        return None
    node = _walk(root, path_tokens(path))
    return node.start_mark.line + 1, node.start_mark.column + 1


def error_position(text: str, error: RuleError) -> tuple[int, int] | None:
    """1-based (line, column) of what ``error`` is about in ``text``, when it can be told."""
    reason = str(error.details.get("reason", error.message))
    line, column = error.details.get("line"), error.details.get("column")
    if "not valid YAML" in reason and isinstance(line, int):
        return line, column if isinstance(column, int) else 1
    if "not valid YAML" in reason:
        marks = _YAML_MARK.findall(reason)
        if marks:
            line, column = marks[-1]
            return int(line), int(column)
        return None
    if "not valid JSON" in reason:
        found = _JSON_MARK.search(reason)
        return (int(found.group(1)), 1) if found else None
    path = error.details.get("path")
    if not isinstance(path, str) or not path:
        return None
    return element_position(text, path)
