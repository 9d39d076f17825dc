"""The record of every request the fake received."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .wire import Upload


@dataclass(eq=False, slots=True)
class Call:
    """One Bot API request: decoded params (uploaded files as bytes), when, and what was answered.

    ``status`` is the HTTP status (0 when the connection was dropped); ``response`` the JSON answer
    (None when dropped).
    """

    method: str
    params: dict[str, Any]
    at: datetime
    status: int = 0
    response: dict[str, Any] | None = None
    files: dict[str, Upload] = field(default_factory=dict)
    fault: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    @property
    def error(self) -> str | None:
        if self.response is None:
            return "connection dropped" if self.status == 0 else None
        return self.response.get("description")

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    def __repr__(self) -> str:
        brief = {k: (f"<{len(v)} bytes>" if isinstance(v, bytes) else v) for k, v in self.params.items()}
        return f"<Call {self.method} {self.status} {brief}>"


class CallLog:
    """Calls in arrival order; bounded when ``max_calls`` is set, off when ``enabled`` is False."""

    def __init__(self, enabled: bool = True, max_calls: int | None = None):
        self.enabled = enabled
        self._calls: deque[Call] = deque(maxlen=max_calls)
        self.total = 0

    def add(self, call: Call) -> None:
        self.total += 1
        if self.enabled:
            self._calls.append(call)

    def all(self) -> list[Call]:
        return list(self._calls)

    def to(self, methods: tuple[str, ...]) -> list[Call]:
        wanted = {m.lower() for m in methods}
        return [call for call in self._calls if call.method.lower() in wanted]

    def clear(self) -> None:
        self._calls.clear()
