"""WhatsApp's settings, read from the environment.

WhatsApp is on when its token, phone number id, app secret and verify token are all set. ``WHATSAPP_API_URL`` is
the Graph base URL with its version (sends go to ``{WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages``);
``WHATSAPP_NUMBER`` is the business number's digits, for ``wa.me`` links.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://graph.facebook.com/v23.0"
REQUIRED = ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")


class WhatsAppConfigError(ValueError):
    pass


@dataclass(frozen=True)
class WhatsAppConfig:
    token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    number: str = ""  # digits only, country code first (62…)
    api_url: str = DEFAULT_API_URL

    def __repr__(self) -> str:  # never print the secrets
        return f"WhatsAppConfig(phone_number_id={self.phone_number_id!r}, number={self.number!r}, api_url={self.api_url!r})"

    @property
    def messages_url(self) -> str:
        return f"{self.api_url}/{self.phone_number_id}/messages"

    @property
    def media_url(self) -> str:
        return f"{self.api_url}/{self.phone_number_id}/media"


def whatsapp_config(env: Mapping[str, str] | None = None) -> WhatsAppConfig | None:
    """The configuration, or None when WhatsApp is not configured at all; a half-set configuration raises."""
    env = os.environ if env is None else env
    values = {name: env.get(name, "").strip() for name in REQUIRED}
    if not any(values.values()):
        return None
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise WhatsAppConfigError(f"WhatsApp is half configured: {', '.join(missing)} not set")
    number = re.sub(r"[\s+\-()]", "", env.get("WHATSAPP_NUMBER", "").strip())
    if number and not number.isdigit():
        raise WhatsAppConfigError("WHATSAPP_NUMBER must be the number's digits, country code first (e.g. 6281234567890)")
    api_url = env.get("WHATSAPP_API_URL", "").strip().rstrip("/") or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise WhatsAppConfigError("WHATSAPP_API_URL must be an http(s) URL")
    return WhatsAppConfig(
        token=values["WHATSAPP_TOKEN"], phone_number_id=values["WHATSAPP_PHONE_NUMBER_ID"],
        app_secret=values["WHATSAPP_APP_SECRET"], verify_token=values["WHATSAPP_VERIFY_TOKEN"],
        number=number, api_url=api_url,
    )
