"""What a family reads after a checklist, from the outside (issue 24 items 5 and 6, issue 26 item 7): the real
Application over the fake Bot API, mothers registering through a facility's link, the clock injected.

- bayi6 has no effect built in for families: a textbook-normal day-1 baby reads "sesuai untuk hari pertama",
  never "tidak lancar"; the measurement stores both classes (the instrument's and the day norm's).
- Blinding (seed protocols): no score, class or earlier result until the study's last measurement; then words
  first, and the earlier result.
- Scores speak one language: on skala3 (lower is better) the words say better/worse and the direction of the
  score is named.
- No message of the guide promises an outcome.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import cli
from content import get_content
from storage.models import Facility, Family, Measurement
from tests.test_study_design_e2e import register_through
from tests.test_windows_e2e import _row_id

WIB = ZoneInfo("Asia/Jakarta")
# A textbook-normal baby on day 1 (HSE, IDAI): one wet nappy, concentrated urine, one sticky black meconium
# stool, 16 hours of sleep. bayi6 scores it 1 of 6 ("Tidak lancar").
NORMAL_DAY1 = ["1", "Kuning tua atau pekat", "1", "Hitam kehijauan (mekonium)",
               "Kental dan lengket seperti ter (mekonium)", "16"]
ESTABLISHED = ["7", "Bening atau kuning muda", "4", "Kuning", "Lembek atau agak encer, kadang berbiji", "15"]


async def fill(user, answers: list[str]) -> str:
    for answer in answers:
        if answer in (user.last_reply.button_labels or []):
            await user.press(answer)
        else:
            await user.send(answer)
    return user.last_reply.text


async def facility_mother(db, fake_tg, monkeypatch, protocol_id: str, user_id: int):
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", f"Puskesmas {protocol_id}", "--protocol", protocol_id]) == 0
    with db.session() as s:
        facility = s.exec(select(Facility).where(Facility.name == f"Puskesmas {protocol_id}")).one()
    mother = fake_tg.user(user_id=user_id, first_name="Ani")
    await register_through(mother, facility.registration_code, "Ani", research=True)
    await mother.press("Lewati semua")
    with db.session() as s:
        fam = s.exec(select(Family).where(Family.facility_id == facility.id)).one()
    return mother, fam.id, fam.birth_date


def at(birth, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(birth + timedelta(days=day), time(hh, mm), tzinfo=WIB)


async def test_a_normal_day_one_reads_its_day_norm_not_tidak_lancar(bot, db, clock, fake_tg, monkeypatch, capsys,
                                                                     tmp_path):
    fake_tg.clock = clock
    mother, fid, birth = await facility_mother(db, fake_tg, monkeypatch, "default", 5400)
    clock.set(at(birth, 1, 7))
    await mother.send("/ceklis")
    summary = await fill(mother, NORMAL_DAY1)
    assert "Hasil: sesuai untuk hari pertama" in summary, summary
    assert "tidak lancar" not in summary.lower() and "Skor" not in summary
    assert "sekitar hari ke-3" in summary  # the full signs come once the milk comes in
    with db.session() as s:
        m = s.exec(select(Measurement).where(Measurement.family_id == fid)).one()
        assert (m.score, m.class_key, m.norm_class) == (1, "tidak_lancar", "sesuai_hari")  # both stored
        facility_code = s.exec(select(Facility).where(Facility.name == "Puskesmas default")).one().code
    # The report gives both classifications and names the physiology.
    capsys.readouterr()
    assert cli.main(["analyze", "--protocol", "default", "--facility", facility_code, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    pre = next(r for r in out["day_norm"] if r["occasion"] == "pre")
    assert pre["n"] == 1 and pre["instrument"] == {"lancar": 0, "tidak_lancar": 1}
    assert pre["day_norm"] == {"sesuai_hari": 1, "di_bawah_hari": 0}
    warnings = {w["code"]: w["text"] for w in out["protocol_warnings"]}
    assert "72 jam" in warnings["day_norm_effect"] and "not_blinded" in warnings and "self_report" in warnings
    # The wide file carries both classes too, so a supervisor recounts the report's day-norm table from it.
    out_zip = tmp_path / "export.zip"
    assert cli.main(["export", "--format", "csv", "--codes", "--out", str(out_zip), "--csv-dialect", "plain"]) == 0
    with zipfile.ZipFile(out_zip) as z:
        [wide] = [n for n in z.namelist() if "default_v" in n]
        rows = list(csv.DictReader(io.StringIO(z.read(wide).decode("utf-8-sig"))))
        codebook = z.read("dictionary.csv").decode("utf-8-sig")
    assert [(r["pre"], r["pre_class"], r["pre_norm_class"]) for r in rows] == [("1", "tidak_lancar", "sesuai_hari")]
    assert "pre_norm_class" in codebook and "day_norms.yaml" in codebook


async def test_blinded_until_the_last_measurement_then_words_first(bot, db, clock, fake_tg, monkeypatch):
    fake_tg.clock = clock
    content = get_content()
    assert content.protocols["seed000"].blinded
    mother, fid, birth = await facility_mother(db, fake_tg, monkeypatch, "seed000", 5500)
    clock.set(at(birth, 1, 7))
    await mother.send("/ceklis")
    first = await fill(mother, NORMAL_DAY1)
    assert content.text("checklist.blinded") in first
    for hidden in ("Hasil", "Skor", "skor", "lancar", "sesuai untuk"):
        assert hidden not in first, hidden
    # Day 3: the day's massage is logged, then the last measurement: now the result, and the earlier one.
    protocol = content.protocols["seed000"]
    for n in range(1, protocol.sessions_per_day + 1):
        clock.set(max(clock.now(), at(birth, 3, 20)) + timedelta(minutes=n))
        await mother.press_data(f"rem:done:{_row_id(db, fid, 3, n)}")
    clock.set(at(birth, 3, 21))
    await mother.send("/ceklis")
    last = await fill(mother, ESTABLISHED)
    assert content.text("checklist.blinded") not in last
    assert "Hasil: sesuai untuk hari ketiga" in last and "Sebelum pijat: sesuai untuk hari pertama." in last
    for message in (first, last):
        assert len(message) <= 600 and message.count("\n") < 10  # the style rule, on the assembled message


async def test_lower_is_better_reads_better_and_names_the_direction(bot, db, clock, fake_tg, monkeypatch):
    fake_tg.clock = clock
    content = get_content()
    inst = content.instruments["skala3"]
    assert not inst.higher_is_better
    mother, fid, birth = await facility_mother(db, fake_tg, monkeypatch, "seed001", 5600)
    clock.set(at(birth, 3, 7))
    await mother.send("/ceklis")
    worst = inst.items[0].choices[-1].label  # "Kurang lancar: ..." (score 2)
    pre = await fill(mother, [worst])
    assert content.text("checklist.blinded") in pre and "lancar" not in pre.lower()
    for n in (1, 2):
        clock.set(max(clock.now(), at(birth, 3, 8 if n == 1 else 16)) + timedelta(minutes=30))
        await mother.press_data(f"rem:done:{_row_id(db, fid, 3, n)}")
    clock.set(at(birth, 3, 21))
    await mother.send("/ceklis")
    post = await fill(mother, [inst.items[0].choices[0].label])  # "Lancar: ..." (score 0): better
    assert "Hasil: ASI sudah lancar" in post
    assert "makin kecil makin baik" in post and "lebih baik" in post
    assert "naik" not in post.lower() and "turun" not in post.lower()
    assert post.index("Hasil:") < post.index("skor")  # words first
    assert len(post) <= 600 and post.count("\n") < 10


def test_no_message_of_the_guide_promises_an_outcome():
    content = get_content()
    promises = ("lebih mudah keluar", "lebih lancar", "membantu asi keluar", "membantu asi mengalir")
    texts = [card.text for card in content.guide.cards] + [content.guide.reminder_text]
    texts += [step.text for phase in content.sop.phases for step in phase.steps]
    texts += [content.texts[k] for k in content.texts if k.startswith(("reminders_ui.massage", "guide.", "session."))]
    texts += [e.text for e in content.education.values()]
    for text in texts:
        assert not any(p in text.lower() for p in promises), text


def _colour_pixels(path, hex_colour: str) -> int:
    from PIL import Image

    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    img = Image.open(path).convert("RGB")
    data = img.tobytes()  # R, G, B bytes per pixel (Image.getdata is deprecated in Pillow 12)
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for px in pixels if all(abs(a - b) <= 6 for a, b in zip(px, target, strict=True)))


def test_the_chart_colours_follow_the_scale_s_direction(tmp_path):
    """seed 001's scale: lower is better. Falling scores are drawn in the "better" colour and the axis says so."""
    from analysis import analyze_pairs, draw_chart
    from analysis.chart import COLOURS
    from analysis.conclusion import Scale
    from bot.commands.analyze import labels

    falling = [(f"F{i}", 2, 0) for i in range(6)] + [("F9", 1, 0)]
    lower = analyze_pairs(falling, scale=Scale(higher_is_better=False, ordinal=True))
    higher = analyze_pairs(falling, scale=Scale(higher_is_better=True, ordinal=True))
    a = draw_chart(lower, tmp_path / "lower.png", labels())
    b = draw_chart(higher, tmp_path / "higher.png", labels())
    # Only the legend's swatch carries the other colour: the participants' points are many more pixels.
    assert _colour_pixels(a, COLOURS["better"]) > 2 * _colour_pixels(a, COLOURS["worse"])
    assert _colour_pixels(b, COLOURS["worse"]) > 2 * _colour_pixels(b, COLOURS["better"])
    assert labels()("chart.y_label_lower") == "Skor (makin kecil makin baik)"
