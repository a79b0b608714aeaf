"""Failure injection: the syntax of a failure SPEC and the table of active ones.

A SPEC is a comma-separated list of items:

    status:NNN    answer with HTTP status NNN (400-599) and a JSON error body
    garbage       answer 200 with a body that is not JSON
    close         close the connection without answering
    slow:MS       wait MS milliseconds first (alone: then answer normally)
    times:N       apply to the next N matching requests only, then vanish
    after:N       let the first N matching requests through untouched first

At most one of status / garbage / close. Examples: "status:503",
"slow:2000", "slow:1500,status:504", "close,times:1",
"after:1,status:503,times:1" (the second call of an endpoint fails once).
"""

import threading
from dataclasses import dataclass, replace
from typing import Optional

MAX_SLOW_MS = 60_000
ANY_ENDPOINT = "*"


@dataclass(frozen=True)
class FaultSpec:
    """One parsed failure SPEC; `times` is None for a fault that never expires."""

    status: Optional[int] = None
    garbage: bool = False
    close: bool = False
    slow_ms: int = 0
    times: Optional[int] = None
    after: int = 0

    def text(self) -> str:
        """Return the SPEC in its canonical textual form."""
        items = []
        if self.slow_ms:
            items.append(f"slow:{self.slow_ms}")
        if self.status is not None:
            items.append(f"status:{self.status}")
        if self.garbage:
            items.append("garbage")
        if self.close:
            items.append("close")
        if self.times is not None:
            items.append(f"times:{self.times}")
        if self.after:
            items.append(f"after:{self.after}")
        return ",".join(items)


def _parse_int(name: str, value: str, low: int, high: int) -> int:
    if not value.strip().isdigit():
        raise ValueError(f"'{name}' needs a whole number, got '{value}'")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"'{name}' must be between {low} and {high}, got {number}")
    return number


def _parse_item(item: str, fields: dict, seen: set) -> None:
    name, has_value, value = item.partition(":")
    name = name.strip().lower()
    if name in seen:
        raise ValueError(f"'{name}' is given twice")
    seen.add(name)
    if name not in ("status", "slow", "times", "after", "garbage", "close"):
        raise ValueError(f"unknown item '{name}' (expected status:NNN, "
                         "slow:MS, garbage, close, times:N or after:N)")
    if name in ("garbage", "close"):
        if has_value:
            raise ValueError(f"'{name}' takes no value")
        fields[name] = True
        return
    if not has_value:
        raise ValueError(f"'{name}' needs a value, like '{name}:N'")
    if name == "status":
        fields["status"] = _parse_int(name, value, 400, 599)
    elif name == "slow":
        fields["slow_ms"] = _parse_int(name, value, 0, MAX_SLOW_MS)
    elif name == "after":
        fields["after"] = _parse_int(name, value, 0, 1_000_000)
    else:
        fields["times"] = _parse_int(name, value, 1, 1_000_000)


def parse_fault_spec(text: str) -> FaultSpec:
    """Parse a SPEC such as "status:503,times:2"; raise ValueError with the reason."""
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    if not items:
        raise ValueError("empty failure spec")
    fields: dict = {}
    seen: set = set()
    for item in items:
        _parse_item(item, fields, seen)
    outcomes = [name for name in ("status", "garbage", "close") if name in fields]
    if len(outcomes) > 1:
        raise ValueError(f"choose one of status, garbage or close, not {' and '.join(outcomes)}")
    if not outcomes and not fields.get("slow_ms"):
        raise ValueError("the spec does nothing: give status:NNN, garbage, close or slow:MS")
    return FaultSpec(**fields)


class FaultTable:
    """Active faults by endpoint name, safe to use from several threads.

    A fault for ANY_ENDPOINT ("*") applies to every endpoint that has no
    fault of its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, FaultSpec] = {}

    def set(self, endpoint: str, spec: FaultSpec) -> None:
        """Install (or replace) the fault of one endpoint."""
        with self._lock:
            self._faults[endpoint] = spec

    def clear(self, endpoint: Optional[str] = None) -> int:
        """Remove one endpoint's fault, or all of them; return how many went."""
        with self._lock:
            if endpoint is None:
                count = len(self._faults)
                self._faults.clear()
                return count
            return 1 if self._faults.pop(endpoint, None) else 0

    def take(self, endpoint: str) -> Optional[FaultSpec]:
        """Return the fault that applies to this request and count it as used."""
        with self._lock:
            key = endpoint if endpoint in self._faults else ANY_ENDPOINT
            spec = self._faults.get(key)
            if spec is None:
                return None
            if spec.after > 0:
                self._faults[key] = replace(spec, after=spec.after - 1)
                return None
            if spec.times is not None:
                if spec.times <= 1:
                    del self._faults[key]
                else:
                    self._faults[key] = replace(spec, times=spec.times - 1)
            return spec

    def snapshot(self) -> dict[str, str]:
        """Return the active faults as {endpoint: SPEC text}."""
        with self._lock:
            return {name: spec.text() for name, spec in sorted(self._faults.items())}
