"""A tiny typed reader over parsed YAML that reports problems as :class:`ContentError`.

Every value is read through a :class:`Node`, which remembers the file and the dotted key, so a
problem anywhere in a file is reported as ``file: key: problem``. Unknown keys are rejected so a
typo in a data file cannot silently drop a field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from content.errors import ContentError


def load_yaml(path: Path, root: Path | None = None) -> Any:
    """Parse one YAML file; the error names the file relative to ``root`` when given."""
    name = display_name(path, root)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ContentError(name, "(file)", "file is missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(name, "(file)", f"not valid YAML: {exc}") from None


def display_name(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


class Node:
    """One value in a YAML file, with where it came from."""

    def __init__(self, value: Any, file: str, key: str = "(top)"):
        self.value = value
        self.file = file
        self.key = key

    def error(self, problem: str, key: str | None = None) -> ContentError:
        return ContentError(self.file, key or self.key, problem)

    def _child_key(self, name: str | int) -> str:
        if isinstance(name, int):
            return f"{self.key}[{name}]" if self.key != "(top)" else f"[{name}]"
        return name if self.key == "(top)" else f"{self.key}.{name}"

    # --- mappings -------------------------------------------------------------------------------
    def mapping(self, allowed: set[str] | None = None, required: set[str] | None = None) -> Node:
        """Assert this node is a mapping with only ``allowed`` keys and all ``required`` keys."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, found {_kind(self.value)}")
        for k in self.value:
            if not isinstance(k, str):
                raise self.error(f"keys must be text, found {k!r}")
        if allowed is not None:
            unknown = sorted(set(self.value) - allowed - (required or set()))
            if unknown:
                raise self.error(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed | (required or set())))})")
        for k in sorted(required or ()):
            if k not in self.value:
                raise self.error("missing required key", self._child_key(k))
        return self

    def has(self, name: str) -> bool:
        return isinstance(self.value, dict) and name in self.value and self.value[name] is not None

    def get(self, name: str) -> Node:
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, found {_kind(self.value)}")
        if name not in self.value:
            raise self.error("missing required key", self._child_key(name))
        return Node(self.value[name], self.file, self._child_key(name))

    def opt(self, name: str) -> Node | None:
        return self.get(name) if self.has(name) else None

    def items(self) -> Iterator[tuple[str, Node]]:
        self.mapping()
        for k, v in self.value.items():
            yield k, Node(v, self.file, self._child_key(k))

    # --- lists ----------------------------------------------------------------------------------
    def list(self, min_len: int = 0) -> list[Node]:
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, found {_kind(self.value)}")
        if len(self.value) < min_len:
            raise self.error(f"expected at least {min_len} entries, found {len(self.value)}")
        return [Node(v, self.file, self._child_key(i)) for i, v in enumerate(self.value)]

    def str_list(self, min_len: int = 0) -> tuple[str, ...]:
        return tuple(n.str() for n in self.list(min_len))

    # --- scalars --------------------------------------------------------------------------------
    def str(self, allow_empty: bool = False) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"expected text, found {_kind(self.value)}")
        if not allow_empty and not self.value.strip():
            raise self.error("text is empty")
        return self.value

    def ident(self) -> str:
        """An id: lowercase letters, digits and underscores, starting with a letter."""
        value = self.str()
        if not _is_ident(value):
            raise self.error(f"{value!r} is not a valid id (use a-z, 0-9 and _; start with a letter)")
        return value

    def int(self, min_value: int | None = None, max_value: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected a whole number, found {_kind(self.value)}")
        if min_value is not None and self.value < min_value:
            raise self.error(f"must be at least {min_value}, found {self.value}")
        if max_value is not None and self.value > max_value:
            raise self.error(f"must be at most {max_value}, found {self.value}")
        return self.value

    def bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, found {_kind(self.value)}")
        return self.value

    def choice(self, options: tuple[str, ...] | set[str]) -> str:
        value = self.str()
        if value not in options:
            raise self.error(f"{value!r} is not one of {', '.join(sorted(options))}")
        return value


def _is_ident(value: str) -> bool:
    return bool(value) and value[0].isascii() and value[0].islower() and all(
        ch.isascii() and (ch.islower() or ch.isdigit() or ch == "_") for ch in value
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def unique_ids(nodes: list[tuple[str, Node]], what: str) -> None:
    """Raise if an id repeats; ``nodes`` pairs each id with the node that declared it."""
    seen: dict[str, Node] = {}
    for ident, node in nodes:
        if ident in seen:
            raise node.error(f"duplicate {what} id {ident!r} (first used at {seen[ident].key})")
        seen[ident] = node
