"""wa.me links that register a family (the facility's /qr and `midwife invite`) or join one (the family's
invitation text), with the payload the same /start deep link carries on Telegram (issue 28, item 5)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot import cli
from bot.channels.whatsapp.links import qr_png, start_link, start_payload, start_text, wa_me_link
from bot.core.config import ConfigError, settings_from_env
from bot.handlers.midwife import qr_png as labelled_qr_png
from content import get_content
from storage import facilities, users
from storage import families as family_store
from tests.test_midwife_support import two_facilities

NUMBER = "6281234567890"


@pytest.fixture
def settings(settings):
    return replace(settings, whatsapp_number=NUMBER)


def t(bot, key: str, **params) -> str:
    return bot.runtime.content.text(key, **params)


def _prefilled(link: str) -> str:
    """The text WhatsApp puts in the family's input box for ``link`` (one ``text`` parameter, decoded)."""
    parts = urlsplit(link)
    assert parts.scheme == "https" and parts.netloc == "wa.me" and parts.path == f"/{NUMBER}"
    assert "+" not in parts.query  # a space is %20, never "+"
    (text,) = parse_qs(parts.query, strict_parsing=True)["text"]
    return text


def test_the_payload_is_found_in_the_prefilled_text_however_it_is_sent():
    content = get_content()
    wording = content.text("midwife.wa_prefill_register", kode=start_text("fas_AB12cd"))
    link = start_link(NUMBER, "fas_AB12cd", wording)
    assert "%20" in link and " " not in link
    assert unquote(link.split("?text=", 1)[1]) == wording
    assert start_payload(wording) == "fas_AB12cd"
    # the two words alone, in any case, or the sentence forwarded with a trailing space
    assert start_payload("daftar AB12cd") == "fas_AB12cd" and start_payload(" GABUNG: XY7k ") == "fam_XY7k"
    assert start_payload(wording + "  ") == "fas_AB12cd"
    for text in ("", "halo", "daftar", "saya mau daftar besok", "bayi saya demam", "DAFTAR AB12cd lalu apa?",
                 "SAYA MAU DAFTAR BESOK"):
        assert start_payload(text) is None, text
    with pytest.raises(ValueError):
        start_link(NUMBER, "fas_AB12cd", "Halo, saya mau daftar")  # the wording lost the code
    with pytest.raises(ValueError):
        wa_me_link("+62 812-ABC")


def test_whatsapp_number_is_read_as_digits_and_checked(monkeypatch):
    monkeypatch.setenv("WHATSAPP_NUMBER", "+62 812-3456-7890")
    assert settings_from_env().whatsapp_number == NUMBER
    monkeypatch.setenv("WHATSAPP_NUMBER", "0812 abc")
    with pytest.raises(ConfigError):
        settings_from_env()
    monkeypatch.delenv("WHATSAPP_NUMBER")
    assert settings_from_env().whatsapp_number is None


async def test_qr_also_gives_the_whatsapp_link_that_registers_with_this_facility(bot, db, clock, midwife):
    world = two_facilities(db, clock.now())
    await midwife.send("/qr")
    telegram, whatsapp = midwife.replies_since_last_action[-2:]
    assert f"?start=fas_{world.a.registration_code}" in telegram.text
    link = next(word for word in whatsapp.text.split() if word.startswith("https://wa.me/"))
    payload = f"fas_{world.a.registration_code}"
    assert _prefilled(link) == t(bot, "midwife.wa_prefill_register", kode=start_text(payload))
    assert start_payload(_prefilled(link)) == payload
    assert whatsapp.photo == labelled_qr_png(link, world.a.name, t(bot, "midwife.qr_label_hint_whatsapp"))


async def test_the_family_invitation_carries_a_whatsapp_link_to_the_same_family(bot, db, clock, fake_tg):
    """A mother registering on Telegram gets, beside the t.me link for her husband, a wa.me link whose
    prefilled text joins this family; /keluarga shows it too."""
    mother = fake_tg.user(user_id=1077, first_name="Wati")
    await mother.send("/start")
    await mother.press("Setuju")
    await mother.press("Boleh")
    await mother.press("Ibu")
    await mother.send("Wati")
    await mother.press("Kemarin")
    await mother.press("WIB – Sumatra, Jawa, Kalimantan Barat & Tengah")
    await mother.press("Lewati")  # no facility code
    await mother.press("Benar, simpan")
    with db.session() as session:
        family = family_store.family_of(session, users.get_by_telegram_id(session, 1077).id)
    payload = f"fam_{family.link_code}"
    texts = "\n".join(m.text or "" for m in mother.replies_since_last_action)
    links = [word for word in texts.split() if word.startswith("https://wa.me/")]
    assert len(links) == 1 and start_payload(_prefilled(links[0])) == payload
    assert _prefilled(links[0]) == t(bot, "family.wa_prefill_join", kode=start_text(payload))
    await mother.send("/keluarga")
    assert links[0] in mother.last_reply.text


def test_cli_invite_prints_the_whatsapp_link_and_writes_both_qr_codes(db, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("BOT_USERNAME", "PijatTesBot")
    monkeypatch.setenv("WHATSAPP_NUMBER", NUMBER)
    code = cli.main(["midwife", "invite", "--facility", "PMB Siti Aminah", "--qr", str(tmp_path / "qr")])
    out = capsys.readouterr().out
    assert code == 0
    with db.session() as session:
        facility = facilities.by_name(session, "PMB Siti Aminah")
        payload = f"fas_{facility.registration_code}"
    line = next(line for line in out.splitlines() if line.startswith("families on WhatsApp register with:"))
    link = line.split(": ", 1)[1]
    assert start_payload(_prefilled(link)) == payload
    files = sorted(p.name for p in (tmp_path / "qr").iterdir())
    assert files == [f"qr_{facility.code}_telegram.png", f"qr_{facility.code}_whatsapp.png"]
    assert (tmp_path / "qr" / f"qr_{facility.code}_whatsapp.png").read_bytes() == qr_png(link)
    assert (tmp_path / "qr" / f"qr_{facility.code}_telegram.png").read_bytes() == qr_png(
        f"https://t.me/PijatTesBot?start={payload}")
