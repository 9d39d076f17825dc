"""The facility's export as one file, audited: shared by /export (bot/handlers/midwife.py) and the dashboard's
export buttons (bot/web/server.py), so both hand out the same file with the same audit row."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.export import exporting, present
from bot.flows import study_data
from storage import audit, facilities
from storage.db import reading
from storage.models import Staff


def export_document(session, content, staff: Staff, *, fmt: str, with_names: bool, now: datetime,
                    actor: str = "telegram", codes: bool = False, apart: bool = False) -> tuple[bytes, str, str] | str:
    """The facility's export as (file bytes, file name, caption), audited; or the sentence saying why not.

    Shared by /export and the dashboard's export buttons. In words (bot/export/present.py) unless ``codes``
    (``/export csv kode``: the stored codes, explained in the codebook). ``apart`` (the dashboard, outside a
    chat's turn): read without holding SQLite's write lock (storage.db.reading), then commit before the audit."""
    if apart:
        session.commit()  # whatever came before is done: the reads begin a transaction of their own
    with reading() if apart else nullcontext():
        facility = facilities.get(session, staff.facility_id)
        families = study_data.count_families(session, staff.facility_id)
        if families == 0:
            return content.text("export.empty", fasilitas=facility.name)
        names = facilities.names_by_code(session)
        data, counts = exporting.export_bytes(
            session, content, staff.facility_id, fmt=fmt, with_names=with_names, words=not codes,
            present=None if codes else lambda sheets: present.in_words(sheets, content, facility_names=names))
    if apart:
        session.commit()  # the reads end here; the audit row is a short write of its own
    rows = exporting.data_rows(counts)
    audit.record(session, action="export", now=now, actor=actor, actor_user_id=staff.user_id,
                 facility_id=staff.facility_id, rows=rows,
                 detail={"format": fmt, "with_names": with_names, "families": families, "sheets": counts,
                         **({"codes": True} if codes else {})})
    stamp = now.astimezone(ZoneInfo(facility.timezone)).strftime("%Y%m%d-%H%M")
    suffix = ("-nama" if with_names else "") + ("-kode" if codes else "")
    kind = {"csv": "zip", "sav": "spss.zip"}.get(fmt, "xlsx")
    filename = f"pijat-oksitosin-{facility.code}-{stamp}{suffix}.{kind}"
    caption_key = "export.file_caption_names" if with_names else "export.file_caption"
    return data, filename, content.text(caption_key, fasilitas=facility.name, keluarga=families, baris=rows)
