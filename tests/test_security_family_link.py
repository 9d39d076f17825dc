"""A leaked family link admits nobody on its own (issue 18, finding 3).

Five strangers open a mother's leaked ``fam_`` link. Before: each joined at once, saw her full name, the
birth date and the link, and could change the family's time zone (rescheduling every reminder). Now each
request waits for the mother's button; a waiting stranger sees nothing of the family; the family holds one
mother, at most one husband and two companions; companions see first names only and cannot change the
birth date, the time zone, the facility or the code; renewing the code voids waiting requests.
"""

from __future__ import annotations

import re

from sqlmodel import select

from bot.flows.family_admission import MAX_COMPANIONS
from storage.models import Family, Membership
from tests.test_reliability_support import family_id_of, register, say

FULL_NAME = "Siti Aminah"


def _family(db) -> Family:
    with db.session() as s:
        family = s.exec(select(Family)).one()
        s.expunge(family)
        return family


def _roles(db) -> list[str]:
    with db.session() as s:
        return sorted(m.role for m in s.exec(select(Membership).where(Membership.active)))


def _seen(user) -> str:
    return "\n".join((m.text or "") + " " + " ".join(m.button_labels) for m in user.messages if m.from_bot)


def _requests(mother) -> list:
    return [m for m in mother.messages if m.from_bot and say("family.button_approve") in m.button_labels]


async def _open_link(stranger, code: str, name: str) -> None:
    await stranger.send(f"/start fam_{code}")
    await stranger.press(say("onboarding.button_agree"))
    await stranger.press(say("family.button_research_no"))
    await stranger.send(name)


async def test_five_strangers_with_a_leaked_link(bot, db, fake_tg, mother, clock):
    await register(mother, db, name=FULL_NAME)
    family = _family(db)
    code, zone, birth = family.link_code, family.timezone, family.birth_date
    strangers = [fake_tg.user(user_id=9_101 + i, first_name=f"Asing{i}") for i in range(5)]
    for i, stranger in enumerate(strangers):
        await _open_link(stranger, code, f"Asing{i} Jauh")
        assert say("family.join_waiting") in stranger.last_reply.text, stranger.text_log()
    assert _roles(db) == ["mother"]  # nobody admitted by the link alone
    requests = _requests(mother)
    assert len(requests) == 5 and all("Jauh" in m.text for m in requests)
    ok = [(m.callback_data(say("family.button_approve")), m.message_id) for m in requests]
    no = [(m.callback_data(say("family.button_decline")), m.message_id) for m in requests]

    for stranger in strangers:  # a waiting stranger sees nothing of the family, and cannot act for it
        seen = _seen(stranger)
        assert "Siti" not in seen and "Aminah" not in seen and code not in seen and "fam_" not in seen, seen
        await stranger.press_data("fam:edit:tz")
        await stranger.press_data(f"fam:renew:{family.id}")
        await stranger.press_data(f"adm:ok:{family.id}")
        await stranger.send("/keluarga")
        assert "Siti" not in _seen(stranger) and code not in _seen(stranger)
    now = _family(db)
    assert (now.timezone, now.link_code, now.birth_date) == (zone, code, birth)

    # The mother decides: three approved, one declined, the fifth finds the family full.
    for data, message_id in (ok[0], ok[1], ok[2], no[3], ok[4]):
        await mother.press_data(data, message_id)
    assert _roles(db) == ["companion"] * MAX_COMPANIONS + ["husband", "mother"]
    assert say("family.join_declined") in strangers[3].last_reply.text
    assert say("family.family_full") in strangers[4].last_reply.text
    await mother.press_data(*ok[0])
    assert _roles(db) == ["companion", "companion", "husband", "mother"]  # a second press changes nothing

    # A companion: first names only, no date, no code, no link; cannot change anything.
    companion = strangers[1]
    await companion.send("/keluarga")
    view = companion.last_reply.text
    assert "Siti" in view and "Aminah" not in view and code not in view and "Asing0" in view and "Jauh" not in view
    assert not re.search(r"\d{4}", view)  # no birth date
    for data in ("fam:edit:tz", "fam:edit:birth", f"fam:renew:{family.id}"):
        await companion.press_data(data)
        assert companion.callback_answers[-1] == say("family.only_parents"), data
    now = _family(db)
    assert (now.timezone, now.link_code, now.birth_date) == (zone, code, birth)

    # The husband may renew the code; a request waiting on the old code is then void.
    latecomer = fake_tg.user(user_id=9_200, first_name="Telat")
    await _open_link(latecomer, code, "Telat")
    assert say("family.family_full") in latecomer.text_log()  # full: not even asked for a name
    husband = strangers[0]
    await husband.send("/keluarga")
    assert code in husband.last_reply.text  # the husband manages the family
    await husband.press(say("family.button_renew"))
    assert _family(db).link_code != code
    print("FIGURES leaked_link strangers=5 admitted_without_approval=0 members_max=4 "
          "seen_by_waiting=0 changes_by_companions=0")


async def test_renewing_the_code_voids_a_waiting_request(bot, db, fake_tg, mother):
    await register(mother, db)
    code = _family(db).link_code
    stranger = fake_tg.user(user_id=9_301, first_name="Asing")
    await _open_link(stranger, code, "Asing")
    request = _requests(mother)[-1]
    data = request.callback_data(say("family.button_approve"))
    await mother.send("/keluarga")
    await mother.press(say("family.button_renew"))
    await mother.press_data(data, request.message_id)
    assert mother.callback_answers[-1] == say("family.join_request_stale")
    assert _roles(db) == ["mother"]
    assert family_id_of(db, stranger.id) is None


async def test_only_the_approver_can_press_approve(bot, db, fake_tg, mother, husband):
    await register(mother, db)
    code = _family(db).link_code
    await _open_link(husband, code, "Budi")
    request = _requests(mother)[-1]
    data = request.callback_data(say("family.button_approve"))
    await husband.press_data(data)  # his own request, forged from his chat
    assert _roles(db) == ["mother"]
    await mother.press_data(data, request.message_id)
    assert _roles(db) == ["husband", "mother"]
    assert "Siti (Ibu)" in husband.last_reply.text
