"""/hapus reaches every message the bot sent the staff about the family: the danger-sign alert, its repeat, the
family's question (their name, phone and words) are edited to "(data keluarga ini sudah dihapus)" in the
midwife's chat, buttons (the phone's wa.me link) gone — read from the fake Bot API's record of edits."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.reminders.dispatcher import dispatch_once
from storage.models import User
from tests.test_midwife_desk import consent
from tests.test_midwife_support import HUSBAND, MOTHER, two_facilities
from tests.test_reliability_support import say

PHONE = "+6281234567890"
WORDS = "ASI saya berdarah sejak pagi"


def _traces(message) -> list[str]:
    """The family's name, words or phone in a message (the sign's own name, "Bayi kejang", is not theirs)."""
    return [t for t in ("Siti", "berdarah", "81234567890") if t in (message.text or "")]


async def test_hapus_edits_the_alert_its_repeat_and_the_question_in_the_midwifes_chat(bot, db, clock, fake_tg,
                                                                                      mother, midwife):
    two_facilities(db, clock.now(), a_extra=0, b_count=0)
    consent(db, clock, MOTHER, HUSBAND)
    with db.session() as s:
        siti = s.exec(select(User).where(User.telegram_id == MOTHER)).one()
        siti.phone = PHONE
        s.add(siti)
        s.commit()
    await mother.send(f"/tanya {WORDS}")
    await mother.send("bayi saya kejang")
    clock.advance(bot.settings.alert_repeat + timedelta(minutes=1))
    assert (await dispatch_once(bot.runtime, bot.app.bot)).sent >= 1  # the alert's repeat, through the outbox
    about = [m for m in midwife.messages if m.from_bot and _traces(m)]
    assert len(about) >= 3, [m.text for m in midwife.messages]  # the question, the alert, its repeat
    assert any(WORDS in (m.text or "") for m in about)

    await mother.send("/hapus")
    await mother.press(say("menu.button_delete_yes"))

    gone = say("common.family_data_deleted")
    for message in about:
        assert message.deleted or (message.text == gone and message.edits >= 1 and message.history), message.text
        assert not message.buttons or message.deleted
    assert not [m.text for m in midwife.messages if _traces(m)]
