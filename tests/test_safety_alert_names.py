"""The safety check's alert names the complaint that was marked (issue 24, item 10): the pain question asks
about the belly, head, chest or calf at once, so a pain in the head is never alerted as "Nyeri perut yang
hebat". Through the real Application and the fake Bot API: the husband marks "Sakit hebat" before the
massage; the midwife's alert and the stored alert name that complaint."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.devtools.demo import add_midwife
from content import get_content
from storage import facilities
from storage.models import Alert, Family
from tests.test_alerts import alert_texts
from tests.test_reminders_support import make_family


async def test_a_marked_pain_is_alerted_as_the_pain_asked_about(bot, db, clock, mother, husband, midwife):
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=date.fromordinal(clock.now().date().toordinal() - 1),
                          members=[(mother.id, "mother"), (husband.id, "husband")])
        facility = facilities.create(s, name="Puskesmas Uji", now=clock.now())
        add_midwife(s, facility, telegram_id=midwife.id, name="Bidan Aminah", now=clock.now())
        s.get(Family, fid).facility_id = facility.id
    await husband.send("/pijat")
    if "Lewati, mulai pijat" in husband.last_reply.button_labels:
        await husband.press("Lewati, mulai pijat")
    labels = husband.last_reply.button_labels
    assert any(b.endswith("Sakit hebat") for b in labels), husband.text_log()
    label = next(b for b in labels if b.endswith("Sakit hebat"))
    await husband.press(label)
    await husband.press("Kirim (1 dipilih)")
    content = get_content()
    [alert] = alert_texts(midwife)
    asked = content.danger_sign("ibu_sakit_hebat").text  # "Sakit yang hebat (di perut, kepala, dada, atau betis ..."
    assert asked in alert and "kepala" in alert and "betis" in alert
    assert content.danger_sign("ibu_nyeri_perut").text not in alert  # not "Nyeri perut yang hebat"
    family_saw = "\n".join(m.text or "" for m in husband.messages)
    assert "Nyeri perut yang hebat" not in family_saw and "sekarang" in family_saw
    with db.session() as s:
        assert [(a.sign_id, a.source) for a in s.exec(select(Alert))] == [("ibu_sakit_hebat", "safety_check")]
