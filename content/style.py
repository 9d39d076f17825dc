"""The style rules of content/STYLE.md that a program can check, over every user-facing text in content/.

:func:`style_problems` returns one :class:`ContentError` per problem (file, key, what is wrong); the
``python -m bot content check`` command fails when there is any. What is checked:

- forbidden words, as whole words (a hyphenated word is one word: "pre-eklamsia" is not "pre"):
  "Anda" (say "Ibu" / "Bapak"), the jargon "pre", "post", "let-down", "refleks let-down", "hari ke-0";
- length: at most :data:`MAX_CHARS` characters (a placeholder counts as :data:`PLACEHOLDER_CHARS`);
- lines: at most :data:`MAX_LINES` non-empty lines;
- placeholders: only plain lowercase names (``{nama}``), and none at all outside texts/ and the guide's
  ``{menit}``.

Spaces are not checked: the analysis tables and the simulator's lines are aligned on purpose.

Texts for researchers and operators (the analysis and export files) name data columns that are really
called ``pre`` and ``post``; there, and only there, those two words are allowed (see
:data:`COLUMN_NAME_FILES`). Everything else applies to them too.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from content.errors import ContentError

MAX_CHARS = 600
MAX_LINES = 10
PLACEHOLDER_CHARS = 10
COLUMN_NAME_FILES = ("analysis", "export")  # texts/<file>.yaml where "pre"/"post" are column names

_WORD = r"(?<![\w-]){}(?![\w-])"
FORBIDDEN: tuple[tuple[str, re.Pattern, str], ...] = (
    ("Anda", re.compile(_WORD.format("anda"), re.IGNORECASE), "say “Ibu” or “Bapak” (with the name: “Ibu Siti”, “Pak Budi”)"),
    ("let-down", re.compile(r"(?<![\w-])let[- ]?down(?![\w-])", re.IGNORECASE), "say “ASI mengalir” / “ASI keluar”"),
    ("hari ke-0", re.compile(r"(?<![\w-])hari ke[- ]?0(?![\w-])", re.IGNORECASE), "say “hari bayi lahir”"),
)
COLUMN_WORDS: tuple[tuple[str, re.Pattern, str], ...] = (
    ("pre", re.compile(_WORD.format("pre"), re.IGNORECASE), "say “sebelum pijat”"),
    ("post", re.compile(_WORD.format("post"), re.IGNORECASE), "say “sesudah pijat”"),
)
_PLAIN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _placeholders(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["<bad>"]


def measured_length(text: str) -> int:
    """The length of a text as sent, with each placeholder counted as a short value."""
    total = 0
    try:
        for literal, name, _, _ in string.Formatter().parse(text):
            total += len(literal) + (PLACEHOLDER_CHARS if name is not None else 0)
    except ValueError:
        return len(text)
    return total


def check_text(file: str, key: str, text: str, *, templates: bool, column_names: bool = False,
               allowed: set[str] | None = None) -> list[ContentError]:
    """The problems of one text. ``templates``: placeholders allowed (texts/); ``allowed``: their names."""
    out = []
    words = FORBIDDEN + (() if column_names else COLUMN_WORDS)
    said = re.sub(r"\{[^{}]*\}", "…", text)  # placeholder names are not words the reader sees
    for word, pattern, instead in words:
        if pattern.search(said):
            out.append(ContentError(file, key, f"forbidden word “{word}”: {instead}"))
    length = measured_length(text)
    if length > MAX_CHARS:
        out.append(ContentError(file, key, f"{length} characters; keep a message under {MAX_CHARS} "
                                           "(split it, one idea per message)"))
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > MAX_LINES:
        out.append(ContentError(file, key, f"{len(lines)} lines; keep a message to {MAX_LINES} lines or fewer"))
    names = _placeholders(text)
    if names and not templates and not (allowed and set(names) <= allowed):
        out.append(ContentError(file, key, f"placeholders {sorted(set(names))} are not filled in here"))
    for name in names:
        if templates and not _PLAIN_NAME.match(name):
            out.append(ContentError(file, key, f"placeholder {{{name}}} must be a plain lowercase name"))
    return out


def user_texts(c) -> Iterator[tuple[str, str, str, bool, set[str] | None]]:
    """(file, key, text, is a template, allowed placeholders) of every user-facing text in content/."""
    for key, text in c.texts.items():
        yield f"texts/{key.split('.', 1)[0]}.yaml", key, text, True, None
    for phase in c.sop.phases:
        yield "sop.yaml", f"{phase.id}.title", phase.title, False, None
        for step in phase.steps:
            yield "sop.yaml", f"{step.id}.text", step.text, False, None
            if step.caption:
                yield "sop.yaml", f"{step.id}.caption", step.caption, False, None
    for q in c.safety_questions:
        yield "safety.yaml", f"{q.id}.text", q.text, False, None
        yield "safety.yaml", f"{q.id}.stop_text", q.stop_text, False, None
    for s in c.danger_signs:
        yield "danger_signs.yaml", f"{s.id}.text", s.text, False, None
        yield "danger_signs.yaml", f"{s.id}.advice", s.advice, False, None
    for m in c.education.values():
        yield "education.yaml", f"{m.id}.title", m.title, False, None
        yield "education.yaml", f"{m.id}.text", m.text, False, None
    for inst in c.instruments.values():
        file = f"instruments/{inst.id}.yaml"
        yield file, "title", inst.title, False, None
        yield file, "description", inst.description, False, None
        for item in inst.items:
            yield file, f"{item.id}.text", item.text, False, None
            for choice in item.choices:
                yield file, f"{item.id}.choices.{choice.value}", choice.label, False, None
        for k in inst.classifications:
            yield file, f"classifications.{k.key}", k.label, False, None
    for p in c.protocols.values():
        file = f"protocols/{p.id}.yaml"
        yield file, "title", p.title, False, None
        yield file, "description", p.description, False, None
    guide = getattr(c, "guide", None)
    if guide is not None:
        for card in guide.cards:
            yield "guide.yaml", f"cards.{card.id}.title", card.title, False, None
            yield "guide.yaml", f"cards.{card.id}.text", card.text, False, {"menit"}
        yield "guide.yaml", "reminder.text", guide.reminder_text, False, {"menit"}
        yield "guide.yaml", "caesarean.text", guide.caesarean_text, False, None


def style_problems(c) -> list[ContentError]:
    out = []
    for file, key, text, templates, allowed in user_texts(c):
        column_names = templates and key.split(".", 1)[0] in COLUMN_NAME_FILES
        out.extend(check_text(file, key, text, templates=templates, column_names=column_names, allowed=allowed))
    return out
