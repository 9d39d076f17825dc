"""``python -m bot facility protocol --facility CODE PROTOCOL``: the protocol new families of a facility follow.
``python -m bot facility ethics --facility CODE NUMBER``: the study's ethics approval number, shown to families
in the research consent (``--clear`` removes it).

Families already registered keep the protocol and version they enrolled under.
"""

from __future__ import annotations

import argparse
import sys

from bot.core.clock import SystemClock
from bot.core.config import settings_from_env
from storage import facilities
from storage.db import Database


def _facility(session, name: str):
    """The facility by code or name; None (after saying so) when there is none."""
    facility = facilities.find(session, name)
    if facility is None:
        print(f"error: no facility {name!r} (see: python -m bot midwife list)", file=sys.stderr)
    return facility


def set_protocol(args: argparse.Namespace) -> int:
    from bot.flows import protocols
    from content import get_content

    content = get_content()
    db = Database(settings_from_env().database_url)
    try:
        db.upgrade()
        with db.session() as session:
            facility = _facility(session, args.facility)
            if facility is None:
                return 2
            try:
                chosen = protocols.set_facility_protocol(session, content, facility, args.protocol,
                                                         now=SystemClock().now(), actor="cli")
            except protocols.ProtocolError as exc:
                print(f"error: unknown protocol {args.protocol!r}; choose one of {exc.params['pilihan']}",
                      file=sys.stderr)
                return 2
            print(f"facility: {facility.name} (code {facility.code})")
            print(f"protocol: {chosen.id} version {chosen.version} - {chosen.title}")
            print("families registering from now on follow it; registered families keep theirs")
    finally:
        db.dispose()
    return 0


def set_ethics(args: argparse.Namespace) -> int:
    number = None if args.clear else " ".join((args.number or "").split())
    if not args.clear and not (1 <= len(number or "") <= 64):
        print("error: give the ethics approval number (1-64 characters), or --clear", file=sys.stderr)
        return 2
    db = Database(settings_from_env().database_url)
    try:
        db.upgrade()
        with db.session() as session:
            facility = _facility(session, args.facility)
            if facility is None:
                return 2
            facility.ethics_approval = number
            session.add(facility)
            print(f"facility: {facility.name} (code {facility.code})")
            print(f"ethics approval: {number or '(none)'}; shown in the research consent from now on")
    finally:
        db.dispose()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("facility", help="facility settings: the protocol of new families, the ethics approval")
    actions = parser.add_subparsers(dest="action", required=True)
    p = actions.add_parser("protocol", help="set the protocol new families of a facility follow")
    p.add_argument("--facility", required=True, help="facility code or name")
    p.add_argument("protocol", help="protocol id, e.g. default, seed000, seed001, seed002, seed003")
    p.set_defaults(func=set_protocol)
    e = actions.add_parser("ethics", help="set the ethics approval number families read in the research consent")
    e.add_argument("--facility", required=True, help="facility code or name")
    e.add_argument("number", nargs="?", help="e.g. 123/KEPK/2026")
    e.add_argument("--clear", action="store_true", help="remove the number")
    e.set_defaults(func=set_ethics)
