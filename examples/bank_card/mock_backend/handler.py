"""The HTTP front of the mock bank: routes, failure injection, bearer tokens, JSON.

    POST /cards/lookup                 {"number"}          → card_id, status, tier, first_name, last4
    POST /cards/{card_id}/verify-pin   {"pin"}             → session_token, balance, tier
                                                             401 wrong_pin (attempts_left), 423 card_locked
    GET  /cards/{card_id}/balance      Bearer token        → balance, currency, overdrawn
    POST /cards/{card_id}/block        Bearer token        → reference; 409 already_blocked
    POST /callbacks                    {"phone", "card_id"} → callback_id (201)

Admin (tests and demos): POST /_mock/reset, POST /_mock/cards, POST /_mock/fail
{"endpoint", "spec"}, DELETE /_mock/fail, GET /_mock/callbacks, GET /_mock/cards/NUMBER.
"""

import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from bank import ApiError, Bank
from faults import FaultTable, parse_spec
from jsonout import dumps

MAX_BODY_BYTES = 64 * 1024
GARBAGE = b"<html><body>502 Bad Gateway</body></html>"

# (method, path pattern, endpoint name as in the machine's globals.endpoints)
ROUTES = (
    ("POST", re.compile(r"/cards/lookup"), "lookup_card"),
    ("POST", re.compile(r"/cards/(?P<card_id>[\w-]+)/verify-pin"), "verify_pin"),
    ("GET", re.compile(r"/cards/(?P<card_id>[\w-]+)/balance"), "get_balance"),
    ("POST", re.compile(r"/cards/(?P<card_id>[\w-]+)/block"), "block_card"),
    ("POST", re.compile(r"/callbacks"), "request_callback"),
)
ENDPOINT_NAMES = tuple(name for _, _, name in ROUTES)


class BankServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple, family: int, quiet: bool) -> None:
        self.address_family = family
        self.bank = Bank()
        self.faults = FaultTable()
        self.quiet = quiet
        super().__init__(address, BankHandler)


class BankHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BankServer

    def log_message(self, fmt: str, *args) -> None:
        if not self.server.quiet:
            sys.stderr.write("mock bank: " + (fmt % args) + "\n")

    # --- answers ------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value) -> None:
        self._send(status, dumps(value).encode("utf-8"))

    def _read_body(self) -> None:
        """Read the whole body first: a keep-alive connection must not keep its bytes, even
        when an injected failure answers without looking at them."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, "too_large", "request body too large, or no length")
        self._raw = self.rfile.read(length) if length else b""

    def _body(self) -> dict:
        raw = self._raw
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise ApiError(400, "bad_json", "the body is not JSON") from None
        if not isinstance(value, dict):
            raise ApiError(400, "bad_json", "the body is a JSON object")
        return value

    def _token(self) -> Optional[str]:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None

    # --- dispatch -----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        self._raw = b""
        try:
            self._read_body()
            if path.startswith("/_mock/"):
                self._admin(method, path)
                return
            for route_method, pattern, name in ROUTES:
                match = pattern.fullmatch(path)
                if match and route_method == method:
                    if self._inject(name):
                        return
                    self._endpoint(name, match.groupdict())
                    return
            raise ApiError(404, "not_found", f"no endpoint {method} {path}")
        except ApiError as err:
            self._json(err.status, err.body)

    def _inject(self, name: str) -> bool:
        """Apply the failure set for this endpoint, if any; True when it answered for it."""
        fault = self.server.faults.take(name)
        if fault is None:
            return False
        if fault.slow_ms:
            time.sleep(fault.slow_ms / 1000)
        if fault.close:
            self.close_connection = True
            return True
        if fault.garbage:
            self._send(200, GARBAGE, "text/html")
            return True
        if fault.status is not None:
            self._json(fault.status, {"error": "injected", "message": f"status {fault.status}"})
            return True
        return False

    def _endpoint(self, name: str, params: dict) -> None:
        bank = self.server.bank
        card_id = params.get("card_id", "")
        if name == "lookup_card":
            self._json(200, bank.lookup(self._body()))
        elif name == "verify_pin":
            self._json(200, bank.verify_pin(card_id, self._body()))
        elif name == "get_balance":
            self._json(200, bank.balance(card_id, self._token()))
        elif name == "block_card":
            self._json(200, bank.block(card_id, self._token(), self._body()))
        else:
            self._json(201, bank.callback(self._body()))

    def _admin(self, method: str, path: str) -> None:
        bank, faults = self.server.bank, self.server.faults
        if method == "POST" and path == "/_mock/reset":
            bank.reset()
            faults.clear()
            self._json(200, {"reset": True})
        elif method == "POST" and path == "/_mock/cards":
            self._json(201, bank.add_card(self._body()))
        elif method == "POST" and path == "/_mock/fail":
            body = self._body()
            endpoint = body.get("endpoint")
            if endpoint not in ENDPOINT_NAMES:
                raise ApiError(400, "bad_endpoint",
                               f"endpoint: one of {', '.join(ENDPOINT_NAMES)}")
            try:
                faults.set(endpoint, parse_spec(str(body.get("spec", ""))))
            except ValueError as err:
                raise ApiError(400, "bad_spec", str(err)) from None
            self._json(200, {"failing": faults.active()})
        elif method == "DELETE" and path == "/_mock/fail":
            faults.clear()
            self._json(200, {"failing": {}})
        elif method == "GET" and path == "/_mock/callbacks":
            self._json(200, {"callbacks": bank.callbacks()})
        elif method == "GET" and path.startswith("/_mock/cards/"):
            card = bank.card(path.rsplit("/", 1)[1])
            if card is None:
                raise ApiError(404, "unknown_card", "no card with this number")
            self._json(200, card)
        else:
            raise ApiError(404, "not_found", f"no admin endpoint {method} {path}")
