"""Linking a family to a facility: by the code typed after /keluarga → "Kode fasilitas"
(bot/handlers/facility_code.py), or by the facility's ``fas_`` registration link (bot/handlers/family.py)."""

from __future__ import annotations

from bot.core.turn import Turn
from bot.flows import protocols, questions
from bot.flows.alerts import link_facility
from bot.flows.schedule import reschedule_family
from bot.handlers.steps.family_message import send_outcome
from storage import facilities
from storage import families as family_store
from storage.models import Family


def attach(turn: Turn, family: Family, facility_id: int) -> None:
    """Link the family to the facility, alert its open signs reported before and send the messages kept
    meanwhile (shared with the fas_ link)."""
    facility = facilities.get(turn.session, facility_id)
    if facility is None:
        return
    if family.facility_id != facility.id:
        family_store.update(turn.session, family, facility_id=facility.id)
    turn.reply(turn.t("danger.facility_linked", fasilitas=facility.name))
    if link_facility(turn, family):
        turn.reply(turn.t("danger.facility_linked_alerts", fasilitas=facility.name))
    kept = questions.link_facility(turn.session, turn.content, family=family, now=turn.now,
                                   every=turn.settings.question_repeat)
    send_outcome(turn, kept)
    if kept.delivered:
        turn.reply(turn.t("desk.family_kept_sent", fasilitas=facility.name))


def follow_facility_protocol(turn: Turn, family, facility) -> None:
    """A family attached to a facility before its first measurement follows the facility's protocol."""
    chosen = protocols.facility_protocol(turn.content, facility)
    if chosen.id == family.protocol_id or protocols.has_measurement(turn.session, family.id):
        return
    protocols.enrol(family, chosen)
    turn.session.add(family)
    reschedule_family(turn.session, family.id, now=turn.now, settings=turn.settings)
