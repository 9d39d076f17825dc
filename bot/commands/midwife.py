"""``python -m bot midwife invite|list|revoke``: who works with the bot on the facility side.

- ``invite --facility "PMB Siti Aminah" [--name "Bidan Siti"] [--coordinator] [--days 3]`` creates the
  facility if needed and prints a one-time invitation code and its deep link. The bot's username comes
  from BOT_USERNAME or from the bot's last start (stored in the database), so this works offline.
- ``list [--facility CODE]`` prints facilities, their staff and the open invitations.
- ``revoke CODE|STAFF`` cancels an unused invitation (by its code) or removes a staff member (by number).
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from bot.channels.whatsapp import links as wa_links
from bot.core.clock import SystemClock
from bot.core.config import settings_from_env
from bot.flows import midwife as rules
from content import get_content
from storage import audit, facilities
from storage import staff as staff_store
from storage.db import Database


def _db() -> tuple[Database, object]:
    settings = settings_from_env()
    db = Database(settings.database_url)
    db.upgrade()
    return db, settings


def invite(args: argparse.Namespace) -> int:
    db, settings = _db()
    now = SystemClock().now()
    if args.days <= 0:
        print("error: --days must be at least 1", file=sys.stderr)
        return 2
    with db.session() as session:
        content = None
        if args.protocol:
            from bot.flows import protocols

            content = get_content()
            try:
                protocols.check(content, args.protocol)
            except protocols.ProtocolError as exc:
                print(f"error: unknown protocol {args.protocol!r}; choose one of {exc.params['pilihan']}",
                      file=sys.stderr)
                return 2
        made = rules.invite(session, facility_name=args.facility, now=now, name=args.name,
                            coordinator=args.coordinator, valid_for=timedelta(days=args.days))
        if content is not None:
            protocols.set_facility_protocol(session, content, made.facility, args.protocol, now=now, actor="cli")
        username = rules.bot_username(session, settings.bot_username)
        facility = made.facility
        print(f"facility: {facility.name} (code {facility.code}){' - created' if made.facility_created else ''}")
        print(f"protocol: {facility.default_protocol or 'default'}")
        print(f"role:     {made.invite.role}" + (f", for {made.invite.name}" if made.invite.name else ""))
        print(f"code:     {made.invite.code}")
        print(f"valid until: {made.invite.expires_at:%Y-%m-%d %H:%M} UTC (one use)")
        if username:
            print(f"link:     {rules.invite_link(username, made.invite)}")
            print(f"families register with: {rules.registration_link(username, facility)}")
        else:
            print("link:     unknown bot username: set BOT_USERNAME or start the bot once; meanwhile the midwife "
                  f"can send /start {rules.INVITE_PREFIX}{made.invite.code} to the bot")
        wa_link = None
        if settings.whatsapp_number:
            wa_link = rules.whatsapp_registration_link(settings.whatsapp_number, facility, get_content())
            print(f"families on WhatsApp register with: {wa_link}")
        if args.qr:
            for path in _write_qr_codes(Path(args.qr), facility.code,
                                        rules.registration_link(username, facility) if username else None, wa_link):
                print(f"QR code:  {path}")
    db.dispose()
    return 0


def _write_qr_codes(folder: Path, code: str, telegram_link: str | None, whatsapp_link: str | None) -> list[Path]:
    """The registration links as PNG QR codes in ``folder`` (one per channel), for a poster or the discharge
    sheet."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for channel, link in (("telegram", telegram_link), ("whatsapp", whatsapp_link)):
        if link:
            path = folder / f"qr_{code}_{channel}.png"
            path.write_bytes(wa_links.qr_png(link))
            written.append(path)
    return written


def list_(args: argparse.Namespace) -> int:
    db, _ = _db()
    now = SystemClock().now()
    with db.session() as session:
        chosen = None
        if args.facility:
            chosen = facilities.find(session, args.facility)
            if chosen is None:
                print(f"error: no facility {args.facility!r}", file=sys.stderr)
                return 2
        places = [chosen] if chosen else facilities.list_all(session)
        if not places:
            print("no facilities yet: python -m bot midwife invite --facility \"NAME\"")
        for facility in places:
            print(f"{facility.code}  {facility.name}  ({facility.timezone})")
            rows = staff_store.list_staff(session, [facility.id])
            if not rows:
                print("    no staff yet")
            for row in rows:
                state = "active" if row.staff.active else "revoked"
                name = staff_store.display_name(row.staff, row.user)
                print(f"    staff {row.staff.id:<5} {row.staff.role:<12} {name:<24} telegram {row.user.telegram_id}"
                      f"  {state}")
            for inv in staff_store.open_invites(session, now, facility.id):
                who = f" for {inv.name}" if inv.name else ""
                print(f"    invite {inv.code}  {inv.role}{who}, valid until {inv.expires_at:%Y-%m-%d %H:%M} UTC")
    db.dispose()
    return 0


def revoke(args: argparse.Namespace) -> int:
    db, _ = _db()
    now = SystemClock().now()
    target = args.target.strip()
    with db.session() as session:
        if target.isdigit():
            staff = staff_store.deactivate(session, int(target))
            if staff is None:
                print(f"error: no staff member number {target}", file=sys.stderr)
                return 2
            audit.record(session, action="staff_revoked", now=now, actor="cli", facility_id=staff.facility_id,
                         detail={"staff_id": staff.id})
            print(f"staff {staff.id} can no longer use the midwife commands")
            return 0
        inv = staff_store.revoke_invite(session, target)
        if inv is None:
            print(f"error: no invitation {target!r} and no staff number", file=sys.stderr)
            return 2
        audit.record(session, action="invite_revoked", now=now, actor="cli", facility_id=inv.facility_id,
                     detail={"used": inv.used_at is not None})
        if inv.used_at is not None:
            print(f"invitation {inv.code} was already used; revoke the staff member by number instead "
                  "(see: python -m bot midwife list)")
        else:
            print(f"invitation {inv.code} revoked")
    db.dispose()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("midwife", help="midwives: invite, list, revoke")
    actions = parser.add_subparsers(dest="midwife_command", metavar="<action>", required=True)
    p = actions.add_parser("invite", help="print a one-time invitation link for a midwife of a facility")
    p.add_argument("--facility", required=True, help="facility name (created if new) or code")
    p.add_argument("--name", help="the midwife's name, as colleagues will see it")
    p.add_argument("--coordinator", action="store_true", help="may invite colleagues from the chat (/undang)")
    p.add_argument("--protocol", help="the facility's default protocol for new families (e.g. seed001); "
                                      "default: keep the facility's, or 'default' for a new one")
    p.add_argument("--days", type=int, default=staff_store.INVITE_VALID_FOR.days,
                   help=f"days the invitation stays valid (default {staff_store.INVITE_VALID_FOR.days})")
    p.add_argument("--qr", metavar="DIR", help="also write the families' registration QR codes (Telegram, and "
                                               "WhatsApp when WHATSAPP_NUMBER is set) as PNG files into DIR")
    p.set_defaults(func=invite)
    p = actions.add_parser("list", help="facilities, their staff and open invitations")
    p.add_argument("--facility", help="only this facility (code or name)")
    p.set_defaults(func=list_)
    p = actions.add_parser("revoke", help="cancel an invitation (CODE) or remove a staff member (number)")
    p.add_argument("target", metavar="CODE|STAFF")
    p.set_defaults(func=revoke)
