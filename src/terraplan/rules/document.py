"""Read a rule-set document (YAML or JSON text) within size limits.

A YAML document can be small and still expand to billions of nodes through anchors and
aliases (``&a [*b, *b]`` repeated: the "billion laughs"). PyYAML shares aliased nodes, so the
cost appears later, when the rule set is walked. The loader here measures the size of the
document *after* alias expansion on the composed node graph — each distinct node once,
remembering the expanded size of shared nodes — and refuses it before anything is built.

Limits (each refusal is a :class:`~terraplan.errors.RuleError` naming the limit):

* ``MAX_DOCUMENT_BYTES``: the text itself;
* ``MAX_NODES``: nodes after alias expansion (scalars, lists and mappings);
* ``MAX_DEPTH``: nesting of lists and mappings;
* ``MAX_LIST_ITEMS``: items of one list or mapping;
* ``MAX_CONDITION_NODES``: tests in the parsed conditions once named conditions (``use``,
  shared rather than copied) are expanded (:func:`check_expanded`).
"""

from __future__ import annotations

import json
from typing import Any

from terraplan.errors import RuleError
from terraplan.rules.model import AllOf, AnyOf, Condition, NotOf

MAX_DOCUMENT_BYTES = 50_000_000
MAX_NODES = 2_000_000
MAX_DEPTH = 64
MAX_LIST_ITEMS = 100_000
#: Tests (predicates, all/any/not) in all conditions once named conditions are expanded.
MAX_CONDITION_NODES = 200_000


def _refuse(limit: str, reason: str) -> RuleError:
    return RuleError(f"rule set: {reason}", details={"path": "", "limit": limit, "reason": reason})


def _too_many_nodes() -> RuleError:
    return _refuse(
        "nodes",
        f"the document expands to more than {MAX_NODES:,} elements once its YAML aliases "
        "are expanded",
    )


