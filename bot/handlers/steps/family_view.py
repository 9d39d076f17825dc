"""The family view (/keluarga, after a change of family data) and the invitation text with the family's link."""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import dates, family_link
from bot.flows import family_admission as admission
from bot.handlers.context import clock_words, consented_user, format_date, members_text, today_day, zone_name
from storage import facilities
from storage import families as family_store
from storage.identities import is_whatsapp_id
from storage.models import Family, User


def invite_text(turn: Turn, family: Family, user: User) -> str:
    link = link_for(turn, family)
    m = family_store.membership_of(turn.session, user.id)
    if m is not None and m.role == family_store.MOTHER:
        text = turn.t("family.invite_husband", link=link, kode=family.link_code)
    else:
        text = turn.t("family.invite_mother", link=link)
    return text + _whatsapp_line(turn, family)


def _on_whatsapp(turn: Turn) -> bool:
    return is_whatsapp_id(turn.user_id) and bool(turn.rt.settings.whatsapp_number)


def link_for(turn: Turn, family: Family) -> str:
    """The family's link for the one speaking: wa.me on WhatsApp (its prefilled text joins the family), else t.me."""
    if _on_whatsapp(turn):
        return family_link.whatsapp_invite_link(turn.rt.settings.whatsapp_number, family, turn.rt.content)
    return family_link.invite_link(turn.rt.username, family)


def _whatsapp_line(turn: Turn, family: Family) -> str:
    """On Telegram, when the bot is on WhatsApp too: the family's wa.me link beside the t.me one."""
    number = turn.rt.settings.whatsapp_number
    if not number or _on_whatsapp(turn):
        return ""
    return "\n\n" + turn.t("family.invite_whatsapp", link=family_link.whatsapp_invite_link(number, family,
                                                                                           turn.rt.content))


def _born(turn: Turn, family: Family) -> str:
    """The birth date, with the time of birth in words when the mother gave it ("05/12/2026, jam 9 pagi")."""
    if family.birth_date is None:
        return "—"
    at = dates.parse_clock(family.birth_time)
    if at is None:
        return format_date(turn, family.birth_date)
    return turn.t("common.date_with_time", tanggal=format_date(turn, family.birth_date), jam=clock_words(turn, at))


def show_family(turn: Turn, family: Family) -> None:
    user = consented_user(turn)
    if user is None or not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
        # a companion: first names only; no birth date, no code, no link, no buttons to change anything
        turn.reply(turn.t("family.family_view_companion", anggota=members_text(turn, family.id, first_names=True)))
        return
    facility = facilities.get(turn.session, family.facility_id) if family.facility_id else None
    turn.reply(
        turn.t("family.family_view", anggota=members_text(turn, family.id),
               tanggal=_born(turn, family),
               hari=today_day(turn, family) if family.birth_date else "—",
               zona=zone_name(turn, family.timezone),
               fasilitas=facility.name if facility else turn.t("onboarding.no_facility"),
               kode=family.link_code, link=link_for(turn, family))
        + _whatsapp_line(turn, family),
        inline([
            [(turn.t("family.button_renew"), callback("fam", "renew", family.id))],
            [(turn.t("family.button_edit_birth"), callback("fam", "edit", "birth")),
             (turn.t("family.button_edit_tz"), callback("fam", "edit", "tz"))],
            [(turn.t("danger.button_facility"), callback("fk", "ask"))],
        ]),
    )
