"""``python -m bot facility protocol --facility CODE PROTOCOL``: the protocol new families of a facility follow.

Families already registered keep the protocol and version they enrolled under.
"""

from __future__ import annotations

import argparse
import sys

from bot.core.clock import SystemClock
from bot.core.config import settings_from_env
from storage import facilities
from storage.db import Database


def set_protocol(args: argparse.Namespace) -> int:
    from bot.flows import protocols
    from content import get_content

    content = get_content()
    db = Database(settings_from_env().database_url)
    try:
        db.upgrade()
        with db.session() as session:
            facility = facilities.find(session, args.facility)
            if facility is None:
                print(f"error: no facility {args.facility!r} (see: python -m bot midwife list)", file=sys.stderr)
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


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("facility", help="facility settings: the default protocol of new families")
    actions = parser.add_subparsers(dest="action", required=True)
    p = actions.add_parser("protocol", help="set the protocol new families of a facility follow")
    p.add_argument("--facility", required=True, help="facility code or name")
    p.add_argument("protocol", help="protocol id, e.g. default, seed000, seed001, seed002, seed003")
    p.set_defaults(func=set_protocol)
