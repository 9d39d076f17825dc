"""``python -m bot simulate --channel whatsapp``: a family registers on the fake Cloud API from the terminal."""

from __future__ import annotations

import io

from bot.devtools.wa_simulator import simulate_whatsapp


async def test_the_whatsapp_simulator_registers_a_family(sqlite_url):
    lines = ":daftar\n#1\n#2\n#1\n#1\nSiti\n#2\n#1\n#1\n:keluar\n"
    out = io.StringIO()
    assert await simulate_whatsapp(database_url=sqlite_url, stdin=io.StringIO(lines), out=out) == 0
    text = out.getvalue()
    assert "> DAFTAR " in text and "Apakah Ibu/Bapak setuju?" in text
    assert "Pendaftaran selesai" in text, text[-2000:]
