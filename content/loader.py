"""Typed loader for the data files in this folder.

Every file is validated when loaded; a broken file raises :class:`ContentError` naming the file,
the key and the problem.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

CONTENT_DIR = Path(__file__).resolve().parent


class ContentError(ValueError):
    """A content file is missing, malformed or inconsistent."""

    def __init__(self, file: str | Path, key: str, problem: str):
        self.file = str(file)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.file}: {key}: {problem}")


def placeholders(template: str) -> set[str]:
    """Named placeholders used in a template, e.g. {"nama"} for "Halo {nama}"."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name)
    return names


def _flatten(data: object, prefix: str, file: Path, out: dict[str, str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise ContentError(file, f"{prefix}{key}", "keys must be text")
            _flatten(value, f"{prefix}{key}.", file, out)
    elif isinstance(data, str):
        key = prefix[:-1]
        try:
            placeholders(data)
        except ValueError as exc:
            raise ContentError(file, key, f"bad placeholder syntax ({exc})") from None
        if "" in placeholders(data):
            raise ContentError(file, key, "placeholders must be named, e.g. {nama}")
        out[key] = data
    else:
        raise ContentError(file, prefix[:-1] or "(top)", f"expected text, found {type(data).__name__}")


def load_yaml(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ContentError(path, "(file)", "file is missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, "(file)", f"not valid YAML: {exc}") from None


def load_texts(texts_dir: Path) -> dict[str, str]:
    """All sentences by dotted key; the file stem is the first part of the key."""
    texts: dict[str, str] = {}
    for path in sorted(texts_dir.glob("*.yaml")):
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise ContentError(path, "(top)", "expected a mapping of keys to sentences")
        _flatten(data, f"{path.stem}.", path, texts)
    return texts


@dataclass(frozen=True)
class Content:
    """The loaded content. Sentences are looked up by key with :meth:`text`."""

    texts: dict[str, str] = field(default_factory=dict)
    root: Path = CONTENT_DIR

    def text(self, key: str, /, **params: object) -> str:
        """The sentence for ``key`` with its named placeholders filled.

        The caller must give exactly the placeholders the sentence uses; anything else is a
        programming error and raises :class:`ContentError`.
        """
        try:
            template = self.texts[key]
        except KeyError:
            raise ContentError("texts", key, "no such text") from None
        wanted = placeholders(template)
        given = set(params)
        if wanted != given:
            raise ContentError(
                "texts",
                key,
                f"placeholders {sorted(wanted)} but caller gave {sorted(given)}",
            )
        return template.format(**params) if wanted else template

    def has_text(self, key: str) -> bool:
        return key in self.texts


def load_content(root: Path = CONTENT_DIR) -> Content:
    """Load and validate every content file under ``root``."""
    return Content(texts=load_texts(root / "texts"), root=root)


@lru_cache(maxsize=1)
def get_content() -> Content:
    """The project's content, loaded once per process."""
    return load_content()
