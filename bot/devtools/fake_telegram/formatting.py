"""Telegram's ``parse_mode`` handling: turn formatted text into the plain text a user sees.

Telegram rejects malformed markup with ``400 Bad Request: can't parse entities: ...``; the fake does the
same for the mistakes that matter in practice (unsupported or unclosed HTML tags, unescaped MarkdownV2
characters), so a bot that would fail against the real API fails against the fake too.
"""

from __future__ import annotations

import html
import re

from .wire import ApiError

HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text as displayed, or ``ApiError`` 400 when Telegram would refuse to parse it."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return _strip_html(text)
    if mode == "markdownv2":
        return _strip_markdown_v2(text)
    if mode == "markdown":
        return _strip_markdown(text)
    raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")


def _strip_html(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            out.append(html.unescape(text[i:]))
            break
        out.append(html.unescape(text[i:lt]))
        gt = text.find(">", lt + 1)
        if gt < 0:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(text, lt)}")
        inner = text[lt + 1 : gt]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(text, lt)}")
            open_name, _ = stack[-1]
            if name != open_name:
                raise _parse_error(
                    f'Unmatched end tag at byte offset {_byte_offset(text, lt)}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
        else:
            match = _TAG_NAME_RE.match(inner)
            if not match:
                raise _parse_error(f"Empty tag name at byte offset {_byte_offset(text, lt)}")
            name = match.group(0).lower()
            if name not in HTML_TAGS or inner.rstrip().endswith("/"):
                raise _parse_error(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, lt)}')
            stack.append((name, lt))
        i = gt + 1
    if stack:
        name, pos = stack[-1]
        raise _parse_error(
            f'Can\'t find end tag corresponding to start tag "{name}" at byte offset {_byte_offset(text, pos)}'
        )
    return "".join(out)


_MDV2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _strip_markdown_v2(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    at_line_start = True
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 < n:
                out.append(text[i + 1])
                i += 2
            else:
                i += 1
            at_line_start = False
            continue
        if ch == "\n":
            out.append(ch)
            i += 1
            at_line_start = True
            continue
        if ch == ">" and at_line_start:
            i += 1  # blockquote marker
            at_line_start = False
            continue
        at_line_start = False
        if ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _find_code_end(text, i + len(fence), fence)
            if end < 0:
                name = "Pre" if fence == "```" else "Code"
                raise _parse_error(f"Can't find end of {name} entity at byte offset {_byte_offset(text, i)}")
            body = text[i + len(fence) : end]
            if fence == "```" and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    body = rest  # language name line
            out.append(re.sub(r"\\([`\\])", r"\1", body))
            i = end + len(fence)
            continue
        marker = None
        if text.startswith("__", i):
            marker = "__"
        elif text.startswith("||", i):
            marker = "||"
        elif ch in "*_~":
            marker = ch
        if marker is not None:
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, i))
            i += len(marker)
            continue
        if ch == "[":
            stack.append(("[", i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            stack.pop()
            if not text.startswith("(", i + 1):
                raise _parse_error(f"Can't find end of a URL at byte offset {_byte_offset(text, i)}")
            j = i + 2
            while j < n and text[j] != ")":
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _parse_error(f"Can't find end of a URL at byte offset {_byte_offset(text, i)}")
            i = j + 1
            continue
        if ch in MDV2_RESERVED:
            raise _parse_error(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        out.append(ch)
        i += 1
    if stack:
        marker, pos = stack[-1]
        raise _parse_error(
            f"Can't find end of {_MDV2_NAMES[marker]} entity at byte offset {_byte_offset(text, pos)}"
        )
    return "".join(out)


def _find_code_end(text: str, start: int, fence: str) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(fence, i):
            return i
        i += 1
    return -1


def _strip_markdown(text: str) -> str:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no escaping of other characters."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "*_`[":
            out.append(text[i + 1])
            i += 2
            continue
        if ch in "*_`":
            fence = "```" if text.startswith("```", i) else ch
            end = text.find(fence, i + len(fence))
            if end < 0:
                raise _parse_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            out.append(text[i + len(fence) : end])
            i = end + len(fence)
            continue
        if ch == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise _parse_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            out.append(text[i + 1 : close])
            if text.startswith("(", close + 1):
                paren = text.find(")", close + 2)
                i = (paren + 1) if paren >= 0 else close + 1
            else:
                i = close + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)
