"""The seed's endpoint contract: one route and one handler per globals.endpoints entry.

A handler receives a `Call` (already authenticated when the route needs it)
and returns the JSON body of a 200 answer, or raises ApiError.
"""

import re
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import unquote

import appointments
from appointments import CANCEL_REASONS, CHANNELS, Appointment, Caller
from auth import require_phone
from errors import ApiError
from slots import SlotOffer, build_offer, label_slots, offer_voice, parse_preferences

AUTH_NONE = "none"
AUTH_REQUIRED = "required"
# A bearer token is checked when sent, but not needed: an agent handoff
# can happen before the caller has logged in.
AUTH_OPTIONAL = "optional"

MAX_COMMENT_CHARS = 2000
MAX_OTP_DIGITS = 12


@dataclass
class Call:
    """One request as a handler sees it."""

    backend: object
    params: dict
    query: dict
    body: dict
    caller: Optional[Caller]
    language: str = "fr"  # of the spoken texts: voice.FRENCH, or ENGLISH by Accept-Language

    def appointment(self) -> Appointment:
        """The caller's appointment named by the {id} path parameter (404 if none)."""
        return self.caller.find(self.params.get("id", ""))


def _string_field(body: dict, name: str, required: bool = False) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", f"'{name}' must be a string", field=name)
    if required and not value:
        raise ApiError(422, "missing_field", f"'{name}' is required", field=name)
    return value


def _channel(value: str, name: str) -> str:
    if value not in CHANNELS:
        raise ApiError(422, "invalid_channel",
                       f"'{name}' must be one of {', '.join(CHANNELS)}, got {value!r}",
                       field=name)
    return value


def _require_not_past(apt: Appointment) -> None:
    if apt.status == appointments.DONE:
        raise ApiError(409, "appointment_past", f"appointment '{apt.id}' already took place")


def send_magic_link(call: Call) -> dict:
    require_phone(call.body)
    _string_field(call.body, "channel_preference")
    return {"ok": True}


def request_otp(call: Call) -> dict:
    phone = require_phone(call.body)
    challenge = call.backend.otp.request(phone)
    return {"challenge_id": challenge.id, "length": len(challenge.code),
            "expires_in": int(call.backend.settings.otp_ttl_sec)}


def verify_otp(call: Call) -> dict:
    phone = require_phone(call.body)
    code = _string_field(call.body, "otp", required=True)
    if not code.isdigit() or len(code) > MAX_OTP_DIGITS:
        raise ApiError(422, "invalid_otp_format", "'otp' must be a string of digits",
                       field="otp")
    challenge_id = _string_field(call.body, "challenge_id")
    call.backend.otp.verify(phone, challenge_id, code)
    caller = call.backend.caller_for_phone(phone)
    return {"session_token": call.backend.otp.issue_token(phone), "token_type": "Bearer",
            "partner_id": caller.partner_id}


def get_me(call: Call) -> dict:
    return call.caller.summary()


def list_appointments(call: Call) -> dict:
    scope = call.query.get("scope", "upcoming")
    if scope == "upcoming":
        found = call.caller.upcoming()
    elif scope == "past":
        found = call.caller.past()
    else:
        raise ApiError(422, "invalid_scope", f"'scope' must be upcoming or past, got {scope!r}",
                       field="scope")
    today = call.backend.today()
    return {"scope": scope, "count": len(found),
            "appointments": [apt.to_json() for apt in found],
            "summary_voice": appointments.summary_voice(found, scope, today, call.language)}


def get_appointment(call: Call) -> dict:
    apt = call.appointment()
    return {**apt.to_json(), "voice_detail": apt.voice_detail(call.backend.today(), call.language)}


def confirm_appointment(call: Call) -> dict:
    apt = call.appointment()
    appointments.confirm(apt)
    return {"ok": True, "appointment": apt.to_json()}


def cancel_appointment(call: Call) -> dict:
    apt = call.appointment()
    reason = _string_field(call.body, "reason", required=True)
    if reason not in CANCEL_REASONS:
        raise ApiError(422, "invalid_reason",
                       f"'reason' must be one of {', '.join(CANCEL_REASONS)}, got {reason!r}",
                       field="reason")
    if len(_string_field(call.body, "comment")) > MAX_COMMENT_CHARS:
        raise ApiError(422, "invalid_field", "'comment' is too long", field="comment")
    appointments.cancel(apt, reason)
    return {"ok": True, "appointment": apt.to_json()}


def request_callback(call: Call) -> dict:
    apt = call.appointment()
    _string_field(call.body, "reason")
    call.caller.callbacks += 1
    return {"ok": True, "callback_id": f"cb-{call.caller.partner_id}-{call.caller.callbacks}",
            "appointment_id": apt.id}


