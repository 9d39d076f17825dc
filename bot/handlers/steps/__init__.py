"""The conversation's steps: the screens one part of the conversation opens in another.

A handler module (bot/handlers/*.py, registered by bot/core/app.py) holds the entry points Telegram calls for
its part: commands, buttons, the text of its flows, deep links. When /start must open the registration, /lanjut
a half-done checklist, or the end of a massage the "after" checklist, that screen lives here, and both import it.
So handler modules import only this layer (and bot/handlers/context.py), never each other; a module here
imports only lower modules here, context.py, and the rooms below (chat/, core/, flows/, export/, storage/,
content/, analysis/). Nothing here registers a handler. tests/test_architecture.py checks all of it.

From the bottom up (a module imports only those before it):

- main_menu, danger_advice, phone_question, staff, family_message, family_view, join, registration_questions,
  checklist_due, table1_offer, midwife_message: nothing of this layer;
- ask_offer: names only; checklist → checklist_due, danger_advice; pre_checklist → checklist_due;
  interrupt → danger_advice; facility_link → family_message;
  analysis → staff;
- welcome → join, registration_questions, facility_link, main_menu; massage → pre_checklist, checklist_due.
"""
