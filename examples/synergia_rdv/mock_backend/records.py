"""What the backend remembers about requests: the request log and idempotency keys.

The request log lets tests assert what the IVR sent. Secrets never enter
it: Authorization and cookies are redacted, and so are OTP codes and
tokens in bodies. Both stores are bounded.
"""

import hashlib
import json
import threading
from collections import OrderedDict, deque
from typing import Any, Optional

REDACTED = "[redacted]"
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key")
SECRET_FIELDS = ("otp", "code", "password", "token", "session_token")
MAX_LOGGED_REQUESTS = 1000
MAX_IDEMPOTENCY_KEYS = 10_000


def redact_headers(headers: dict) -> dict:
    """Copy headers with secret values replaced; a bearer token keeps its scheme."""
    clean = {}
    for name, value in headers.items():
        if name.lower() not in SECRET_HEADERS:
            clean[name] = value
        elif value.lower().startswith("bearer "):
            clean[name] = "Bearer " + REDACTED
        else:
            clean[name] = REDACTED
    return clean


def redact_body(value: Any) -> Any:
    """Copy a JSON value with the values of secret fields replaced, at any depth."""
    if isinstance(value, dict):
        return {key: REDACTED if key.lower() in SECRET_FIELDS else redact_body(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact_body(item) for item in value]
    return value


class RequestLog:
    """The last MAX_LOGGED_REQUESTS API requests, each with a sequence number."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._next_seq = 1

    def add(self, entry: dict) -> dict:
        """Append an entry (numbered here); the caller may fill in its outcome later."""
        with self._lock:
            entry["seq"] = self._next_seq
            self._next_seq += 1
            self._entries.append(entry)
        return entry

    def entries(self, since: int = 0, endpoint: Optional[str] = None) -> list:
        """Entries with seq > since, optionally for one endpoint, oldest first."""
        with self._lock:
            return [dict(entry) for entry in self._entries
                    if entry["seq"] > since and endpoint in (None, entry.get("endpoint"))]

    def clear(self, restart_numbering: bool = False) -> None:
        """Forget the entries; numbering goes on unless restarted (as on reset)."""
        with self._lock:
            self._entries.clear()
            if restart_numbering:
                self._next_seq = 1


def request_fingerprint(method: str, path: str, query: str, body: bytes,
                        authorization: str) -> str:
    """Digest of what makes two requests "the same" for an idempotency key."""
    digest = hashlib.sha256()
    for part in (method, path, query, authorization):
        digest.update(part.encode("utf-8", "replace") + b"\0")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyStore:
    """First answers by Idempotency-Key, oldest forgotten first.

    Not thread-safe: the backend looks up, runs and stores under one lock so
    that two concurrent requests with one key apply the change once.
    """

    def __init__(self) -> None:
        self._answers: OrderedDict = OrderedDict()

    def lookup(self, key: str) -> Optional[tuple]:
        """Return (fingerprint, status, body) stored for the key, or None."""
        return self._answers.get(key)

    def store(self, key: str, fingerprint: str, status: int, body: dict) -> None:
        self._answers[key] = (fingerprint, status, json.loads(json.dumps(body)))
        while len(self._answers) > MAX_IDEMPOTENCY_KEYS:
            self._answers.popitem(last=False)

    def clear(self) -> None:
        self._answers.clear()
