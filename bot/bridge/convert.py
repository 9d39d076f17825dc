"""One Bot API call the handlers or the dispatcher make, as neutral messages for WhatsApp: the ONE place that
converts.

- ``InlineKeyboardMarkup`` → choices (``callback_data`` = the choice id, the button's text = its title); a url
  button → its link appended to the text; web_app, login and ``tg://`` buttons dropped. A reply keyboard's
  plain buttons → choices whose id carries the typed text back (``TYPED`` + text); its contact button dropped
  (the person types the number or shares a contact card).
- long texts split at paragraph (else line) boundaries within WhatsApp's limits; a split never cuts a paragraph
  (a danger advice is a paragraph of its own) unless that paragraph alone is over the limit.
- ``editMessageText`` → a new message; ``editMessageReplyMarkup`` with no buttons, ``deleteMessage``, a pop-up
  answer → nothing (an alert's text becomes a message).
- photo / animation / voice / document → media (uploaded once by the caller) with the caption; buttons after it
  in a message of their own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.capabilities import WHATSAPP
from bot.channels.outgoing import Choice, MediaKind

TYPED = "txt:"  # a reply keyboard's button: pressing it means typing its text
MEDIA_ENDPOINTS = {"sendPhoto": ("photo", MediaKind.IMAGE), "sendAnimation": ("animation", MediaKind.VIDEO),
                   "sendVoice": ("voice", MediaKind.AUDIO), "sendDocument": ("document", MediaKind.DOCUMENT),
                   "sendVideo": ("video", MediaKind.VIDEO), "sendAudio": ("audio", MediaKind.AUDIO)}
_TAG = re.compile(r"</?(b|strong|i|em|u|s|code|pre|a)(\s[^>]*)?>", re.IGNORECASE)


@dataclass
class Part:
    """One WhatsApp message to send: text (with choices), or media (a file's bytes and name) with a caption."""

    text: str = ""
    choices: tuple[Choice, ...] = ()
    media: tuple[MediaKind, bytes, str] | None = None  # (kind, data, filename)


@dataclass
class Converted:
    parts: list[Part] = field(default_factory=list)
    answer: Any = True  # what the Bot API would have answered when nothing is sent


def _plain(text: str, parse_mode: str | None) -> str:
    if not text:
        return ""
    if parse_mode and parse_mode.upper() == "HTML":
        text = _TAG.sub(lambda m: "*" if m.group(1).lower() in ("b", "strong") else "", text)
        text = html.unescape(text)
    return text


def keyboard_choices(markup: Any) -> tuple[tuple[Choice, ...], list[str]]:
    """(choices, links to append) of a Telegram keyboard (an object or its dict form)."""
    if markup is None:
        return (), []
    data = markup.to_dict() if hasattr(markup, "to_dict") else markup
    if not isinstance(data, dict):
        return (), []
    choices: list[Choice] = []
    links: list[str] = []
    seen: set[str] = set()
    for row in data.get("inline_keyboard") or []:
        for b in row:
            title = str(b.get("text", "")).strip()
            if b.get("callback_data") and title and b["callback_data"] not in seen:
                seen.add(b["callback_data"])
                choices.append(Choice(str(b["callback_data"]), title))
            elif (url := b.get("url")) and not str(url).startswith("tg://"):
                links.append(f"{title}: {url}" if title else str(url))
            # web_app, login_url, switch_inline_query, tg:// links: Telegram only, left out
    for row in data.get("keyboard") or []:
        for b in row:
            b = b if isinstance(b, dict) else {"text": str(b)}
            title = str(b.get("text", "")).strip()
            if not title or b.get("request_contact") or b.get("request_location") or b.get("web_app"):
                continue
            ident = TYPED + title[: 200 - len(TYPED)]
            if ident not in seen:
                seen.add(ident)
                choices.append(Choice(ident, title))
    return tuple(choices), links


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` code points, cut between paragraphs, else between lines, else
    between words; a paragraph is never cut while it fits a piece of its own."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    return _pack(text.split("\n\n"), "\n\n", limit,
                 lambda paragraph: _pack(paragraph.split("\n"), "\n", limit, lambda line: _words(line, limit)))


def _pack(units: list[str], sep: str, limit: int, cut: Callable[[str], list[str]]) -> list[str]:
    """``units`` joined by ``sep`` into pieces of at most ``limit``; a unit longer than that is ``cut``, and its
    last piece may take the units after it."""
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{sep}{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = unit
        if len(unit) > limit:
            *whole, current = cut(unit)
            pieces.extend(whole)
    if current:
        pieces.append(current)
    return pieces


def _words(line: str, limit: int) -> list[str]:
    """A line longer than ``limit`` cut between words (mid-word only when one word is longer)."""
    out: list[str] = []
    while len(line) > limit:
        cut_at = line.rfind(" ", 0, limit)
        cut_at = cut_at if cut_at > 0 else limit
        out.append(line[:cut_at])
        line = line[cut_at:].lstrip()
    out.append(line)
    return out


def _text_parts(text: str, choices: tuple[Choice, ...], choose: str) -> list[Part]:
    """Text and its choices: the choices ride on the last piece, which must fit an interactive body."""
    if not choices:
        return [Part(piece) for piece in split_text(text, WHATSAPP.max_text)]
    pieces = split_text(text, WHATSAPP.max_body) or [choose]
    parts = [Part(piece) for piece in pieces[:-1]]
    parts.append(Part(pieces[-1], choices))
    return parts


def convert(endpoint: str, data: dict[str, Any], *, choose: str) -> Converted:
    """The WhatsApp messages for one Bot API call (``choose``: the text above buttons that came alone)."""
    parse_mode = data.get("parse_mode")
    choices, links = keyboard_choices(data.get("reply_markup"))
    if endpoint in ("sendMessage", "editMessageText"):
        text = _plain(str(data.get("text") or ""), parse_mode)
        if links:
            text = "\n".join([text, *links]) if text else "\n".join(links)
        return Converted(_text_parts(text, choices, choose))
    if endpoint == "editMessageReplyMarkup":
        return Converted(_text_parts("", choices, choose) if choices else [])
    if endpoint == "answerCallbackQuery":
        text = str(data.get("text") or "")
        return Converted([Part(text)] if text and data.get("show_alert") else [])
    if endpoint in MEDIA_ENDPOINTS:
        field_name, kind = MEDIA_ENDPOINTS[endpoint]
        file = data.get(field_name)
        raw = getattr(file, "input_file_content", None)
        name = getattr(file, "filename", None) or f"file.{field_name}"
        if isinstance(raw, (bytes, bytearray)):
            caption = _plain(str(data.get("caption") or ""), parse_mode)
            if links:
                caption = "\n".join([caption, *links]) if caption else "\n".join(links)
            parts = [Part("" if choices else caption, media=(kind, bytes(raw), str(name)))]
            if choices:
                parts.extend(_text_parts(caption, choices, choose))
            elif len(caption) > 1024:  # a caption over WhatsApp's limit goes as a message of its own
                parts = [Part("", media=parts[0].media), *_text_parts(caption, (), choose)]
            return Converted(parts)
        caption = _plain(str(data.get("caption") or ""), parse_mode)  # a file id from Telegram: only words
        return Converted(_text_parts(caption, choices, choose) if caption else [])
    return Converted([])
