"""What the midwife needs to do for a family, in words: the one function /pasien and the dashboard both show.

- :func:`needs` — the reasons a family is where it is in her list (open danger signs with the family's own
  words, unanswered questions, checklists due today or missed, members the bot cannot reach), one line each.
- :func:`occasion_marks` — the family's checklists per occasion as a short line of marks ("H1 ✅✅ · H2 ✅📝 …").
- :func:`occasion_name` — one occasion in words ("hari 2, sebelum pijat").
"""

from __future__ import annotations

from bot.flows import alerts as alert_flow
from bot.flows import occasion_status
from bot.flows.desk import TriageRow
from content import Content


def occasion_name(content: Content, state: occasion_status.OccasionState, *, with_day: bool) -> str:
    word = content.text(f"desk.occasion_word_{state.occasion}")
    return content.text("desk.occasion_day", hari=state.day, waktu=word) if with_day else word


def label_words(content: Content, label: str) -> str:
    """A stored occasion label in words: "day2_pre" -> "Hari 2, sebelum pijat", "post" -> "Sesudah pijat"."""
    kind = occasion_status.kind(label)
    if kind not in ("pre", "post"):
        return label
    day = label[3:-len(kind) - 1] if label.startswith("day") else ""
    word = content.text(f"desk.occasion_word_{kind}")
    return (content.text("desk.occasion_day", hari=day, waktu=word) if day.isdigit() else word).capitalize()


def _with_day(states: list[occasion_status.OccasionState]) -> bool:
    """Name the day only when the protocol measures the same occasion on several days (seed 001)."""
    return len({s.occasion for s in states}) < len(states)


_MARKS: dict[int, tuple[Content, dict[str, str]]] = {}


def _marks(content: Content) -> dict[str, str]:
    """The marks of each state (read once per content: the families table draws a thousand rows)."""
    cached = _MARKS.get(id(content))
    if cached is None or cached[0] is not content:
        cached = _MARKS[id(content)] = (content, {s: content.text(f"desk.mark_{s}") for s in occasion_status.STATES})
    return cached[1]


def occasion_marks(content: Content, states: list[occasion_status.OccasionState]) -> str:
    """The checklists of one family: per day when the protocol measures on several days."""
    if not states:
        return "-"
    mark = _marks(content)
    if not _with_day(states):
        return "/".join(mark[s.state] for s in states)
    days: dict[int, list[str]] = {}
    for s in states:
        days.setdefault(s.day, []).append(mark[s.state])
    return " ".join(content.text("desk.marks_day", hari=d, tanda="".join(m)) for d, m in days.items())


def occasion_lines(content: Content, states: list[occasion_status.OccasionState]) -> list[str]:
    """Each occasion with its state in words, for the family page."""
    with_day = _with_day(states)
    return [content.text("desk.occasion_line", tanda=content.text(f"desk.mark_{s.state}"),
                         waktu=occasion_name(content, s, with_day=with_day).capitalize(),
                         keadaan=content.text(f"desk.state_{s.state}")) for s in states]


def needs(content: Content, row: TriageRow) -> list[str]:
    """Why the family is where it is in the list, one line each (the chat and the dashboard show these)."""
    lines = []
    tz = row.family.timezone
    if row.oldest_alert is not None:
        signs = ", ".join(dict.fromkeys(alert_flow.sign_text(content, a.sign_id) for a in row.open_alerts))
        lines.append(content.text("desk.reason_alert", waktu=alert_flow.local_time(row.oldest_alert.raised_at, tz),
                                  tanda=signs))
        words = list(dict.fromkeys(a.words for a in row.open_alerts if a.words))
        if words:
            lines.append(content.text("desk.reason_alert_words", kata=" / ".join(words)[:200]))
    if row.open_messages:
        lines.append(content.text("desk.reason_family_message", jumlah=row.open_messages))
    if row.open_questions - row.open_messages:
        lines.append(content.text("desk.reason_question", jumlah=row.open_questions - row.open_messages))
    states = {s.label: s for s in row.summary.occasions}
    with_day = _with_day(row.summary.occasions)
    for label in row.due:
        state = states.get(label)
        if state is not None:
            key = "desk.reason_due" if state.state == occasion_status.DUE else "desk.reason_late"
            lines.append(content.text(key, waktu=occasion_name(content, state, with_day=with_day)))
    if row.summary.unreachable:
        lines.append(content.text("desk.reason_unreachable", nama=", ".join(m.name for m in row.summary.unreachable)))
    return lines
