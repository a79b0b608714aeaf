"""Test hooks under /_mock/: health, OTP read-back, callers, faults, reset, request log.

These endpoints need no token (the server only listens on loopback) and are
neither logged in the request log nor subject to failure injection.
"""

from dataclasses import replace
from typing import Callable, Optional

from api import ENDPOINT_NAMES
from auth import E164
from backend import CallerSeed, MockBackend
from errors import ApiError
from faults import ANY_ENDPOINT, parse_fault_spec

Handler = Callable[[MockBackend, dict, dict], dict]


def _phone_from_query(query: dict) -> str:
    """The `phone` parameter; a raw "+" in a query string arrives as a space."""
    phone = query.get("phone", "").strip()
    if phone.isdigit():
        phone = "+" + phone
    if not E164.fullmatch(phone):
        raise ApiError(422, "invalid_phone", "'phone' must be an E.164 number like +33612345678",
                       field="phone")
    return phone


def _count(body: dict, name: str, code: str = "invalid_caller") -> Optional[int]:
    """A whole-number field; None when absent."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, code, f"'{name}' must be a whole number", field=name)
    return value


def health(backend: MockBackend, query: dict, body: dict) -> dict:
    return {"ok": True}


def last_otp(backend: MockBackend, query: dict, body: dict) -> dict:
    phone = _phone_from_query(query)
    with backend.lock:
        challenge = backend.otp.last_sent(phone)
    if challenge is None:
        raise ApiError(404, "no_code_sent", f"no code was sent to {phone}")
    return {"phone_e164": phone, "code": challenge.code, "challenge_id": challenge.id}


def list_callers(backend: MockBackend, query: dict, body: dict) -> dict:
    with backend.lock:
        if "phone" not in query:
            return {"callers": [caller.summary() for caller in backend.callers.values()]}
        phone = _phone_from_query(query)
        caller = backend.callers.get(phone)
        if caller is None:
            raise ApiError(404, "unknown_caller", f"{phone} has not been seen yet")
        return {**caller.summary(),
                "appointments": [apt.to_json() for apt in caller.appointments.values()]}


def set_caller(backend: MockBackend, query: dict, body: dict) -> dict:
    phone = body.get("phone")
    if not isinstance(phone, str) or not E164.fullmatch(phone):
        raise ApiError(422, "invalid_phone", "'phone' must be an E.164 number", field="phone")
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ApiError(422, "invalid_caller", "'name' must be a string", field="name")
    seed = CallerSeed(phone=phone, upcoming=_count(body, "upcoming"), past=_count(body, "past"),
                      partner_id=_count(body, "partner_id"), name=name)
    with backend.lock:
        caller = backend.set_caller(seed)
        return {"ok": True, **caller.summary(),
                "appointments": [apt.to_json() for apt in caller.appointments.values()]}


def list_faults(backend: MockBackend, query: dict, body: dict) -> dict:
    return {"faults": backend.faults.snapshot()}


def set_fault(backend: MockBackend, query: dict, body: dict) -> dict:
    endpoint = body.get("endpoint")
    if endpoint != ANY_ENDPOINT and endpoint not in ENDPOINT_NAMES:
        raise ApiError(422, "unknown_endpoint",
                       f"'endpoint' must be '*' or one of {', '.join(ENDPOINT_NAMES)}",
                       field="endpoint")
    spec_text = body.get("spec")
    if not isinstance(spec_text, str):
        raise ApiError(422, "invalid_fault_spec", "'spec' must be a string like 'status:503'",
                       field="spec")
    try:
        spec = parse_fault_spec(spec_text)
    except ValueError as err:
        raise ApiError(422, "invalid_fault_spec", str(err), field="spec") from None
    times = _count(body, "times", code="invalid_fault_spec")
    if times is not None:
        if times < 1:
            raise ApiError(422, "invalid_fault_spec", "'times' must be at least 1", field="times")
        spec = replace(spec, times=times)
    backend.faults.set(endpoint, spec)
    return {"ok": True, "faults": backend.faults.snapshot()}


def clear_faults(backend: MockBackend, query: dict, body: dict) -> dict:
    return {"ok": True, "cleared": backend.faults.clear(query.get("endpoint"))}


def reset(backend: MockBackend, query: dict, body: dict) -> dict:
    backend.reset()
    return {"ok": True}


def list_requests(backend: MockBackend, query: dict, body: dict) -> dict:
    since = query.get("since", "0")
    if not since.isdigit():
        raise ApiError(422, "invalid_since", "'since' must be a request sequence number",
                       field="since")
    entries = backend.requests.entries(int(since), query.get("endpoint"))
    return {"count": len(entries), "requests": entries}


def clear_requests(backend: MockBackend, query: dict, body: dict) -> dict:
    backend.requests.clear()
    return {"ok": True}


ADMIN_ROUTES: dict[str, dict[str, Handler]] = {
    "/_mock/health": {"GET": health},
    "/_mock/otp": {"GET": last_otp},
    "/_mock/callers": {"GET": list_callers, "POST": set_caller},
    "/_mock/fail": {"GET": list_faults, "POST": set_fault, "DELETE": clear_faults},
    "/_mock/reset": {"POST": reset},
    "/_mock/requests": {"GET": list_requests, "DELETE": clear_requests},
}


def resolve_admin(method: str, path: str) -> Handler:
    """Find an admin handler; raise 404 for an unknown path, 405 for a wrong method."""
    methods = ADMIN_ROUTES.get(path)
    if methods is None:
        raise ApiError(404, "not_found", f"no admin endpoint at {path}")
    handler = methods.get(method)
    if handler is None:
        raise ApiError(405, "method_not_allowed",
                       f"{path} accepts {', '.join(sorted(methods))}, not {method}",
                       allow=sorted(methods))
    return handler
