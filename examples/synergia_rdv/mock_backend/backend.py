"""The backend's whole state, its settings, and how to reset it.

All state changes happen under `MockBackend.lock`, so request threads see a
consistent state; only the delays of injected slowness run outside it.
"""

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from appointments import DEFAULT_NAME, MAX_APPOINTMENTS, Caller, default_counts
from auth import OtpDesk
from errors import ApiError
from faults import FaultTable
from records import IdempotencyStore, RequestLog

TIMEZONE = ZoneInfo("Europe/Paris")
FIRST_PARTNER_ID = 42
DEFAULT_OTP_CODE = "123456"


@dataclass
class CallerSeed:
    """A caller set up by configuration; a count left as None follows the phone rule."""

    phone: str
    upcoming: Optional[int] = None
    past: Optional[int] = None
    partner_id: Optional[int] = None
    name: Optional[str] = None


@dataclass
class Settings:
    """Everything that the command line and the configuration file decide."""

    otp_code: str = DEFAULT_OTP_CODE
    otp_ttl_sec: float = 600.0
    otp_max_attempts: int = 5
    today: Optional[date] = None
    callers: list = field(default_factory=list)
    faults: dict = field(default_factory=dict)


class MockBackend:
    """Callers, codes, tokens, faults and records of one running mock backend."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.faults = FaultTable()
        self.requests = RequestLog()
        self.idempotency = IdempotencyStore()
        self.reset()

    def today(self) -> date:
        """The fixed --today, or the current date in the machine's timezone."""
        if self.settings.today is not None:
            return self.settings.today
        return datetime.now(TIMEZONE).date()

    def reset(self) -> None:
        """Go back to the state right after start: configured callers and faults only."""
        with self.lock:
            self.callers: dict[str, Caller] = {}
            self.next_partner_id = FIRST_PARTNER_ID
            self.notifications = 0
            self.otp = OtpDesk(self.settings.otp_code, self.settings.otp_ttl_sec,
                               self.settings.otp_max_attempts)
            self.idempotency.clear()
            self.requests.clear(restart_numbering=True)
            self.faults.clear()
            for endpoint, spec in self.settings.faults.items():
                self.faults.set(endpoint, spec)
            for seed in self.settings.callers:
                self.set_caller(seed)

    def _allocate_partner_id(self, wanted: Optional[int], phone: str) -> int:
        if wanted is None:
            while any(c.partner_id == self.next_partner_id for c in self.callers.values()):
                self.next_partner_id += 1
            self.next_partner_id += 1
            return self.next_partner_id - 1
        for caller in self.callers.values():
            if caller.partner_id == wanted and caller.phone != phone:
                raise ApiError(409, "partner_id_taken",
                               f"partner {wanted} already belongs to {caller.phone}")
        return wanted

    def caller_for_phone(self, phone: str) -> Caller:
        """The caller of this phone, created by the phone-number rule on first use."""
        with self.lock:
            caller = self.callers.get(phone)
            if caller is None:
                upcoming, past = default_counts(phone)
                caller = Caller(phone=phone, partner_id=self._allocate_partner_id(None, phone))
                caller.fill(upcoming, past, self.today())
                self.callers[phone] = caller
            return caller

    def set_caller(self, seed: CallerSeed) -> Caller:
        """Create or refill a caller with explicit counts (keeps their tokens)."""
        rule_upcoming, rule_past = default_counts(seed.phone)
        upcoming = rule_upcoming if seed.upcoming is None else seed.upcoming
        past = rule_past if seed.past is None else seed.past
        for count in (upcoming, past):
            if not 0 <= count <= MAX_APPOINTMENTS:
                raise ApiError(422, "invalid_caller",
                               f"counts must be between 0 and {MAX_APPOINTMENTS}")
        with self.lock:
            existing = self.callers.get(seed.phone)
            if existing is not None and seed.partner_id in (None, existing.partner_id):
                partner_id = existing.partner_id
            else:
                partner_id = self._allocate_partner_id(seed.partner_id, seed.phone)
            caller = Caller(phone=seed.phone, partner_id=partner_id,
                            name=seed.name or (existing.name if existing else DEFAULT_NAME))
            caller.fill(upcoming, past, self.today())
            self.callers[seed.phone] = caller
            return caller

    def caller_for_token(self, token: str) -> Optional[Caller]:
        """The caller a bearer token was issued to, or None."""
        with self.lock:
            phone = self.otp.phone_for_token(token)
            return self.caller_for_phone(phone) if phone else None
