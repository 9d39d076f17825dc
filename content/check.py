"""``python -m bot content check``: validate every content file and describe what was loaded.

:func:`summary` loads everything with :func:`content.loader.load_content` (which raises
:class:`ContentError` naming file, key and problem on the first error), runs the checks that
span several files, and returns the lines to print.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from content.errors import ContentError
from content.loader import CONTENT_DIR, Content, load_content, placeholders
from content.sources import DERIVED
from content.style import style_problems
from content.whatsapp import load_whatsapp_templates

# Sentences in texts/reminders.yaml override the same names in texts/reminders_ui.yaml, so a
# twin must use exactly the same placeholders.
TWIN_TEXTS = ("reminders", "reminders_ui")


def cross_file_problems(c: Content) -> list[ContentError]:
    """Errors that involve more than one file."""
    problems = []
    mine, theirs = TWIN_TEXTS
    for key, text in c.texts.items():
        if key.startswith(f"{mine}."):
            twin = f"{theirs}.{key[len(mine) + 1:]}"
            if twin in c.texts and placeholders(text) != placeholders(c.texts[twin]):
                problems.append(ContentError(
                    f"texts/{mine}.yaml", key,
                    f"placeholders {sorted(placeholders(text))} differ from {twin} "
                    f"{sorted(placeholders(c.texts[twin]))}",
                ))
    return problems


def warnings(c: Content) -> list[str]:
    """Things that are allowed but probably unintended."""
    out = []
    used_images = {s.image.name for s in c.sop.steps if s.image}
    for path in sorted((c.root / "images").glob("*.png")):
        if path.name not in used_images:
            out.append(f"warning: images/{path.name} is not used by any step")
    scheduled = {e.education_id for p in c.protocols.values() for e in p.education}
    for ident in c.education:
        if ident not in scheduled:
            out.append(f"warning: education message {ident} is not scheduled by any protocol")
    return out


def _src(ids: tuple[str, ...]) -> str:
    return ", ".join(ids)


class ContentProblems(ContentError):
    """Several problems at once (the style rules report every text that breaks them)."""

    def __init__(self, problems: list[ContentError]):
        self.problems = problems
        first = problems[0]
        super().__init__(first.file, first.key, first.problem)

    def __str__(self) -> str:
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{self.problems[0]}{more}"


def all_problems(c: Content) -> list[ContentError]:
    """Cross-file problems and style problems (content/STYLE.md) of loaded content."""
    return cross_file_problems(c) + style_problems(c)


def summary(root: Path = CONTENT_DIR) -> list[str]:
    """Validate the content under ``root`` and describe it; raises ContentError if anything is wrong
    (:class:`ContentProblems`, listing every one, when several texts break the style rules)."""
    c = load_content(root)
    problems = all_problems(c)
    if problems:
        raise ContentProblems(problems)
    whatsapp = load_whatsapp_templates(root)  # raises ContentError naming the template and every broken limit
    lines = [f"Content OK: {root}"]

    seeds = sum(1 for s in c.sources.values() if s.file)
    lines.append(f"Sources: {len(c.sources)} ({seeds} seed papers)")
    files = Counter(k.split(".", 1)[0] for k in c.texts)
    lines.append(f"Texts: {len(c.texts)} sentences in {len(files)} files ({', '.join(sorted(files))})")

    steps = c.sop.steps
    pictures = sum(1 for s in steps if s.image)
    lines.append(f"SOP: {len(c.sop.phases)} phases, {len(steps)} steps, {pictures} with pictures")
    for phase in c.sop.phases:
        lines.append(f"  {phase.id}: {phase.title} ({len(phase.steps)} steps)")
        for n, s in enumerate(phase.steps, 1):
            extra = []
            if s.image:
                extra.append(f"picture {s.image.name}")
            if s.seconds:
                extra.append(f"{s.seconds} s" + (" (session length)" if s.session_timed else ""))
            tail = f"; {'; '.join(extra)}" if extra else ""
            lines.append(f"    {n}. {s.id} [{_src(s.source)}{tail}]")

    guide = c.guide
    if guide is not None:
        voices = sorted(p.name for p in guide.media_dir.glob("*.ogg"))
        size = guide.animation.stat().st_size // 1024 if guide.animation else 0
        lines.append(f"Guide: {len(guide.cards)} cards ({', '.join(k.id for k in guide.cards)}); animation "
                     f"{size} KB; voice notes: {', '.join(voices) or 'none'}")
    lines.append(f"Safety questions: {len(c.safety_questions)}")
    for q in c.safety_questions:
        sign = f" -> {q.danger_sign}" if q.danger_sign else ""
        lines.append(f"  {q.id} [{_src(q.source)}]{sign}")

    lines.append(f"Instruments: {len(c.instruments)}")
    for inst in c.instruments.values():
        bands = " / ".join(f"{k.key} {k.min}–{k.max}" for k in inst.classifications)
        derived = sum(1 for i in inst.items if DERIVED in i.source)
        lines.append(
            f"  {inst.id} v{inst.version}: {len(inst.items)} item{'' if len(inst.items) == 1 else 's'}, total {inst.min_total}–{inst.max_total}, "
            f"{bands}{'' if inst.higher_is_better else ' (lower is better)'}"
            f"{', scored by postpartum day' if inst.day_dependent else ''}; {derived} derived items [{_src(inst.source)}]"
        )
        for item in inst.items:
            lines.append(f"    {item.id} ({item.answer_type}) [{_src(item.source)}]")

    who = Counter(s.who for s in c.danger_signs)
    urgent = sum(1 for s in c.danger_signs if s.urgent)
    lines.append(
        f"Danger signs: {len(c.danger_signs)} ({who['baby']} baby, {who['mother']} mother; {urgent} urgent)"
    )
    for s in c.danger_signs:
        lines.append(f"  {s.id} ({s.who}{', urgent' if s.urgent else ''}; {len(s.patterns)} patterns) [{_src(s.source)}]")

    per_day = Counter(m.day for m in c.education.values())
    lines.append(
        f"Education: {len(c.education)} messages ("
        + ", ".join(f"day {d}: {n}" for d, n in sorted(per_day.items())) + ")"
    )

    lines.append(f"Protocols: {len(c.protocols)} (default: {c.default_protocol.id})")
    for p in c.protocols.values():
        times = ", ".join(p.times) if p.times else "configured REMINDER_TIMES"
        meas = ", ".join(f"{m.occasion} day {m.day} {m.slot}" for m in p.measurements)
        lines.append(
            f"  {p.id}: {p.instrument}, {p.performer}, days {list(p.days)}, {p.sessions_per_day}/day at {times}, "
            f"{p.session_minutes[0]}–{p.session_minutes[1]} min; {meas}; {len(p.education)} education [{_src(p.source)}]"
        )

    lex = c.lexicon
    if lex is not None:
        lines.append(
            f"Lexicon: {len(lex.yes_words)} yes words, {len(lex.no_words)} no words, "
            f"{len(lex.number_words)} spelled numbers"
        )
    if whatsapp is not None:
        lines.append(f"WhatsApp templates: {len(whatsapp.templates)} ({', '.join(whatsapp.templates)}), "
                     f"language {whatsapp.language}")
    lines.extend(warnings(c))
    return lines
