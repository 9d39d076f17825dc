"""What each channel can show, and choices rendered within it.

WhatsApp's limits (Meta's Cloud API reference, "Interactive reply buttons" and "Interactive list messages":
https://developers.facebook.com/docs/whatsapp/guides/interactive-messages/ and
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#interactive-object): at most 3 reply
buttons, each title at most 20 characters and unique within the message; a list of at most 10 rows, row titles
at most 24 and descriptions at most 72 characters; an interactive body at most 1,024 characters; a text message
at most 4,096. Lengths are counted in Unicode code points (``len`` of a Python ``str``). WhatsApp has no message
edits for bots, no pop-up answers to a button, no slash-command menu and no web app.

Rendering falls back step by step: reply buttons when every choice fits, else a list, else numbered text. Whatever
was shown, a typed number or a typed title is always accepted back (:func:`choice_from_text`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.channels.inbound import Channel
from bot.channels.outgoing import Choice

ELLIPSIS = "…"


@dataclass(frozen=True)
class Capabilities:
    channel: Channel
    max_buttons: int  # reply buttons in one message
    button_title: int | None  # code points; None = no limit the bot needs to respect
    max_list_rows: int  # 0 = no list messages
    list_title: int
    list_description: int
    max_body: int  # the text that carries choices
    max_text: int  # a plain text message
    edits: bool
    popup_answers: bool
    slash_commands: bool
    web_app: bool
    contact_button: bool
    deep_links: bool


WHATSAPP = Capabilities(
    channel=Channel.WHATSAPP, max_buttons=3, button_title=20, max_list_rows=10, list_title=24,
    list_description=72, max_body=1024, max_text=4096, edits=False, popup_answers=False, slash_commands=False,
    web_app=False, contact_button=False, deep_links=False,
)

# Telegram as the bot uses it today: inline keyboards (up to 100 buttons, Bot API InlineKeyboardMarkup),
# messages up to 4,096 characters, edits, pop-up answers (answerCallbackQuery), commands, the Mini App,
# the request-contact button and t.me deep links.
TELEGRAM = Capabilities(
    channel=Channel.TELEGRAM, max_buttons=100, button_title=None, max_list_rows=0, list_title=0,
    list_description=0, max_body=4096, max_text=4096, edits=True, popup_answers=True, slash_commands=True,
    web_app=True, contact_button=True, deep_links=True,
)

CAPABILITIES = {c.channel: c for c in (WHATSAPP, TELEGRAM)}


def capabilities_of(channel: Channel | str) -> Capabilities:
    return CAPABILITIES[Channel(channel)]


class Intent(StrEnum):
    """Things the Telegram bot does that not every channel can."""

    EDIT = "edit"  # change a message already sent (Telegram's editMessageText)
    POPUP = "popup"  # a short answer shown over the chat when a button is pressed (answerCallbackQuery)
    CONTACT_BUTTON = "contact_button"  # a keyboard button that shares the person's own number
    WEB_APP = "web_app"  # a Telegram Mini App (the midwife's dashboard)
    DEEP_LINK = "deep_link"  # t.me/<bot>?start=<code>
    SLASH_COMMAND = "slash_command"  # /start, /pijat, … in the command menu


class Fallback(StrEnum):
    NATIVE = "native"  # the channel does it itself
    SEND_NEW = "send_new"  # send the new version as a new message
    SEND_TEXT = "send_text"  # say it as an ordinary message
    ASK_TYPED = "ask_typed"  # ask the person to type (or share) it
    NOT_OFFERED = "not_offered"  # leave it out on this channel (Telegram-only staff tools)
    PREFILLED_TEXT = "prefilled_text"  # a wa.me link whose prefilled text carries the code
    KEYWORD = "keyword"  # the command's word, typed without the slash, and the main menu's choices


_FALLBACKS = {
    Intent.EDIT: ("edits", Fallback.SEND_NEW),
    Intent.POPUP: ("popup_answers", Fallback.SEND_TEXT),
    Intent.CONTACT_BUTTON: ("contact_button", Fallback.ASK_TYPED),
    Intent.WEB_APP: ("web_app", Fallback.NOT_OFFERED),
    Intent.DEEP_LINK: ("deep_links", Fallback.PREFILLED_TEXT),
    Intent.SLASH_COMMAND: ("slash_commands", Fallback.KEYWORD),
}


def how_to(intent: Intent, caps: Capabilities) -> Fallback:
    """How a channel with ``caps`` carries out ``intent``: natively, or by its fallback."""
    flag, fallback = _FALLBACKS[intent]
    return Fallback.NATIVE if getattr(caps, flag) else fallback


class Style(StrEnum):
    BUTTONS = "buttons"
    LIST = "list"
    NUMBERED = "numbered"


@dataclass(frozen=True)
class RenderedChoices:
    style: Style
    body: str  # the text to send (for NUMBERED, with the numbered lines appended)
    choices: tuple[Choice, ...]  # titles (and descriptions) cut to fit and unique


class TooLong(ValueError):
    """The body does not fit the channel even before choices are added: the content must be shortened."""


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` code points, an ellipsis marking a cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def unique_titles(titles: list[str], limit: int | None) -> list[str]:
    """Titles cut to ``limit`` and made unique (a repeated title gets " 2", " 3", … within the limit)."""
    out: list[str] = []
    seen: set[str] = set()
    for title in titles:
        candidate = cut(title, limit) if limit else " ".join(title.split())
        n = 1
        while candidate.casefold() in seen:
            n += 1
            suffix = f" {n}"
            base = cut(title, limit - len(suffix)) if limit else title
            candidate = base + suffix
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def _check_ids(choices: tuple[Choice, ...]) -> None:
    ids = [c.id for c in choices]
    if len(set(ids)) != len(ids):
        raise ValueError(f"choice ids are not unique: {ids}")


def render_choices(body: str, choices: tuple[Choice, ...] | list[Choice], caps: Capabilities) -> RenderedChoices:
    """Choose buttons, a list or numbered text for ``choices`` on a channel with ``caps``."""
    choices = tuple(choices)
    _check_ids(choices)
    if not choices:
        raise ValueError("no choices to render")
    fits_buttons = len(choices) <= caps.max_buttons and (
        caps.button_title is None or all(len(" ".join(c.title.split())) <= caps.button_title for c in choices))
    if fits_buttons or (len(choices) <= caps.max_buttons and not caps.max_list_rows):
        _fit_body(body, caps.max_body)
        titles = unique_titles([c.title for c in choices], caps.button_title)
        return RenderedChoices(Style.BUTTONS, body, tuple(replace(c, title=t, description="")
                                                          for c, t in zip(choices, titles, strict=True)))
    if caps.max_list_rows and len(choices) <= caps.max_list_rows:
        _fit_body(body, caps.max_body)
        titles = unique_titles([c.title for c in choices], caps.list_title)
        rows = []
        for c, t in zip(choices, titles, strict=True):
            # a title cut short keeps its full words in the description, where there is room
            description = c.description or (c.title if t != " ".join(c.title.split()) else "")
            rows.append(replace(c, title=t, description=cut(description, caps.list_description) if description else ""))
        return RenderedChoices(Style.LIST, body, tuple(rows))
    titles = unique_titles([c.title for c in choices], None)
    # titles that are numbers themselves (a score, a count) are listed with bullets: a typed number is their title
    marks = ["•"] * len(titles) if _numeric_titles(choices) else [f"{n}." for n in range(1, len(titles) + 1)]
    lines = "\n".join(f"{m} {t}" for m, t in zip(marks, titles, strict=True))
    text = f"{body}\n\n{lines}" if body else lines
    _fit_body(text, caps.max_text)
    return RenderedChoices(Style.NUMBERED, text, tuple(replace(c, title=t) for c, t in zip(choices, titles, strict=True)))


def _fit_body(body: str, limit: int) -> None:
    if len(body) > limit:
        raise TooLong(f"{len(body)} code points, the channel allows {limit}")


_EDGE_PUNCTUATION = re.compile(r"^[\s\W_]+|[\s\W_]+$")
_NUMBER = re.compile(r"^(?:no\.?|nomor|pilihan)?\s*#?\s*(\d{1,3})\s*[.)]?$")


def _numeric_titles(choices: tuple[Choice, ...]) -> bool:
    return any(_normal(c.title).isdigit() for c in choices)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace(ELLIPSIS, "")
    return " ".join(_EDGE_PUNCTUATION.sub("", text).split())


def choice_from_text(text: str, choices: tuple[Choice, ...] | list[Choice],
                     rendered: RenderedChoices | None = None) -> Choice | None:
    """The choice a typed reply names: its number (1-based, as in the numbered text), its title (the full one
    or the title as shown, case and edge punctuation ignored), or an unambiguous start of a title (3 or more
    characters). When a title is itself a number ("0", "12"), a typed number means that title, never a position.
    None when the text names no choice, or more than one."""
    choices = tuple(choices)
    raw = unicodedata.normalize("NFKC", text).strip().casefold()
    number = _NUMBER.match(raw)
    if number and not _numeric_titles(choices):
        n = int(number.group(1))
        return choices[n - 1] if 1 <= n <= len(choices) else None
    said = _normal(text)
    if not said:
        return None
    shown = rendered.choices if rendered else choices
    for original, seen in zip(choices, shown, strict=True):
        if said in (_normal(original.title), _normal(seen.title)):
            return original
    if len(said) >= 3:
        starts = [c for c in choices if _normal(c.title).startswith(said)]
        if len(starts) == 1:
            return starts[0]
    return None
