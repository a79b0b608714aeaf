"""The bank behind the card line: cards, PIN checks, sessions, oppositions, callbacks.

Everything the IVR's endpoints read or change lives here, behind one lock.
Amounts are Decimal, written back with their cents (jsonout.py).
"""

import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional

PIN_ATTEMPTS = 3  # wrong PINs in a row before the card is locked


class ApiError(Exception):
    """An answer that is not a success: HTTP status, a machine code, a message, more fields."""

    def __init__(self, status: int, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": code, "message": message, **extra}


@dataclass
class Card:
    number: str
    pin: str
    first_name: str
    balance: Decimal
    tier: str = "classic"       # classic or premier
    status: str = "active"      # active, blocked or expired
    wrong_pins: int = 0
    card_id: str = ""

    @property
    def last4(self) -> str:
        return self.number[-4:]


def luhn_valid(number: str) -> bool:
    """Whether the last digit of `number` checks the others (Luhn)."""
    if len(number) < 2 or not number.isdigit():
        return False
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


# The cards every reset starts with: the scenarios and the README name them.
DEFAULT_CARDS = (
    Card("4970101234567893", "1234", "Camille", Decimal("1250.50")),
    Card("4970109876543213", "4321", "Lucas", Decimal("-85.20"), tier="premier"),
    Card("4970105555000111", "1111", "Nora", Decimal("42.00"), status="blocked"),
    Card("4970101111222232", "2222", "Inès", Decimal("0.00"), status="expired"),
)


def parse_amount(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApiError(400, "bad_amount", f"'{value}' is not an amount") from None
    if not amount.is_finite():
        raise ApiError(400, "bad_amount", f"'{value}' is not an amount")
    return amount.quantize(Decimal("0.01"))


class Bank:
    """The state of the mock bank. Every public method is one atomic request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._cards: dict = {}
            self._tokens: dict = {}
            self._callbacks: list = []
            self._oppositions = 0
            for card in DEFAULT_CARDS:
                self._add(Card(**{**vars(card)}))

    def _add(self, card: Card) -> Card:
        card.card_id = f"card-{card.number[-6:]}"
        self._cards[card.number] = card
        return card

    def add_card(self, body: dict) -> dict:
        number = str(body.get("number", ""))
        if not luhn_valid(number) or not 13 <= len(number) <= 19:
            raise ApiError(400, "bad_number", "a card number is 13 to 19 digits, Luhn-valid")
        pin = str(body.get("pin", "0000"))
        if not (pin.isdigit() and len(pin) == 4):
            raise ApiError(400, "bad_pin", "a PIN is 4 digits")
        status = body.get("status", "active")
        tier = body.get("tier", "classic")
        if status not in ("active", "blocked", "expired") or tier not in ("classic", "premier"):
            raise ApiError(400, "bad_card", "status: active, blocked or expired; "
                                            "tier: classic or premier")
        with self._lock:
            card = self._add(Card(number, pin, str(body.get("first_name", "")),
                                  parse_amount(body.get("balance", "0.00")), tier, status))
        return {"card_id": card.card_id}

    # --- the IVR's endpoints ------------------------------------------------------------

    def lookup(self, body: dict) -> dict:
        number = body.get("number")
        if not isinstance(number, str) or not number.isdigit():
            raise ApiError(400, "bad_request", "number: the card number, as digits")
        with self._lock:
            card = self._cards.get(number)
            if card is None:
                raise ApiError(404, "unknown_card", "no card with this number")
            return {"card_id": card.card_id, "status": card.status, "tier": card.tier,
                    "first_name": card.first_name, "last4": card.last4}

    def _by_id(self, card_id: str) -> Card:
        for card in self._cards.values():
            if card.card_id == card_id:
                return card
        raise ApiError(404, "unknown_card", "no card with this id")

    def verify_pin(self, card_id: str, body: dict) -> dict:
        pin = body.get("pin")
        if not isinstance(pin, str) or not pin.isdigit():
            raise ApiError(400, "bad_request", "pin: the 4 digits")
        with self._lock:
            card = self._by_id(card_id)
            if card.status != "active":
                raise ApiError(423, "card_locked", "the card is blocked")
            if pin != card.pin:
                card.wrong_pins += 1
                if card.wrong_pins >= PIN_ATTEMPTS:
                    card.status = "blocked"
                    raise ApiError(423, "card_locked", "too many wrong PINs: the card is blocked")
                raise ApiError(401, "wrong_pin", "wrong PIN",
                               attempts_left=PIN_ATTEMPTS - card.wrong_pins)
            card.wrong_pins = 0
            token = "tok-" + secrets.token_hex(8)
            self._tokens[token] = card.number
            return {"session_token": token, "balance": card.balance, "tier": card.tier}

    def _card_of_token(self, card_id: str, token: Optional[str]) -> Card:
        number = self._tokens.get(token or "")
        if number is None:
            raise ApiError(401, "bad_token", "a session token from verify-pin is needed")
        card = self._cards[number]
        if card.card_id != card_id:
            raise ApiError(403, "forbidden", "the token is for another card")
        return card

    def balance(self, card_id: str, token: Optional[str]) -> dict:
        with self._lock:
            card = self._card_of_token(card_id, token)
            return {"balance": card.balance, "currency": "EUR",
                    "overdrawn": card.balance < 0}

    def block(self, card_id: str, token: Optional[str], body: dict) -> dict:
        reason = body.get("reason", "lost_or_stolen")
        if reason not in ("lost", "stolen", "lost_or_stolen"):
            raise ApiError(400, "bad_reason", "reason: lost, stolen or lost_or_stolen")
        with self._lock:
            card = self._card_of_token(card_id, token)
            if card.status == "blocked":
                raise ApiError(409, "already_blocked", "the card is blocked already")
            card.status = "blocked"
            self._oppositions += 1
            return {"reference": f"OPP-{self._oppositions:06d}"}

    def callback(self, body: dict) -> dict:
        phone = body.get("phone")
        if not isinstance(phone, str) or not phone.strip():
            raise ApiError(400, "no_phone", "phone: the number to call back")
        with self._lock:
            self._callbacks.append({"phone": phone, "card_id": body.get("card_id") or None})
            return {"callback_id": f"cb-{len(self._callbacks)}"}

    def callbacks(self) -> list:
        with self._lock:
            return list(self._callbacks)

    def card(self, number: str) -> Optional[dict]:
        with self._lock:
            card = self._cards.get(number)
            return None if card is None else {"status": card.status,
                                              "wrong_pins": card.wrong_pins}
