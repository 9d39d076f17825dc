"""The main menu's buttons, under every "what next" message (bot/handlers/menu.py shows the menu itself)."""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from storage.models import Family


def main_keyboard(turn: Turn, family: Family | None):
    rows = [
        [(turn.t("menu.button_massage"), "pijat:start"), (turn.t("menu.button_checklist"), "ceklis:start")],
        [(turn.t("menu.button_family"), callback("fam", "show", "0")), (turn.t("desk.button_ask"), "ask:start")],
        [(turn.t("menu.button_help"), callback("menu", "help")),
         (turn.t("menu.button_privacy"), callback("menu", "privacy"))],
    ]
    if family is not None:
        rows.append([(turn.t("menu.button_resume"), callback("menu", "resume")) if family.reminders_paused
                     else (turn.t("menu.button_pause"), callback("menu", "pause"))])
    return inline(rows)
