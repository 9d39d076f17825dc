"""The urgent advice for danger signs, whichever conversation heard them (free text, a checklist answer, the
massage's safety check), and the note that a text was a conversation's valid answer (so the free-text danger
matcher of bot/handlers/fallback.py stays quiet for it)."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardMarkup

from bot.core.turn import Turn
from bot.flows import alerts
from bot.flows.alerts import raise_danger
from content import advice
from storage.models import Family

_GIVEN = "_danger_signs_given"
_TAKEN = "_text_taken_as_answer"


def taken_as_answer(turn: Turn) -> None:
    """A conversation says: this text was a valid answer to my question (e.g. "kuning" for a stool colour).

    Its own rules then judge the answer, so the free-text danger matcher stays quiet for it.
    """
    turn.notes[_TAKEN] = True


def was_taken_as_answer(turn: Turn) -> bool:
    return bool(turn.notes.get(_TAKEN))


def urgent_advice(turn: Turn, family: Family | None, sign_ids: list[str], *, source: str,
                  words: str | None = None) -> None:
    """Give the family the advice for these danger signs (once per sign per update) and alert the midwife
    (bot.flows.alerts.raise_danger: go now / 119 / 112, the other member told, the escalation ladder)."""
    given: set[str] = turn.notes.setdefault(_GIVEN, set())
    fresh = [s for s in dict.fromkeys(sign_ids) if s not in given and _known(turn, s)]
    if not fresh:
        return
    given.update(fresh)
    raise_danger(turn, family_id=family.id if family is not None else None, sign_ids=fresh, source=source,
                 words=words, tell_family=True)


def report_heard_offline(turn: Turn, family: Family | None, sign_ids: list[str], words: str) -> None:
    """A danger report kept while the database was down, fed again now (bot/core/spool.py): the midwife is
    alerted as for any report; the family, who had the advice then, hears that the midwife has it now."""
    raise_danger(turn, family_id=family.id if family is not None else None, sign_ids=sign_ids, source="spool",
                 words=words, tell_family=False)
    when = alerts.local_time(turn.replayed_from, family.timezone if family is not None else "Asia/Jakarta")
    if family is not None and family.facility_id is not None:
        turn.reply(turn.t("danger.spool_sent", waktu=when))


def hypothetical_answer(turn: Turn, sign_ids: list[str], words: str,
                        keyboard: Callable[[], InlineKeyboardMarkup | None] | None = None) -> bool:
    """A question about signs that are not happening now ("kalau nanti bayi demam?"): what to do if it
    happens, as information; no alert. False when no sign is known (then it is forwarded as a message).
    ``keyboard`` is called only when the answer is given (it records the message for the midwife)."""
    found = advice.sign_advice(turn.content, sign_ids, words)[:2]
    if not found:
        return False
    lines = "\n".join(turn.t("danger.sign_only", tanda=a.words) for a in found)
    markup = keyboard() if keyboard is not None else None
    turn.reply(turn.t("danger.if_later", tanda=lines, saran=" ".join(dict.fromkeys(a.why for a in found))), markup)
    return True


def _known(turn: Turn, sign_id: str) -> bool:
    try:
        turn.content.danger_sign(sign_id)
    except KeyError:
        return False
    return True
