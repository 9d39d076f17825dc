"""Facilities (puskesmas, TPMB, PMB): found by code, name or registration code; created on first invite.

A facility has two codes:
- ``code``: short and stable, typed on the command line (``--facility PSA482``) and shown in exports;
- ``registration_code``: the secret part of the family-registration link (``fas_<registration_code>``)
  printed as a QR code at discharge. Families who register through it belong to the facility.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import Facility

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: easy to read aloud and to type
REGISTRATION_CODE_LENGTH = 10


def random_code(length: int, alphabet: str = _ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _initials(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name.upper())
    letters = "".join(w[0] for w in words if not w.isdigit())[:4]
    return letters or "F"


def get(session: Session, facility_id: int) -> Facility | None:
    return session.get(Facility, facility_id)


def by_code(session: Session, code: str) -> Facility | None:
    return session.exec(select(Facility).where(func.upper(Facility.code) == code.strip().upper())).first()


def by_name(session: Session, name: str) -> Facility | None:
    """The facility with this name (case and surrounding spaces ignored)."""
    wanted = " ".join(name.split()).lower()
    return session.exec(select(Facility).where(func.lower(Facility.name) == wanted)).first()


def by_registration_code(session: Session, registration_code: str) -> Facility | None:
    return session.exec(select(Facility).where(Facility.registration_code == registration_code)).first()


def find(session: Session, code_or_name: str) -> Facility | None:
    """A facility by its short code, else by its name."""
    return by_code(session, code_or_name) or by_name(session, code_or_name)


def list_all(session: Session) -> list[Facility]:
    return list(session.exec(select(Facility).order_by(Facility.name)))


def names_by_code(session: Session) -> dict[str, str]:
    """Facility code -> its name (how the export names a facility in words)."""
    return {code: name for code, name in session.exec(select(Facility.code, Facility.name))}


def create(session: Session, *, name: str, now: datetime, timezone: str = "Asia/Jakarta",
           code: str | None = None) -> Facility:
    """A new facility with a fresh short code and registration code."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("a facility needs a name")
    if code is None:
        prefix = _initials(name)
        while True:
            code = f"{prefix}{secrets.randbelow(900) + 100}"
            if by_code(session, code) is None:
                break
    elif by_code(session, code) is not None:
        raise ValueError(f"facility code {code!r} is taken")
    while True:
        registration = random_code(REGISTRATION_CODE_LENGTH)
        if by_registration_code(session, registration) is None:
            break
    facility = Facility(code=code.upper(), name=name[:128], timezone=timezone, registration_code=registration,
                        created_at=now)
    session.add(facility)
    session.flush()
    return facility


def get_or_create(session: Session, *, name: str, now: datetime, timezone: str = "Asia/Jakarta") -> tuple[Facility, bool]:
    """The facility named (or coded) ``name``; created if there is none. Returns (facility, created)."""
    found = find(session, name)
    if found is not None:
        return found, False
    return create(session, name=name, now=now, timezone=timezone), True
