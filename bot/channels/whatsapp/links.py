"""``wa.me`` click-to-chat links whose prefilled text registers a family, and their QR codes.

WhatsApp's click-to-chat format is ``https://wa.me/<number>?text=<urlencoded text>``, the number in international
form without "+", spaces or dashes (WhatsApp's "How to use click to chat" help page; public examples such as
``https://wa.me/18001230000?text=Hello%20World!``). The text is percent-encoded with ``quote`` (a space becomes
``%20``, never ``+``, which the app could show as a plus sign).
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import segno


def wa_me_link(number: str, text: str = "") -> str:
    digits = re.sub(r"[\s+\-()]", "", number)
    if not digits.isdigit():
        raise ValueError(f"not a phone number's digits: {number!r}")
    link = f"https://wa.me/{digits}"
    if text:
        link += "?text=" + quote(text, safe="")
    return link


def qr_png(link: str, *, scale: int = 8) -> bytes:
    """The link as a PNG QR code (error correction M, enough for a printed poster)."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


# The prefilled text of a wa.me link carries what a t.me link's /start payload carries: one word and the code.
# The payload prefixes are the deep links' (bot/flows/midwife.py REGISTRATION_PREFIX, bot/flows/family_link.py
# PREFIX; tests/test_whatsapp_bridge.py checks they agree). The link's text is a kind sentence from content/ that
# ends in that word and code ("Halo, saya mau ikut … DAFTAR AB12CD"); the person may also type the two words alone.
START_WORDS = {"DAFTAR": "fas_", "GABUNG": "fam_"}
_CODE = r"([A-Za-z0-9_-]{3,64})"
_START = re.compile(r"^\s*(DAFTAR|GABUNG)\s*[:#-]?\s*" + _CODE + r"\s*$", re.IGNORECASE)
# In a sentence only the upper-case word at the very end counts ("saya mau daftar besok" is a message, not a code).
_START_IN_SENTENCE = re.compile(r"(?<![A-Za-z])(DAFTAR|GABUNG)\s*[:#-]?\s*" + _CODE + r"\s*$")


def start_text(payload: str) -> str:
    """The word and code for a /start ``payload`` ("fas_AB12" → "DAFTAR AB12"); the one place that decides it."""
    for word, prefix in START_WORDS.items():
        if payload.startswith(prefix) and len(payload) > len(prefix):
            return f"{word} {payload[len(prefix):]}"
    raise ValueError(f"no WhatsApp text for the deep link {payload!r}")


def start_payload(text: str) -> str | None:
    """The /start payload a prefilled text carries ("daftar AB12", "Halo, … DAFTAR AB12" → "fas_AB12"), or None."""
    text = text or ""
    match = _START.match(text)
    if match is None:
        match = _START_IN_SENTENCE.search(text)
        # the sentence is ours (lower case before the words); "SAYA MAU DAFTAR BESOK" typed in capitals is not
        if match is None or not any(ch.islower() for ch in text[:match.start()]):
            return None
    return START_WORDS[match.group(1).upper()] + match.group(2)


def start_link(number: str, payload: str, wording: str | None = None) -> str:
    """The wa.me link that does what ``t.me/<bot>?start=<payload>`` does; ``wording`` (a sentence from content/
    ending in :func:`start_text`) is what the person sees in the input box before pressing Send."""
    text = wording if wording is not None else start_text(payload)
    if start_payload(text) != payload:
        raise ValueError("the prefilled wording must end in the start word and code")
    return wa_me_link(number, text)
