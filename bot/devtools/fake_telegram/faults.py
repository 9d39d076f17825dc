"""Fault injection: make chosen Bot API calls fail the way the real Telegram fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .wire import ApiError


class Fault:
    """Base class. ``error()`` is the answer instead of the normal one (None: answer normally)."""

    delay: float = 0.0
    drop: bool = False
    apply_first: bool = False  # Drop only: perform the call, then lose the answer

    def error(self) -> ApiError | None:
        return None


@dataclass(frozen=True)
class ApiFailure(Fault):
    """Any error answer: HTTP status, description and optional ``parameters``."""

    status: int
    description: str
    parameters: dict[str, Any] | None = None

    def error(self) -> ApiError:
        return ApiError(self.status, self.description, self.parameters)


@dataclass(frozen=True)
class RetryAfter(Fault):
    """429 Too Many Requests with ``parameters.retry_after`` (PTB raises ``telegram.error.RetryAfter``)."""

    seconds: int = 1

    def error(self) -> ApiError:
        return ApiError(429, f"Too Many Requests: retry after {self.seconds}", {"retry_after": self.seconds})


@dataclass(frozen=True)
class Forbidden(Fault):
    """403 with a description (PTB raises ``telegram.error.Forbidden``)."""

    description: str = "Forbidden: bot was blocked by the user"

    def error(self) -> ApiError:
        return ApiError(403, self.description)


@dataclass(frozen=True)
class Blocked(Forbidden):
    """403 "Forbidden: bot was blocked by the user"."""


@dataclass(frozen=True)
class BadRequest(Fault):
    """400 with a description; "Bad Request: " is prefixed unless already there."""

    description: str = "Bad Request: something is wrong"

    def error(self) -> ApiError:
        text = self.description
        if not text.startswith("Bad Request"):
            text = f"Bad Request: {text}"
        return ApiError(400, text)


_SERVER_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class ServerError(Fault):
    """5xx answer (PTB raises ``telegram.error.NetworkError``)."""

    status: int = 500

    def error(self) -> ApiError:
        return ApiError(self.status, _SERVER_TEXT.get(self.status, "Internal Server Error"))


@dataclass(frozen=True)
class Slow(Fault):
    """Wait ``seconds`` before answering normally (to exercise client timeouts)."""

    seconds: float = 1.0

    @property
    def delay(self) -> float:  # type: ignore[override]
        return self.seconds


@dataclass(frozen=True)
class Drop(Fault):
    """Close the connection without an answer (PTB raises ``NetworkError``).

    ``after_apply=True`` performs the call first and then loses the answer, as when the network fails
    on the way back: the message *was* sent, but the bot cannot know.
    """

    after_apply: bool = False

    @property
    def drop(self) -> bool:  # type: ignore[override]
        return True

    @property
    def apply_first(self) -> bool:  # type: ignore[override]
        return self.after_apply


@dataclass(eq=False)
class FaultRule:
    """One injected fault. ``remaining`` None means until cleared; ``hits`` counts how often it fired."""

    method: str | None  # lower-case method name, None for every method
    fault: Fault
    remaining: int | None = 1
    chat_id: int | str | None = None
    hits: int = 0
    _chat_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._chat_key = None if self.chat_id is None else str(self.chat_id)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        if self._chat_key is not None and str(params.get("chat_id")) != self._chat_key:
            return False
        return True


class FaultBook:
    """The injected faults, first injected first matched."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(
        self, method: str | None, fault: Fault, times: int | None, chat_id: int | str | None
    ) -> FaultRule:
        if not isinstance(fault, Fault):
            raise TypeError(f"not a fault: {fault!r}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for until cleared)")
        key = None if method in (None, "*") else method.lower()
        rule = FaultRule(key, fault, times, chat_id)
        self.rules.append(rule)
        return rule

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        if not self.rules:
            return None
        for rule in self.rules:
            if rule.matches(method, params):
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                return rule.fault
        return None

    def clear(self, method: str | None = None) -> None:
        if method is None:
            self.rules.clear()
        else:
            key = method.lower()
            self.rules = [rule for rule in self.rules if rule.method != key]
