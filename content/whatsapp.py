"""WhatsApp message templates (``whatsapp_templates.yaml``): loader, WhatsApp's limits, parameter sanitizer.

Limits checked (Meta, "Template components" and "Message templates" guidelines:
https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates/components):
name of lowercase letters, digits and "_" (≤ 512); language ``id``; category UTILITY, MARKETING or
AUTHENTICATION (reminders and alerts to families are UTILITY); body ≤ 1,024 characters with parameters
``{{1}}…{{n}}`` in order, each once, not at the very start or end; quick-reply buttons ≤ 3 here, titles
≤ 20 characters and unique, ids unique. Lengths count Unicode code points. The body also follows
content/STYLE.md (no "Anda", ≤ 600 characters, ≤ 10 lines).

Parameter values sent at run time may hold no newline, no tab and no run of more than 4 spaces (the API refuses
them with error 131009/132018): :func:`sanitize_param` folds them to single spaces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from content.errors import ContentError
from content.schema import Node, display_name, load_yaml
from content.style import check_text

FILE = "whatsapp_templates.yaml"
CONTENT_DIR = Path(__file__).resolve().parent
BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
BUTTONS_MAX = 3
NAME_MAX = 512
BUTTON_ID_MAX = 256
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
LANGUAGES = ("id",)
_NAME = re.compile(r"^[a-z0-9_]+$")
_PARAM = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class TemplateButton:
    id: str
    title: str


@dataclass(frozen=True)
class TemplateParam:
    name: str
    example: str


@dataclass(frozen=True)
class WhatsAppTemplate:
    name: str
    language: str
    category: str
    purpose: str
    body: str
    params: tuple[TemplateParam, ...]
    buttons: tuple[TemplateButton, ...]

    def render(self, values: Mapping[str, object]) -> tuple[str, ...]:
        """The body parameters in order, from named values, each sanitized; exactly the declared names."""
        names = [p.name for p in self.params]
        if set(values) != set(names):
            raise ValueError(f"template {self.name} takes {names}, got {sorted(values)}")
        return tuple(sanitize_param(str(values[n])) for n in names)

    def preview(self, params: tuple[str, ...] | None = None) -> str:
        """The body as the person reads it (with the examples when no params are given)."""
        values = params if params is not None else tuple(p.example for p in self.params)
        def fill(m: re.Match[str]) -> str:
            n = int(m.group(1))
            return values[n - 1] if 1 <= n <= len(values) else m.group(0)

        return _PARAM.sub(fill, self.body)


@dataclass(frozen=True)
class WhatsAppTemplates:
    language: str
    list_button: str
    templates: Mapping[str, WhatsAppTemplate]


def sanitize_param(value: str) -> str:
    """A template text parameter WhatsApp accepts: no newline or tab, no run of more than 4 spaces, not empty."""
    return re.sub(r"\s+", " ", value).strip() or "-"


def param_problem(value: str) -> str | None:
    """Why WhatsApp would refuse ``value`` as a text parameter, or None."""
    if not value.strip():
        return "empty"
    if re.search(r"[\r\n\t]", value):
        return "newline or tab"
    if "     " in value:
        return "more than 4 spaces in a row"
    return None


def _body_problems(body: str, n_params: int) -> list[str]:
    out = []
    if len(body) > BODY_MAX:
        out.append(f"{len(body)} characters; WhatsApp allows {BODY_MAX}")
    used = [int(m) for m in _PARAM.findall(body)]
    if sorted(used) != list(range(1, len(used) + 1)) or len(set(used)) != len(used):
        out.append(f"parameters must be {{{{1}}}}…{{{{n}}}}, each once; found {used}")
    elif used != list(range(1, len(used) + 1)):
        out.append(f"parameters must appear in order; found {used}")
    if len(used) != n_params:
        out.append(f"{len(used)} parameters in the body, {n_params} declared under params")
    stripped = body.strip()
    if _PARAM.match(stripped) or re.search(r"\{\{\s*\d+\s*\}\}$", stripped):
        out.append("a body may not begin or end with a parameter")
    if re.search(r"\{\{\s*\d+\s*\}\}\s*\{\{", body):
        out.append("two parameters side by side")
    if "{" in _PARAM.sub("", body) or "}" in _PARAM.sub("", body):
        out.append("a brace that is not a {{n}} parameter")
    return out


def parse_whatsapp_templates(raw: object, file: str) -> WhatsAppTemplates:
    top = Node(raw, file).mapping({"language", "list_button", "templates"}, {"language", "list_button", "templates"})
    language = top.get("language").choice(LANGUAGES)
    list_button = top.get("list_button").str()  # the label of a list message's opening button
    if len(list_button) > BUTTON_TITLE_MAX:
        raise top.error(f"{len(list_button)} characters; at most {BUTTON_TITLE_MAX}", "list_button")
    templates: dict[str, WhatsAppTemplate] = {}
    for name, node in top.get("templates").mapping().items():
        t = node.mapping({"category", "purpose", "body", "params", "buttons", "language"},
                         {"category", "purpose", "body"})
        if not _NAME.match(name) or len(name) > NAME_MAX:
            raise node.error("a template name is lowercase letters, digits and _ only")
        params = tuple(TemplateParam(p.mapping({"name", "example"}, {"name", "example"}).get("name").ident(),
                                     p.get("example").str())
                       for p in (t.get("params").list() if t.has("params") else []))
        if len({p.name for p in params}) != len(params):
            raise t.error("parameter names are not unique", f"{t.key}.params")
        for p in params:
            problem = param_problem(p.example)
            if problem:
                raise t.error(f"example of {p.name}: {problem}", f"{t.key}.params")
        buttons = []
        for b in (t.get("buttons").list() if t.has("buttons") else []):
            b = b.mapping({"id", "title"}, {"id", "title"})
            buttons.append(TemplateButton(b.get("id").ident(), b.get("title").str()))
        body = t.get("body").str()
        problems = _body_problems(body, len(params))
        if len(buttons) > BUTTONS_MAX:
            problems.append(f"{len(buttons)} quick replies; at most {BUTTONS_MAX}")
        for b in buttons:
            if len(b.title) > BUTTON_TITLE_MAX:
                problems.append(f"button “{b.title}”: {len(b.title)} characters; at most {BUTTON_TITLE_MAX}")
            if len(b.id) > BUTTON_ID_MAX:
                problems.append(f"button id {b.id}: longer than {BUTTON_ID_MAX}")
        if len({b.title.casefold() for b in buttons}) != len(buttons):
            problems.append("button titles are not unique")
        if len({b.id for b in buttons}) != len(buttons):
            problems.append("button ids are not unique")
        template = WhatsAppTemplate(
            name=name, language=t.get("language").choice(LANGUAGES) if t.has("language") else language,
            category=t.get("category").choice(CATEGORIES), purpose=t.get("purpose").str(), body=body,
            params=params, buttons=tuple(buttons))
        if not problems:  # the style rules, on the body as the person reads it
            problems.extend(e.problem for e in check_text(file, f"templates.{name}.body", template.preview(),
                                                          templates=False))
        if problems:
            raise ContentError(file, f"templates.{name}", "; ".join(problems))
        templates[name] = template
    return WhatsAppTemplates(language, list_button, MappingProxyType(templates))


@lru_cache(maxsize=1)
def get_whatsapp_templates() -> WhatsAppTemplates:
    """The shipped templates, loaded and checked once per process."""
    loaded = load_whatsapp_templates(CONTENT_DIR)
    if loaded is None:
        raise ContentError(FILE, "(file)", "file is missing")
    return loaded


def load_whatsapp_templates(root: Path) -> WhatsAppTemplates | None:
    """The templates under ``root``, or None when the content has no WhatsApp templates file."""
    path = root / FILE
    if not path.exists():
        return None
    return parse_whatsapp_templates(load_yaml(path, root), display_name(path, root))
