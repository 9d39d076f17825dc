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


def test_a_kept_database_continues_in_the_next_simulation(tmp_path):
    first = _simulate(["/start", "2", ":keluar"], tmp_path)
    assert first.returncode == 0, first.stderr
    second = _simulate(["/start", ":keluar"], tmp_path)  # same database file, a new fake Telegram
    assert second.returncode == 0, second.stderr
    # The bot answers (update ids of the new fake do not collide with the ones already handled) and carries on
    # where she stopped: the research-consent question after "Setuju".
    after_start = second.stdout.split("Ibu Siti> /start", 1)[1]
    assert "🤖 → Ibu Siti" in after_start and "penelitian" in after_start, second.stdout
