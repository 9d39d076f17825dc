"""Inline keyboards. Callback data is ``namespace:action[:arg…]`` and never longer than 64 bytes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Button = tuple[str, str]  # (label, callback data) or (label, "url:https://…")


def callback(*parts: object) -> str:
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def inline(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Build an inline keyboard from rows of (label, data) pairs."""
    built = []
    for row in rows:
        buttons = []
        for label, data in row:
            if data.startswith("url:"):
                buttons.append(InlineKeyboardButton(label, url=data[4:]))
            else:
                buttons.append(InlineKeyboardButton(label, callback_data=data))
        if buttons:
            built.append(buttons)
    return InlineKeyboardMarkup(built)


def column(buttons: Iterable[Button]) -> InlineKeyboardMarkup:
    """One button per row."""
    return inline([b] for b in buttons)