def send_ics(call: Call) -> dict:
    apt = call.appointment()
    appointments.require_active(apt)
    channel = _channel(call.query.get("channel", call.caller.preferred_channel), "channel")
    return {"sent": True, "channel": channel, "appointment_id": apt.id}


def get_proposals(call: Call) -> dict:
    apt = call.appointment()
    _require_not_past(apt)
    if apt.offer.slots is None:
        apt.offer.slots = build_offer(apt.offer, apt.mode, call.backend.today())
    slots = label_slots(apt.offer.slots, call.backend.today(), call.language)
    return {"count": len(slots), "slots": slots,
            "summary_voice": offer_voice(slots, call.language)}


def select_slot(call: Call) -> dict:
    apt = call.appointment()
    _require_not_past(apt)
    slot_id = _string_field(call.body, "slot_id", required=True)
    slot = apt.offer.find(slot_id)
    if slot is None:
        raise ApiError(409, "slot_unavailable",
                       f"slot '{slot_id}' is not among the slots last proposed")
    appointments.move_to_slot(apt, slot)
    apt.offer = SlotOffer(preferences=apt.offer.preferences)
    return {"ok": True, "appointment": apt.to_json(),
            "voice_detail": apt.voice_detail(call.backend.today(), call.language)}


def submit_preferences(call: Call) -> dict:
    apt = call.appointment()
    _require_not_past(apt)
    preferences = parse_preferences(call.body)
    apt.offer = SlotOffer(preferences=preferences)
    return {"ok": True, "preferences": preferences.to_json()}


def propose_new_slots(call: Call) -> dict:
    apt = call.appointment()
    _require_not_past(apt)
    apt.offer.round += 1
    apt.offer.slots = None
    return {"ok": True}


def share_link(call: Call) -> dict:
    apt = call.appointment()
    channel = _channel(_string_field(call.body, "channel"), "channel")
    call.caller.preferred_channel = channel
    return {"ok": True, "channel": channel, "appointment_id": apt.id}


def notify_agent(call: Call) -> dict:
    call.backend.notifications += 1
    return {"ok": True, "notification_id": f"ntf-{call.backend.notifications}"}


@dataclass(frozen=True)
class Route:
    """One endpoint: its seed name, method, path template and handler."""

    endpoint: str
    method: str
    template: str
    handler: Callable[[Call], dict]
    auth: str = AUTH_REQUIRED

    def match(self, path: str) -> Optional[dict]:
        """Return the URL-decoded path parameters if `path` fits the template."""
        found = _compiled(self.template).fullmatch(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


_PATTERNS: dict = {}


def _compiled(template: str) -> re.Pattern:
    if template not in _PATTERNS:
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]*)"
                        for index, part in enumerate(parts))
        _PATTERNS[template] = re.compile(regex)
    return _PATTERNS[template]


ROUTES = (
    Route("send_magic_link", "PUT", "/portal/send-otp-link", send_magic_link, AUTH_NONE),
    Route("request_otp", "PUT", "/auth/request-otp", request_otp, AUTH_NONE),
    Route("verify_otp", "PUT", "/auth/verify-otp", verify_otp, AUTH_NONE),
    Route("get_me", "GET", "/portal/me", get_me),
    Route("list_appointments", "GET", "/appointments", list_appointments),
    Route("get_appointment", "GET", "/appointments/{id}", get_appointment),
    Route("confirm_appointment", "PUT", "/appointments/{id}/confirm", confirm_appointment),
    Route("cancel_appointment", "PUT", "/appointments/{id}/cancel", cancel_appointment),
    Route("request_callback", "PUT", "/appointments/{id}/callback", request_callback),
    Route("send_ics", "GET", "/appointments/{id}/ics", send_ics),
    Route("get_proposals", "GET", "/appointments/{id}/proposals", get_proposals),
    Route("select_slot", "PUT", "/appointments/{id}/select-slot", select_slot),
    Route("submit_preferences", "PUT", "/appointments/{id}/preferences", submit_preferences),
    Route("propose_new_slots", "PUT", "/appointments/{id}/propose-slots", propose_new_slots),
    Route("share_link", "PUT", "/appointments/{id}/share-link", share_link),
    Route("notify_agent", "PUT", "/agent/notify", notify_agent, AUTH_OPTIONAL),
)

ENDPOINT_NAMES = tuple(route.endpoint for route in ROUTES)


def resolve(method: str, path: str) -> tuple[Route, dict]:
    """Find the route of a request; raise 404 for an unknown path, 405 for a wrong method."""
    allowed = []
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        allowed.append(route.method)
    if allowed:
        raise ApiError(405, "method_not_allowed",
                       f"{path} accepts {', '.join(sorted(set(allowed)))}, not {method}",
                       allow=sorted(set(allowed)))
    raise ApiError(404, "not_found", f"no endpoint at {path}")
