"""One-time codes and session tokens.

Nothing is really sent: the code of each challenge is the configured test
code (or a random one with --otp-code random), and the last code "sent" to
a phone can be read back by tests through GET /_mock/otp.
"""

import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Optional

from errors import ApiError

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
RANDOM_CODE = "random"
RANDOM_CODE_LENGTH = 6
# Expired challenges are kept (so verify can say "expired") until this many are open.
MAX_OPEN_CHALLENGES = 1000


def require_phone(body: dict, name: str = "phone_e164") -> str:
    """Return body[name] if it is an E.164 number, else raise a 422 ApiError."""
    phone = body.get(name)
    if not isinstance(phone, str) or not E164.fullmatch(phone):
        raise ApiError(422, "invalid_phone",
                       f"'{name}' must be an E.164 number like +33612345678, got {phone!r}",
                       field=name)
    return phone


@dataclass
class Challenge:
    """One code sent to one phone."""

    id: str
    phone: str
    code: str
    expires_at: float
    attempts: int = 0


class OtpDesk:
    """Challenges, the last code sent to each phone, and the issued tokens.

    `code` is the fixed test code, or "random" for a fresh code per
    challenge. Not thread-safe: the backend serialises calls.
    """

    def __init__(self, code: str, ttl_sec: float, max_attempts: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._code = code
        self._ttl_sec = ttl_sec
        self._max_attempts = max_attempts
        self._clock = clock
        self._challenges: dict[str, Challenge] = {}
        self._last_sent: dict[str, Challenge] = {}
        self._tokens: dict[str, str] = {}

    def _new_code(self) -> str:
        if self._code == RANDOM_CODE:
            return "".join(secrets.choice("0123456789") for _ in range(RANDOM_CODE_LENGTH))
        return self._code

    def request(self, phone: str) -> Challenge:
        """Open a challenge for `phone` and remember its code as the last one sent."""
        if len(self._challenges) >= MAX_OPEN_CHALLENGES:
            self._drop_expired()
        challenge = Challenge(id="chl-" + secrets.token_hex(8), phone=phone,
                              code=self._new_code(),
                              expires_at=self._clock() + self._ttl_sec)
        self._challenges[challenge.id] = challenge
        self._last_sent[phone] = challenge
        return challenge

    def verify(self, phone: str, challenge_id: str, code: str) -> None:
        """Check a code; success consumes the challenge.

        Raises 410 for an unknown, used, expired or exhausted challenge and
        401 for a wrong code (the challenge dies after max_attempts tries).
        """
        challenge = self._challenges.get(challenge_id)
        if challenge is None or challenge.phone != phone:
            raise ApiError(410, "challenge_unknown",
                           "unknown or already used challenge: request a new code")
        if self._clock() >= challenge.expires_at:
            del self._challenges[challenge_id]
            raise ApiError(410, "challenge_expired", "the code has expired: request a new one")
        if not hmac.compare_digest(code.encode(), challenge.code.encode()):
            challenge.attempts += 1
            attempts_left = self._max_attempts - challenge.attempts
            if attempts_left <= 0:
                del self._challenges[challenge_id]
            raise ApiError(401, "invalid_code", "the code is wrong",
                           attempts_left=max(attempts_left, 0))
        del self._challenges[challenge_id]

    def last_sent(self, phone: str) -> Optional[Challenge]:
        """The last challenge opened for `phone`, even if already used."""
        return self._last_sent.get(phone)

    def issue_token(self, phone: str) -> str:
        """Create a bearer token for a caller who proved their phone."""
        token = "mock-" + secrets.token_urlsafe(24)
        self._tokens[token] = phone
        return token

    def phone_for_token(self, token: str) -> Optional[str]:
        """The phone a token was issued to, or None for an unknown token."""
        return self._tokens.get(token)

    def _drop_expired(self) -> None:
        now = self._clock()
        for challenge_id in [cid for cid, c in self._challenges.items() if now >= c.expires_at]:
            del self._challenges[challenge_id]
