"""The midwife's dashboard as a Telegram Mini App, served by the bot's own process (``python -m bot run``).

- ``/app/`` — plain HTML/CSS/JS files in ``bot/web/static/`` (no build step), loading Telegram's
  ``telegram-web-app.js`` as Telegram documents.
- ``/app/api/…`` — JSON; every call carries ``Authorization: tma <initData>``, checked by :mod:`bot.web.auth`.
"""
