"""``content.check.summary`` and the ``python -m bot content check`` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from content.check import summary
from content.loader import CONTENT_DIR

REPO = Path(__file__).resolve().parents[1]


def test_summary_lists_phases_instruments_signs_protocols() -> None:
    lines = summary()
    text = "\n".join(lines)
    assert lines[0].startswith("Content OK")
    for phase in ("pra_interaksi", "orientasi", "kerja", "terminasi"):
        assert f"  {phase}: " in text
    assert "bayi6 v1: 6 items" in text
    assert "oksitosin16 v1: 16 items" in text
    assert "skala3 v1: 1 item," in text
    assert "Danger signs: " in text and "bayi_kejang" in text
    for p in ("default", "seed000", "seed001", "seed002", "seed003"):
        assert f"  {p}: " in text
    assert "    1. minta_izin [seed002, seed001]" in text  # each step names its sources
    assert not [line for line in lines if line.startswith("warning:")]


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


def test_summary_warns_about_unused_pictures(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.copy(root / "images" / "posisi.png", root / "images" / "lama.png")
    assert "warning: images/lama.png is not used by any step" in summary(root)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "content", "check", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_command_passes_on_the_real_content() -> None:
    pytest.importorskip("bot.cli")
    result = _run()
    assert result.returncode == 0, result.stderr
    assert "bayi6 v1: 6 items" in result.stdout
    assert "Protocols: 5" in result.stdout


def test_command_fails_with_file_key_and_problem(tmp_path: Path) -> None:
    pytest.importorskip("bot.cli")
    root = _copy(tmp_path)
    (root / "images" / "arah_gerakan.png").unlink()
    result = _run("--root", str(root))
    assert result.returncode == 1
    assert "sop.yaml: phases[2].steps[5].image: image file images/arah_gerakan.png is missing" in result.stderr
