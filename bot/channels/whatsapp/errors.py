"""Meta's error envelope mapped to what the bot does next.

The Cloud API answers errors as Graph API errors (https://developers.facebook.com/documentation/business-messaging/
whatsapp/support/error-codes)::

    {"error": {"message": "...", "type": "OAuthException", "code": 131047,
               "error_data": {"messaging_product": "whatsapp", "details": "..."}, "fbtrace_id": "..."}}

Meta advises building on ``code`` (and ``error_data.details``), not on the title in ``message``. The mapping:

- 131047 "Re-engagement message": more than 24 hours since the person last wrote → send a template instead;
- 130429 "Rate limit hit", 131056 "Pair rate limit hit" (too many to one person) → retry later;
- 131026 "Message undeliverable", 133010 "Phone number not registered" → the person cannot be reached;
- anything else → :class:`WhatsAppError` (131009 "Parameter value is not valid" among them).
"""

from __future__ import annotations

from typing import Any


class WhatsAppError(Exception):
    """An error answer from the Cloud API (or a transport failure, code 0)."""

    def __init__(self, code: int, message: str = "", *, details: str = "", status: int = 0,
                 retry_after: float | None = None):
        self.code = code
        self.message = message
        self.details = details
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"WhatsApp error {code} (HTTP {status}): {message}" + (f" – {details}" if details else ""))


class TemplateRequired(WhatsAppError):
    """Outside the 24-hour customer-service window: only an approved template may be sent."""


class RetryLater(WhatsAppError):
    """Rate limited (the business number, or this one recipient): try again later."""


class Unreachable(WhatsAppError):
    """The message cannot reach this person (not on WhatsApp, or undeliverable)."""


class InvalidParameter(WhatsAppError):
    """A parameter breaks a limit (length, count, format): the bot's message must change."""


CODES: dict[int, type[WhatsAppError]] = {
    131047: TemplateRequired,
    130429: RetryLater,
    131056: RetryLater,
    131026: Unreachable,
    133010: Unreachable,
    131009: InvalidParameter,
    100: InvalidParameter,
}


def error_from_envelope(payload: Any, status: int) -> WhatsAppError:
    """The exception for an error answer ``payload`` (the parsed JSON body) with HTTP ``status``."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return WhatsAppError(0, f"unexpected answer: {str(payload)[:200]}", status=status)
    try:
        code = int(error.get("code", 0))
    except (TypeError, ValueError):
        code = 0
    data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    cls = CODES.get(code, WhatsAppError)
    return cls(code, str(error.get("message", "")), details=str(data.get("details", "")), status=status)
