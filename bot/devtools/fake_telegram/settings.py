"""The Bot API methods about the bot itself, which the fake answers from what was set: getMe, the webhook,
the command lists, the menu button and the stored settings (name, descriptions, default rights)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .updates import UpdateQueue
from .wire import Upload, bad_request
from .world import World

Handler = Callable[[dict[str, Any], dict[str, Upload]], Any]

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Setters whose value the fake only stores (getter name, result key).
_STORED_SETTINGS = {
    "setmydescription": ("getmydescription", "description"),
    "setmyshortdescription": ("getmyshortdescription", "short_description"),
    "setmyname": ("getmyname", "name"),
}


class BotSettings:
    """The handlers of the bot's own settings (bot/devtools/fake_telegram/methods.py routes to them)."""

    def __init__(self, world: World, updates: UpdateQueue):
        self.world = world
        self.updates = updates
        self.poll_generation = 0  # a new webhook ends the long polls waiting (getUpdates)

    def handlers(self) -> dict[str, Handler]:
        found: dict[str, Handler] = {
            "getme": self.get_me,
            "logout": self._true,
            "close": self._true,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getchatmenubutton": self.get_chat_menu_button,
        }
        for setter in ("setchatmenubutton", "setmydefaultadministratorrights"):
            found[setter] = self._setting_storer(setter)
        for setter, (getter, _key) in _STORED_SETTINGS.items():
            found[setter] = self._setting_storer(setter)
            found[getter] = self._stored_getter(setter)
        return found

    def _true(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        return True

    def get_me(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        return {
            **self.world.bot_json,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def set_webhook(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        hook = self.world.webhook
        hook.url = url
        hook.secret_token = secret
        if params.get("allowed_updates") is not None:
            hook.allowed_updates = list(params["allowed_updates"])
            self.updates.set_allowed(hook.allowed_updates)
        if params.get("max_connections"):
            hook.max_connections = int(params["max_connections"])
        hook.ip_address = params.get("ip_address")
        if params.get("drop_pending_updates"):
            self.updates.drop_pending("dropped by setWebhook(drop_pending_updates=True)")
        self.poll_generation += 1
        self.updates.wake()
        return True

    def delete_webhook(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        self.world.webhook.url = ""
        self.world.webhook.secret_token = None
        if params.get("drop_pending_updates"):
            self.updates.drop_pending("dropped by deleteWebhook(drop_pending_updates=True)")
        return True

    def get_webhook_info(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        hook = self.world.webhook
        info: dict[str, Any] = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": self.updates.pending_count,
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def set_my_commands(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise bad_request(
                    "command description is empty" if not description else "BOT_COMMAND_INVALID"
                )
        self.world.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def get_my_commands(self, params: dict[str, Any], uploads: dict[str, Upload]) -> list[dict[str, Any]]:
        return list(self.world.commands.get(self._commands_key(params), []))

    def delete_my_commands(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        self.world.commands.pop(self._commands_key(params), None)
        return True

    def _setting_storer(self, method: str) -> Handler:
        def store(params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
            self.world.settings[method] = dict(params)
            return True

        return store

    def _stored_getter(self, setter: str) -> Handler:
        key = _STORED_SETTINGS[setter][1]

        def getter(params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
            stored = self.world.settings.get(setter, {})
            return {key: stored.get(key, "")}

        return getter

    def get_chat_menu_button(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        stored = self.world.settings.get("setchatmenubutton", {})
        return stored.get("menu_button") or {"type": "commands"}
