"""Keyboards: validation as Telegram does it, and reading labels back for tests."""

from __future__ import annotations

from typing import Any

from .wire import bad_request

MAX_CALLBACK_DATA_BYTES = 64
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)


def validate_reply_markup(markup: Any) -> None:
    """Raise ``ApiError`` 400 for a markup the real Bot API would refuse."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                label = button if isinstance(button, str) else (button or {}).get("text")
                if not label:
                    raise bad_request("keyboard button text must be non-empty")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request('can\'t find field "inline_keyboard"')


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None:
        if not isinstance(data, str) or not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")


def is_inline(markup: Any) -> bool:
    return isinstance(markup, dict) and "inline_keyboard" in markup


def inline_rows(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    if not is_inline(markup):
        return []
    return markup["inline_keyboard"]  # type: ignore[index]


def inline_labels(markup: dict[str, Any] | None) -> list[list[str]]:
    return [[button["text"] for button in row] for row in inline_rows(markup)]


def reply_keyboard_labels(markup: dict[str, Any] | None) -> list[list[str]] | None:
    if not isinstance(markup, dict) or "keyboard" not in markup:
        return None
    return [
        [button if isinstance(button, str) else button.get("text", "") for button in row]
        for row in markup["keyboard"]
    ]
