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


# A deep-link payload (``fas_K7Q2…`` for a facility's registration, ``fam_…`` for a family's link) carried in the
# prefilled text of a wa.me link: WhatsApp has no /start parameter, so the person sends it as a message.
_PAYLOAD_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_])([a-z]{3}_[A-Za-z0-9_-]{4,60})(?![A-Za-z0-9_-])")


def prefilled_link(number: str, wording: str, payload: str) -> str:
    """The wa.me link whose prefilled text is ``wording`` (a sentence from content/ that holds ``payload``)."""
    if payload not in wording:
        raise ValueError("the prefilled wording must carry the payload")
    return wa_me_link(number, wording)


def payload_in_text(text: str) -> str | None:
    """The deep-link payload a prefilled wa.me text carries (the first one), or None."""
    found = _PAYLOAD_IN_TEXT.search(text or "")
    return found.group(1) if found else None
