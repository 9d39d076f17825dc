"""The one error type the content loader raises."""

from __future__ import annotations

from pathlib import Path


class ContentError(ValueError):
    """A content file is missing, malformed or inconsistent.

    The message always names the file, the key inside it and the problem, e.g.
    ``instruments/bayi6.yaml: items[2].criterion: unknown key 'atleast'``.
    """

    def __init__(self, file: str | Path, key: str, problem: str):
        self.file = str(file)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.file}: {key}: {problem}")
