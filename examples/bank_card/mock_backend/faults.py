"""Failure injection: what a failing backend does, by endpoint.

A SPEC is a comma-separated list of items:

    status:NNN    answer with HTTP status NNN (400-599) and a JSON error body
    garbage       answer 200 with a body that is not JSON
    close         close the connection without answering
    slow:MS       wait MS milliseconds first (alone: then answer normally)
    times:N       apply to the next N matching requests only, then vanish

At most one of status / garbage / close. Examples: "status:503",
"slow:3000", "status:503,times:1", "garbage,times:1".
"""

import threading
from dataclasses import dataclass
from typing import Optional

MAX_SLOW_MS = 60_000


@dataclass
class Fault:
    """One active failure; `times` is None for one that never expires."""

    status: Optional[int] = None
    garbage: bool = False
    close: bool = False
    slow_ms: int = 0
    times: Optional[int] = None


def _number(name: str, value: str, low: int, high: int) -> int:
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise ValueError(f"'{name}' needs a whole number from {low} to {high}, got '{value}'")
    return int(value)


def parse_spec(spec: str) -> Fault:
    """Parse a SPEC; ValueError says what is wrong with it."""
    fault = Fault()
    for item in (part.strip() for part in spec.split(",")):
        name, _, value = item.partition(":")
        if name == "status":
            fault.status = _number("status", value, 400, 599)
        elif name == "garbage" and not value:
            fault.garbage = True
        elif name == "close" and not value:
            fault.close = True
        elif name == "slow":
            fault.slow_ms = _number("slow", value, 1, MAX_SLOW_MS)
        elif name == "times":
            fault.times = _number("times", value, 1, 1_000_000)
        else:
            raise ValueError(f"unknown item '{item}' (expected status:NNN, garbage, close, "
                             "slow:MS, times:N)")
    if sum((fault.status is not None, fault.garbage, fault.close)) > 1:
        raise ValueError("give at most one of status, garbage and close")
    if fault.status is None and not fault.garbage and not fault.close and not fault.slow_ms:
        raise ValueError("the spec does nothing (give status, garbage, close or slow)")
    return fault


class FaultTable:
    """The active failures by endpoint name; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict = {}

    def set(self, endpoint: str, fault: Fault) -> None:
        with self._lock:
            self._faults[endpoint] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, endpoint: str) -> Optional[Fault]:
        """The failure for this request of `endpoint`, counting it against `times`."""
        with self._lock:
            fault = self._faults.get(endpoint)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[endpoint]
            return fault

    def active(self) -> dict:
        with self._lock:
            return {name: vars(fault).copy() for name, fault in self._faults.items()}
