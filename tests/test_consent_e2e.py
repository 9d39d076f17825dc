"""The research consent says what happens (issue 24, item 9), read from the outside: pseudonymous (never
"anonim"), who sees what, purpose, risks, withdrawal (UU 27/2022) and the facility's ethics approval number
when set; the version of the consent text is stored with the consent, and /privasi withdraws it with a tap."""

from __future__ import annotations

import csv
import io
import zipfile

from sqlmodel import select

from bot import cli
from bot.flows import privacy
from content import get_content
from storage.models import Facility, User


async def test_research_consent_names_what_happens_and_stores_its_version(bot, db, clock, fake_tg, monkeypatch,
                                                                          capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Uji", "--protocol", "seed000"]) == 0
    with db.session() as s:
        facility = s.exec(select(Facility)).one()
        code, registration = facility.code, facility.registration_code
    assert cli.main(["facility", "ethics", "--facility", code, "112/KEPK-POLTEKKES/XII/2026"]) == 0
    assert "112/KEPK-POLTEKKES/XII/2026" in capsys.readouterr().out

    mother = fake_tg.user(user_id=5300, first_name="Ani")
    await mother.send(f"/start fas_{registration}")
    await mother.press("Setuju")
    info = "\n".join(m.text or "" for m in mother.replies_since_last_action)
    assert "anonim" not in info.replace("bukan anonim", "")  # pseudonymous, said so
    for words in ("Tujuan", "Yang melihat", "Risiko", "menarik izin", "/privasi", "UU 27/2022",
                  "Persetujuan etik: 112/KEPK-POLTEKKES/XII/2026"):
        assert words in info, (words, info)
    for m in mother.replies_since_last_action:
        assert len(m.text or "") <= 600 and (m.text or "").count("\n") < 10
    await mother.press("Boleh")
    version = privacy.consent_version(get_content())
    with db.session() as s:
        user = s.exec(select(User).where(User.telegram_id == mother.id)).one()
        assert user.consent_research is True and user.consent_version == version
    await mother.press("Ibu")
    await mother.send("Ani")
    await mother.press("Kemarin")
    await mother.press(mother.last_reply.button_labels[0])
    await mother.press("Benar, simpan")
    # The export's members file says which words each consent answered.
    out_zip = tmp_path / "export.zip"
    assert cli.main(["export", "--format", "csv", "--codes", "--out", str(out_zip), "--csv-dialect", "plain"]) == 0
    with zipfile.ZipFile(out_zip) as z:
        members = list(csv.DictReader(io.StringIO(z.read("members.csv").decode("utf-8-sig"))))
    assert [(m["consent_research"], m["consent_version"]) for m in members] == [("1", version)]

    # /privasi: the same information and the choice now; withdrawing is one tap.
    await mother.send("/privasi")
    texts = "\n".join(m.text or "" for m in mother.replies_since_last_action)
    assert "bukan anonim" in texts and "Persetujuan etik" in texts and "mengizinkan" in texts
    await mother.press("Tidak boleh")
    with db.session() as s:
        user = s.exec(select(User).where(User.telegram_id == mother.id)).one()
        assert user.consent_research is False and user.consent_version == version


def test_any_change_of_the_consent_words_changes_the_version():
    content = get_content()
    before = privacy.consent_version(content)
    assert before.startswith("c") and len(before) == 11

    class Changed:
        texts = {**content.texts, "family.research_info": content.texts["family.research_info"] + " "}

    assert privacy.consent_version(Changed) != before
