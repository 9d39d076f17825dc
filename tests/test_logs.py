import logging

from bot.core.logs import REDACTED, add_secret, redact

TOKEN = "987654:SECRET-token_value-xyz"


def test_token_is_redacted_in_messages_args_and_tracebacks(caplog):
    add_secret(TOKEN)
    log = logging.getLogger("test.redaction")
    with caplog.at_level(logging.DEBUG):
        log.debug("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        log.info("url object: %r", {"url": f"https://x/bot{TOKEN}/sendMessage"})
        try:
            raise RuntimeError(f"boom with {TOKEN}")
        except RuntimeError:
            log.exception("failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in text
    assert TOKEN.split(":")[1] not in text
    assert REDACTED in text
    assert "boom with" in caplog.text


def test_redact_leaves_other_text_alone():
    add_secret(TOKEN)
    assert redact("nothing secret here") == "nothing secret here"
