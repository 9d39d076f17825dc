"""The baseline: a bare python-telegram-bot 22 bot, no database, no content, no logic.

``echo`` answers every text message with the same text (one sendMessage per update): the classic echo bot.
``callback`` answers a button press the way our checklist does on Telegram — answerCallbackQuery,
editMessageText, sendMessage — but with nothing in between, so comparing it with our bot isolates the cost of
our own work (database, validation, content) from the cost of the Bot API calls.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Tersimpan")
    await query.edit_message_text(f"Jawaban: {query.data}")
    await context.bot.send_message(query.message.chat.id, "Pertanyaan berikutnya")


def build(token: str, base_url: str, processor: BaseUpdateProcessor | int | bool = True) -> Application:
    app = (
        Application.builder().token(token).base_url(base_url).concurrent_updates(processor).build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(callback))
    return app


if __name__ == "__main__":
    # A bare echo bot in a process of its own (bench/outside.py): token, Bot API base URL and, optionally, how
    # many updates it runs at once (PTB's default: 256).
    import sys

    slots = int(sys.argv[3]) if len(sys.argv) > 3 else True
    build(sys.argv[1], sys.argv[2], slots).run_polling(poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES)
