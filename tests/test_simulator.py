"""`python -m bot simulate` driven through a pipe, as a newcomer (or a script) would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _simulate(lines: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--database-url", f"sqlite:///{tmp_path / 'sim.db'}"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )


def test_simulator_chats_presses_buttons_switches_people_and_moves_the_clock(tmp_path):
    proc = _simulate(["/start", "2", ":suami", "/start", ":clock +2h", ":bantuan", ":keluar"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Selamat datang" in out
    assert "[1] Baca privasi\n  [2] Setuju  [3] Tidak setuju" in out
    assert "Pak Budi> /start" in out  # switched person
    assert "Jam simulasi:" in out
    assert ":clock +1d" in out  # the help was printed
    assert "Sampai jumpa" in out
    assert "Traceback" not in proc.stderr


def test_simulator_ends_cleanly_at_end_of_input_and_rejects_a_bad_button(tmp_path):
    proc = _simulate(["/start", "9", ":clock soon", ":apa"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Tidak ada tombol nomor 9" in proc.stdout
    assert "Format jam" in proc.stdout
    assert "Perintah simulator tidak dikenal" in proc.stdout


def test_a_midwife_with_an_alert_sees_its_link_button_and_pressing_it_shows_the_link(tmp_path):
    """An alert carries a link button ("💬 Chat pelapor": it opens the reporter's chat): switching to the
    midwife lists it, and pressing it shows where it goes instead of ending the simulation."""
    seeded = _simulate([":demo", ":bidan", "/qr", ":keluar"], tmp_path)
    payload = seeded.stdout.split("?start=", 1)[1].split()[0]
    proc = _simulate([f"/start {payload}", "#2", "#1", "#1", "Siti", "#2", "#2", "#1",
                      "bayi saya kejang2 dari tadi", ":bidan", "#3", ":keluar"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "🚨 TANDA BAHAYA" in proc.stdout and "Traceback" not in proc.stderr
    assert "[3] 💬 Chat pelapor" in proc.stdout
    assert "(tombol «💬 Chat pelapor» membuka tautan: tg://user?id=" in proc.stdout


def test_a_kept_database_continues_in_the_next_simulation(tmp_path):
    first = _simulate(["/start", "2", ":keluar"], tmp_path)
    assert first.returncode == 0, first.stderr
    second = _simulate(["/start", ":keluar"], tmp_path)  # same database file, a new fake Telegram
    assert second.returncode == 0, second.stderr
    # The bot answers (update ids of the new fake do not collide with the ones already handled) and carries on
    # where she stopped: the research-consent question after "Setuju".
    after_start = second.stdout.split("Ibu Siti> /start", 1)[1]
    assert "🤖 → Ibu Siti" in after_start and "penelitian" in after_start, second.stdout


# -- honesty: what is printed is what a phone would show --------------------------------------------------

async def test_the_simulator_shows_the_guide_as_a_phone_would(bot, db, clock, fake_tg, tmp_path):
    import io
    from datetime import date

    from bot.devtools.simulator import Simulator
    from bot.flows.schedule import reschedule_family
    from tests.test_reminders_support import make_family

    fake_tg.clock = clock
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=date(2026, 11, 19), tz="Asia/Makassar",
                          members=[(1001, "mother"), (1002, "husband")])
        reschedule_family(s, fid, now=clock.now(), settings=bot.settings)
    out = io.StringIO()
    sim = Simulator(bot, clock, out=out, files_dir=tmp_path)

    def printed() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    await sim.handle(":suami")
    await sim.handle("/pijat")
    skip = [n for n, (_, label, _) in enumerate(sim.buttons, 1) if label == "Lewati, mulai pijat"]
    if skip:  # the "before" checklist is offered first
        await sim.handle(f"#{skip[0]}")
    check = printed()
    assert "WITA]" in check  # the family's time zone, not Jakarta's
    none = next(n for n, (_, label, _) in enumerate(sim.buttons, 1) if label == "✅ Semua tidak ada")
    await sim.handle(f"#{none}")
    for _ in range(5):
        await sim.handle("#1")  # "Lanjut ▶"
    cards = printed()
    assert "[video gerakan, diputar berulang]" in cards and "Sesudah pijat (6 dari 6)" in cards
    await sim.handle("#1")  # "Mulai pijat ▶"
    printed()
    await sim.handle(":clock +1m")
    minute = printed()
    assert minute.count("🤖 → Pak Budi") == 3  # a cue at 20 s, 40 s and 60 s, each at its second
    assert ":20 WITA]" in minute and ":40 WITA]" in minute and "Turun sedikit" in minute
    assert minute.count("[1] ⏹ Berhenti") == 3  # each cue can be stopped where he looks
    assert "Lanjut" not in minute  # old buttons are not printed again under the new messages
    await sim.handle(":clock +2m")
    assert "🔔 Selesai" in printed()

    # A typed number is an answer when the question asks for a number, not a button press.
    await sim.handle(":ibu")
    await sim.handle("/ceklis")
    printed()
    await sim.handle("8")
    assert "Pertanyaan 2 dari 6" in printed()
    # A button's pop-up answer is printed.
    await sim.handle(":clock +1d")
    printed()
    snooze = next(n for n, (_, label, _) in enumerate(sim.buttons, 1) if label == "Ingatkan 30 menit lagi")
    await sim.handle(f"#{snooze}")
    assert "(jawaban tombol)" in printed()
