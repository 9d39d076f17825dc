"""Build the python-telegram-bot Application: handlers, rate limiter, error handler, start-up work."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from bot.core.chat_privacy import GuardedBot, refuse_non_private_buttons
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.health import schedule_heartbeat
from bot.core.logs import add_secret
from bot.core.runtime import RUNTIME_KEY, Runtime, get_runtime
from bot.core.services import SERVICES_KEY, Service
from bot.core.spool import schedule_replay
from bot.core.telegram_http import AiohttpRequest
from bot.core.update_record import (  # noqa: F401 - proves_reachable, reachable_again: also app's names
    RECORDED,
    proves_reachable,
    reachable_again,
    record_update,
    update_recorded,
)
from bot.core.updates import PerChatUpdateProcessor
from bot.handlers import handler_modules
from bot.handlers.context import reader_of
from content import Content, get_content
from storage import meta
from storage.db import Database

log = logging.getLogger(__name__)

# The commands shown in Telegram's menu, with their description keys in content/texts/help.yaml.
MENU_COMMANDS = ("menu", "pijat", "ceklis", "tanya", "jadwal", "bantuan", "lanjut", "berhenti", "privasi", "hapus")


async def drop_duplicate_updates(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: edited messages are ignored. (The duplicate check itself is part of the
    turn's own transaction, bot/core/turn.py; :func:`record_unhandled_update` covers updates no turn takes.)"""
    from telegram.ext import ApplicationHandlerStop

    if not isinstance(update, Update):
        return
    if update.edited_message is not None or update.edited_channel_post is not None:
        # A changed message is not a new answer: ignored on purpose, so editing an old message into
        # "/hapus" or a different number never acts twice or rewrites a stored answer.
        log.debug("ignoring edited message in update %s", update.update_id)
        raise ApplicationHandlerStop


# The bot object's token in a process without Telegram (never sent anywhere: every call is routed elsewhere).
NO_TELEGRAM_TOKEN = "0:no-telegram"

# The group of record_unhandled_update: after every handler group.
LAST_GROUP = 1000


async def record_unhandled_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs after the handlers: an update no turn handled (unblocking the bot, say) is recorded in a
    transaction of its own, and may still show that a person can be reached again."""
    if not isinstance(update, Update) or update_recorded(context):
        return
    setattr(context, RECORDED, True)
    rt = get_runtime(context)

    def record() -> None:
        with rt.db.session() as session:
            record_update(session, rt, update)

    try:
        await rt.run_sync(record)
    except Exception:
        log.exception("could not record update %s", update.update_id)


_proves_reachable = proves_reachable  # the names app.py always had (bot/core/update_record.py holds them)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last line of defence: log once with context, and answer the person if we can."""
    log.error("unhandled error for update %s", getattr(update, "update_id", None), exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None and update.effective_chat.type == "private":
        try:
            text = get_runtime(context).content.text("common.error_try_again")
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            else:
                await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError:
            pass


def busy_notice(app: Application):
    """What a chat whose queue is full is told, once per burst (bot/core/updates.py drops the surplus)."""

    async def notify(update: object) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or chat.type != "private":
            return
        try:
            await app.bot.send_text(chat.id, get_runtime(app).content.text("common.busy_wait"))
        except TelegramError as exc:
            log.warning("could not ask chat %s to wait: %s", chat.id, type(exc).__name__)

    return notify


async def post_init(app: Application) -> None:
    """Learn the bot's username, store it for offline tools, and publish the command menu."""
    rt = get_runtime(app)
    try:
        me = await app.bot.get_me()
        rt.bot_username = me.username
        with rt.db.session() as session:
            meta.put(session, meta.BOT_USERNAME, me.username or "")
    except TelegramError as exc:
        log.warning("could not learn the bot's username: %s", exc)
    commands = [
        BotCommand(name, rt.content.text(f"help.command_{name}"))
        for name in MENU_COMMANDS
        if rt.content.has_text(f"help.command_{name}")
    ]
    if commands:
        try:
            await app.bot.set_my_commands(commands)
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)
    for service in app.bot_data.get(SERVICES_KEY, ()):  # the midwife's dashboard, when the run command gave it
        await service.start(app)


async def post_shutdown(app: Application) -> None:
    """After the last update: the services stop (the dashboard), and the database threads are done; stop them."""
    for service in reversed(app.bot_data.get(SERVICES_KEY, ())):
        await service.stop(app)
    get_runtime(app).close()


def build_application(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    content: Content | None = None,
    update_processor: BaseUpdateProcessor | None = None,
    rate_limiter: bool | None = None,
    services: Sequence[Service] = (),
    telegram: bool = True,
) -> Application:
    """The bot, ready to ``initialize``/``start`` (or ``run_polling``/``run_webhook``); ``services`` run next to
    it (bot/core/services.py: the run command passes the dashboard). ``telegram=False``: no Telegram token; the
    bot object then needs a router for every call (WhatsApp only: bot/bridge/service.py) before ``initialize``."""
    token = settings.require_token() if telegram else (settings.token or NO_TELEGRAM_TOKEN)
    add_secret(token)  # whatever logs, wherever: never the token
    add_secret(settings.webhook_secret)
    runtime = Runtime(
        settings=settings,
        db=db or Database(settings.database_url),
        content=content or get_content(),
        clock=clock or SystemClock(),
        reader=reader_of,
    )
    use_limiter = settings.rate_limit if rate_limiter is None else rate_limiter
    # GuardedBot: nothing private into a non-private chat, and getUpdates read update by update (one that
    # cannot be parsed is skipped and counted, never blocking the others): bot/core/chat_privacy.py, bot/core/intake.py.
    guarded = GuardedBot(
        token,
        base_url=settings.api_url,
        base_file_url=settings.api_file_url,
        # aiohttp instead of PTB's httpx: a Bot API call costs about a fifth of the CPU (BENCHMARKS.md).
        request=AiohttpRequest(connect_timeout=10, read_timeout=15, write_timeout=30),
        get_updates_request=AiohttpRequest(connection_pool_size=1, connect_timeout=10, read_timeout=35,
                                           write_timeout=30),
        # PTB's default max_retries=0 raises RetryAfter at once; retry a few times instead.
        # SENDING_PROCESSES: the bot and its workers share the token's 30/s (Settings.process_rate).
        rate_limiter=(AIORateLimiter(overall_max_rate=settings.process_rate, overall_time_period=1, max_retries=3)
                      if use_limiter else None),
    )
    builder: ApplicationBuilder = (
        Application.builder()
        .bot(guarded)
        .concurrent_updates(update_processor or PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    app = builder.build()
    app.bot_data[RUNTIME_KEY] = runtime
    app.bot_data[SERVICES_KEY] = tuple(services)
    processor = app.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        if processor.on_dropped is None:
            processor.on_dropped = busy_notice(app)
        guarded.admit_with(processor.admits)  # a flooding chat's surplus is not even parsed
    app.add_handler(TypeHandler(Update, refuse_non_private_buttons), group=-2)
    app.add_handler(TypeHandler(Update, drop_duplicate_updates), group=-1)
    for module in handler_modules():
        module.register(app)
    app.add_handler(TypeHandler(Update, record_unhandled_update), group=LAST_GROUP)
    app.add_error_handler(on_error)
    schedule_heartbeat(app)
    schedule_replay(app)  # danger reports kept while the database was down (bot/core/spool.py)
    return app
