"""The one call that reads a family's free text: ``read_message(text) -> MessageReading``.

Same as ``get_content().read_message(text)``; see content/reading.py for what a reading holds.
"""

from __future__ import annotations

from content.loader import get_content
from content.reading import KINDS, MessageReading

__all__ = ["KINDS", "MessageReading", "read_message"]


def read_message(text: str) -> MessageReading:
    """Danger signs, kind ('danger' | 'health' | 'social' | 'other'), hypothetical, the model's scores."""
    return get_content().read_message(text)
