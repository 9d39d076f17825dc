"""The channel seam without a network: choices rendered by capability, typed answers, wire bodies, wa.me links,
the 24-hour window rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from bot.channels.capabilities import (
    TELEGRAM,
    WHATSAPP,
    Fallback,
    Intent,
    Style,
    TooLong,
    choice_from_text,
    how_to,
    render_choices,
)
from bot.channels.outgoing import Choice, Media, MediaKind, OutgoingMessage, Template
from bot.channels.whatsapp import wire
from bot.channels.whatsapp.config import WhatsAppConfigError, whatsapp_config
from bot.channels.whatsapp.links import qr_png, wa_me_link
from bot.channels.whatsapp.window import InboundTimes, needs_template
from tests.test_architecture import IMPORTS


def _choices(n: int, title: str = "Pilihan") -> list[Choice]:
    return [Choice(f"c{i}", f"{title} {i}") for i in range(1, n + 1)]


@pytest.mark.parametrize(("n", "style"), [(1, Style.BUTTONS), (3, Style.BUTTONS), (4, Style.LIST),
                                           (10, Style.LIST), (11, Style.NUMBERED), (25, Style.NUMBERED)])
def test_choices_become_buttons_then_a_list_then_numbered_text(n, style):
    shown = render_choices("Pilih satu", _choices(n), WHATSAPP)
    assert shown.style is style
    assert [c.id for c in shown.choices] == [f"c{i}" for i in range(1, n + 1)]
    if style is Style.NUMBERED:
        assert shown.body.splitlines()[-1] == f"{n}. Pilihan {n}"


def test_telegram_keeps_every_choice_as_a_button():
    shown = render_choices("Pilih", _choices(12, "Judul yang panjang sekali untuk WhatsApp"), TELEGRAM)
    assert shown.style is Style.BUTTONS and len(shown.choices) == 12
    assert shown.choices[0].title == "Judul yang panjang sekali untuk WhatsApp 1"


def test_long_titles_go_to_a_list_cut_to_24_code_points_with_the_full_title_in_the_description():
    choices = [Choice("a", "Bayi menyusu kuat sepanjang hari"), Choice("b", "Bayi menyusu lemah sepanjang hari")]
    shown = render_choices("Bagaimana bayi menyusu?", choices, WHATSAPP)
    assert shown.style is Style.LIST
    assert all(len(c.title) <= 24 for c in shown.choices)
    assert shown.choices[0].title.endswith("…")
    assert shown.choices[0].description == "Bayi menyusu kuat sepanjang hari"
    assert len({c.title for c in shown.choices}) == 2


def test_titles_that_collide_once_cut_are_made_unique_within_the_limit():
    same = "Sesi pijat pagi hari di rumah ibu"  # cut to the same 24 code points
    choices = [Choice(f"s{i}", same + f" nomor {i}") for i in range(5)]
    shown = render_choices("Pilih sesi", choices, WHATSAPP)
    titles = [c.title for c in shown.choices]
    assert len(set(titles)) == 5 and all(len(t) <= 24 for t in titles)


def test_lengths_are_counted_in_code_points():
    emoji = "🤱" * 20  # 20 code points, 80 UTF-8 bytes
    shown = render_choices("Pilih", [Choice("x", emoji), Choice("y", "Tidak")], WHATSAPP)
    assert shown.style is Style.BUTTONS and shown.choices[0].title == emoji
    shown = render_choices("Pilih", [Choice("x", emoji + "🤱"), Choice("y", "Tidak")], WHATSAPP)
    assert shown.style is Style.LIST  # 21 code points do not fit a button


def test_choice_ids_must_be_unique_and_a_body_too_long_is_refused():
    with pytest.raises(ValueError, match="unique"):
        render_choices("Pilih", [Choice("a", "Ya"), Choice("a", "Tidak")], WHATSAPP)
    with pytest.raises(TooLong):
        render_choices("x" * 1025, _choices(2), WHATSAPP)
    assert render_choices("x" * 1024, _choices(2), WHATSAPP).style is Style.BUTTONS


def test_typed_numbers_and_titles_are_accepted_back_whatever_was_shown():
    choices = _choices(12) + [Choice("long", "Bayi menyusu kuat sepanjang hari")]
    shown = render_choices("Pilih", choices, WHATSAPP)
    assert choice_from_text("3", choices) is choices[2]
    assert choice_from_text(" 12. ", choices) is choices[11]
    assert choice_from_text("no 13", choices).id == "long"
    assert choice_from_text("14", choices) is None and choice_from_text("0", choices) is None
    assert choice_from_text("PILIHAN 7!", choices) is choices[6]
    assert choice_from_text("bayi menyusu kuat", choices).id == "long"  # an unambiguous start
    assert choice_from_text("pil", choices) is None  # ambiguous
    assert choice_from_text("entah", choices) is None
    listed = render_choices("Pilih", choices[-2:], WHATSAPP)
    assert choice_from_text(listed.choices[1].title, choices[-2:], listed).id == "long"  # the cut title
    assert shown.style is Style.NUMBERED


def test_wire_bodies_for_buttons_list_template_and_media():
    two = OutgoingMessage("Sudah pijat?", choices=(Choice("yes", "Sudah"), Choice("no", "Belum")))
    body = wire.message_body("628111", two)
    assert body["type"] == "interactive" and body["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]] == ["yes", "no"]
    many = OutgoingMessage("Pilih hari", choices=tuple(_choices(5)), list_button="Pilih")
    body = wire.message_body("628111", many)
    assert body["interactive"]["type"] == "list"
    assert len(body["interactive"]["action"]["sections"][0]["rows"]) == 5
    with pytest.raises(ValueError, match="list_button"):
        wire.message_body("628111", OutgoingMessage("Pilih", choices=tuple(_choices(5))))
    t = wire.message_body("628111", OutgoingMessage(template=Template("pengingat", "id", ("Siti",), ("wa_go",))))
    comps = t["template"]["components"]
    assert t["template"]["language"] == {"code": "id"}
    assert comps[0]["parameters"] == [{"type": "text", "text": "Siti"}]
    assert comps[1] == {"type": "button", "sub_type": "quick_reply", "index": "0",
                        "parameters": [{"type": "payload", "payload": "wa_go"}]}
    audio = wire.message_body("628111", OutgoingMessage("x", media=Media(MediaKind.AUDIO, media_id="m1")))
    assert audio["audio"] == {"id": "m1"}  # audio carries no caption
    with pytest.raises(ValueError):
        OutgoingMessage("x", choices=(Choice("a", "A"),), template=Template("t", "id"))
    with pytest.raises(ValueError, match="question"):
        OutgoingMessage(choices=(Choice("a", "A"),))


def test_wa_me_link_percent_encodes_the_text_with_space_as_percent_20():
    link = wa_me_link("+62 811-2345-678", "DAFTAR PKM123 & ibu/bayi?")
    assert link.startswith("https://wa.me/628112345678?text=")
    encoded = link.split("=", 1)[1]
    assert "%20" in encoded and "+" not in encoded and " " not in encoded and "&" not in encoded
    assert unquote(encoded) == "DAFTAR PKM123 & ibu/bayi?"
    assert wa_me_link("628112345678") == "https://wa.me/628112345678"
    with pytest.raises(ValueError):
        wa_me_link("0811abc", "x")
    png = qr_png(link)
    assert png.startswith(b"\x89PNG") and len(png) > 200


def test_the_window_rule():
    last = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert not needs_template(last + timedelta(hours=23, minutes=59), last)
    assert needs_template(last + timedelta(hours=24), last)
    assert needs_template(last, None)
    times = InboundTimes()
    times.saw("628111", last)
    times.saw("628111", last - timedelta(hours=3))  # an older message arriving late does not move it back
    assert times.last("628111") == last
    assert times.needs_template("628111", last + timedelta(hours=25))


def test_config_reads_the_variables_and_refuses_half_of_them():
    env = {"WHATSAPP_TOKEN": "tok-SECRET1", "WHATSAPP_PHONE_NUMBER_ID": "123", "WHATSAPP_APP_SECRET": "app-SECRET2",
           "WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_NUMBER": "+62 811 1111", "WHATSAPP_API_URL": "http://x/v23.0/"}
    config = whatsapp_config(env)
    assert config.messages_url == "http://x/v23.0/123/messages" and config.number == "628111111"
    assert "SECRET" not in repr(config) and "SECRET" not in str(config)
    assert whatsapp_config({}) is None
    with pytest.raises(WhatsAppConfigError, match="WHATSAPP_APP_SECRET"):
        whatsapp_config({k: v for k, v in env.items() if k != "WHATSAPP_APP_SECRET"})


def test_the_channel_layer_imports_no_handler_flow_telegram_or_devtools_module():
    above = ("bot.handlers", "bot.flows", "bot.web", "bot.commands", "bot.devtools", "bot.reminders", "bot.export",
             "bot.chat", "bot.core.app", "bot.core.turn", "telegram")
    found = [str(i) for i in IMPORTS if i.source.startswith("bot.channels")
             and any(i.target == room or i.target.startswith(room + ".") for room in above)]
    assert any(i.source == "bot.channels.whatsapp.webhook" for i in IMPORTS)  # the rule sees the package
    assert found == []


def test_telegram_only_intents_have_a_whatsapp_fallback_and_stay_native_on_telegram():
    assert all(how_to(intent, TELEGRAM) is Fallback.NATIVE for intent in Intent)
    assert {intent: how_to(intent, WHATSAPP) for intent in Intent} == {
        Intent.EDIT: Fallback.SEND_NEW, Intent.POPUP: Fallback.SEND_TEXT, Intent.CONTACT_BUTTON: Fallback.ASK_TYPED,
        Intent.WEB_APP: Fallback.NOT_OFFERED, Intent.DEEP_LINK: Fallback.PREFILLED_TEXT,
        Intent.SLASH_COMMAND: Fallback.KEYWORD}


def test_when_titles_are_numbers_a_typed_number_is_the_title_not_a_position():
    scores = [Choice(f"s{v}", str(v)) for v in range(0, 13)]  # 13 choices: numbered text on WhatsApp
    shown = render_choices("Berapa kali bayi menyusu?", scores, WHATSAPP)
    assert shown.style is Style.NUMBERED and "• 0" in shown.body and "1. 0" not in shown.body
    assert choice_from_text("1", scores).id == "s1"
    assert choice_from_text("12", scores).id == "s12"
    assert choice_from_text("13", scores) is None
