"""The "Tanya bidan" conversation's names (flow ``tanya``; step ``offer``: the older "Kirim ke bidan" offer,
whose button bot/handlers/questions.py still honours). Free text is no longer offered: the fallback forwards it
at once as a family message (bot/handlers/steps/family_message.py)."""

from __future__ import annotations

ASK_FLOW = "tanya"
OFFER = "offer"
