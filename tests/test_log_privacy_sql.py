"""A database error never carries a family's words into the log: SQLAlchemy's ``[parameters: …]``, the literals of
its ``[SQL: …]`` and the driver's DETAIL are hidden at every level (bot/core/log_privacy.py, storage/db.py)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from bot.core.log_privacy import HIDDEN, sql_hidden
from tests.test_midwife_desk import consent
from tests.test_midwife_support import MOTHER, two_facilities

SECRET = "Siti Rahayu 0812 rahasia: ASI saya berdarah"


def _refuse_question_inserts(db) -> None:
    with db.engine.begin() as conn:
        if db.url.startswith("sqlite"):
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON questions "
                              "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        else:
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON questions FOR EACH ROW "
                              "EXECUTE FUNCTION refuse()"))


async def test_a_failed_insert_of_a_question_logs_no_word_of_it(bot, db, clock, mother, midwife, caplog):
    caplog.set_level(logging.DEBUG)
    two_facilities(db, clock.now(), a_extra=0, b_count=0)
    consent(db, clock, MOTHER)
    _refuse_question_inserts(db)
    await mother.send(f"/tanya {SECRET}")
    failed = [r for r in caplog.records if r.exc_info and "failed" in r.getMessage()]
    assert failed, "the insert did not fail"
    assert "refused" in (failed[0].exc_text or "")
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    for word in ("Rahayu", "rahasia", "berdarah"):
        assert word not in logged
    assert SECRET not in midwife.text_log()


def test_parameters_and_literals_are_hidden_even_from_an_engine_that_shows_them(caplog, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")  # no hide_parameters: the log must hide them itself
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, words TEXT NOT NULL, UNIQUE (words))"))
        conn.execute(text("INSERT INTO t (words) VALUES (:w)"), {"w": SECRET})
    log = logging.getLogger("bot.test_sql")
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text("INSERT INTO t (words) VALUES (:w)"), {"w": SECRET})
    assert SECRET in str(caught.value)  # what SQLAlchemy would have printed
    with caplog.at_level(logging.INFO):
        log.exception("insert failed")
        log.warning("insert failed: %s", caught.value)
        logging.getLogger("sqlalchemy.engine").error("failed: %s", caught.value)
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "Rahayu" not in logged and "rahasia" not in logged
    assert f"[parameters: {HIDDEN}]" in logged


def test_sql_hidden_keeps_the_statement_and_drops_the_values():
    raw = ("(psycopg.errors.UniqueViolation) duplicate key value\nDETAIL:  Key (text)=(Siti berdarah) already "
           "exists.\n[SQL: INSERT INTO q (text, n) VALUES (%(text)s, 'Siti')\nRETURNING q.id]\n"
           "[parameters: {'text': 'Siti berdarah', 'n': 1}]\n(Background on this error at: https://sqlalche.me/e/20/gkpj)")
    out = sql_hidden(raw)
    assert "Siti" not in out and "berdarah" not in out
    assert "INSERT INTO q (text, n) VALUES (%(text)s," in out and "RETURNING q.id" in out
    assert "Background on this error" in out and out.count(HIDDEN) == 3
    assert sql_hidden("nothing to hide here") == "nothing to hide here"