def _check_nodes(root: Any) -> None:
    """Expanded size, depth and list lengths of a composed YAML node graph (iterative)."""
    import yaml

    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # post-order walk: (node, children visited?)
    stack: list[tuple[Any, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size = 1 + sum(sizes[id(c)] for c in children)
            depth = 1 + max((depths[id(c)] for c in children), default=0)
            if size > MAX_NODES:
                raise _too_many_nodes()
            if depth > MAX_DEPTH:
                raise _refuse("depth", f"the document nests deeper than {MAX_DEPTH} levels")
            sizes[key], depths[key] = size, depth
            continue
        if key in sizes:
            continue
        if key in on_path:  # a recursive alias: a structure that contains itself
            raise _refuse("nodes", "the document refers to itself through a YAML alias")
        if isinstance(node, yaml.CollectionNode) and len(node.value) > MAX_LIST_ITEMS:
            raise _refuse(
                "list_items",
                f"a list or mapping has {len(node.value):,} items; at most "
                f"{MAX_LIST_ITEMS:,} are allowed",
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: Any) -> list[Any]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _yaml(text: str) -> Any:
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """SafeLoader that bounds nesting while composing and size before constructing."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise _refuse("depth", f"the document nests deeper than {MAX_DEPTH} levels")
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_document(self, node: Any) -> Any:
            _check_nodes(node)
            return super().construct_document(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            _refuse_repeated_keys(node)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> Any:
            # YAML 1.1 reads 07000 as octal 3584 and 1:30 as 90: in a rule set such text is
            # a code (ZIP 07000) or a label, so it stays the text that was typed.
            text = str(node.value).replace("_", "")
            digits = text.lstrip("+-")
            if ":" in text or (len(digits) > 1 and digits[0] == "0" and digits.isdigit()):
                return str(node.value)
            return super().construct_yaml_int(node)

    BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)

    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _refuse_repeated_keys(node: Any) -> None:
    """A key given twice in one mapping (a second ``rules:`` block, a second ``when:``): YAML
    would keep the last one and drop the first without a word."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = getattr(key_node, "value", None)
        if not isinstance(key, str) or key == "<<":
            continue
        line = key_node.start_mark.line + 1
        if key in seen:
            reason = f"line {line}: the key {key!r} is given twice (first at line {seen[key]})"
            raise RuleError(
                f"rule set: {reason}", details={"path": "", "reason": reason, "line": line}
            )
        seen[key] = line


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it gives a key twice (JSON would keep the last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            reason = f"the key {key!r} is given twice in one object"
            raise RuleError(f"rule set: {reason}", details={"path": "", "reason": reason})
        out[key] = value
    return out


def _json_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _check_values(root: Any) -> None:
    """Element count and list lengths of parsed JSON data (no aliases: a plain walk);
    a refused list is named by its path (``rules[3].when.value``)."""
    count = 0
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        value, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _too_many_nodes()
        if isinstance(value, dict | list):
            if len(value) > MAX_LIST_ITEMS:
                where = f"{path}: " if path else ""
                reason = (
                    f"a list or mapping has {len(value):,} items; at most "
                    f"{MAX_LIST_ITEMS:,} are allowed"
                )
                raise RuleError(
                    f"rule set: {where}{reason}",
                    details={"path": path, "limit": "list_items", "reason": reason},
                )
            if isinstance(value, dict):
                stack.extend(
                    (item, f"{path}.{key}" if path else str(key)) for key, item in value.items()
                )
            else:
                stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))


def read_document(text: str) -> Any:
    """The data of a YAML or JSON rule-set text (JSON when it starts with ``{``), bounded."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_DOCUMENT_BYTES:
        raise _refuse(
            "document_bytes",
            f"the document has {size:,} bytes; at most {MAX_DOCUMENT_BYTES:,} are allowed",
        )
    stripped = text.lstrip()
    try:
        if stripped.startswith("{"):
            if _json_depth(text) > MAX_DEPTH:
                raise _refuse("depth", f"the document nests deeper than {MAX_DEPTH} levels")
            data = json.loads(text, object_pairs_hook=_json_pairs)
            _check_values(data)
            return data
        return _yaml(text)
    except RuleError:
        raise
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} at line {exc.lineno}"
        raise RuleError(f"rule set: {reason}", details={"path": "", "reason": reason}) from None
    except RecursionError:
        raise _refuse("depth", f"the document nests deeper than {MAX_DEPTH} levels") from None
    except Exception as exc:  # yaml.YAMLError and friends
        from terraplan.rules.regex import shorten
        from terraplan.rules.yaml_errors import yaml_problem

        # one sentence in words, at the line to fix; the place is in the details (an editor
        # shows it beside the message; a file's error names it after the file)
        found = yaml_problem(exc, text)
        reason = f"not valid YAML: {shorten(found.words, 300)}"
        place = {"line": found.line, "column": found.column} if found.line is not None else {}
        raise RuleError(
            f"rule set: {reason}", details={"path": "", "reason": reason, **place}
        ) from None


def check_expanded(conditions: list[tuple[str, Condition]]) -> None:
    """Refuse a rule set whose conditions expand to more than ``MAX_CONDITION_NODES``.

    Named conditions (``use``) are shared, not copied, so a chain of conditions each using
    the previous one twice is small on the page and huge once evaluated: sizes are counted
    per distinct condition object and summed as the evaluators would walk them.
    """
    sizes: dict[int, int] = {}

    def size(cond: Condition) -> int:
        key = id(cond)
        if key not in sizes:
            if isinstance(cond, AllOf | AnyOf):
                sizes[key] = 1 + sum(size(c) for c in cond.items)
            elif isinstance(cond, NotOf):
                sizes[key] = 1 + size(cond.item)
            else:
                sizes[key] = 1
        return sizes[key]

    total = 0
    for path, cond in conditions:
        total += size(cond)
        if total > MAX_CONDITION_NODES:
            reason = (
                f"the rule set's conditions expand to more than {MAX_CONDITION_NODES:,} tests "
                "(named conditions used many times count each time)"
            )
            raise RuleError(
                f"{path}: {reason}",
                details={"path": path, "limit": "conditions", "reason": reason},
            )
