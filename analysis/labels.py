"""How the renderers get their words.

``analysis`` never imports ``content``. Renderers take a ``labels`` callable that returns the
sentence for a key relative to the analysis texts, e.g. ``labels("wilcoxon.title")`` or
``labels("summary.n", n=24)``. The bot passes::

    lambda key, **params: get_content().text(f"analysis.{key}", **params)
"""

from __future__ import annotations

from typing import Protocol


class Labels(Protocol):
    def __call__(self, key: str, /, **params: object) -> str: ...
