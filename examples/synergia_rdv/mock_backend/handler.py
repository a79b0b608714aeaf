"""The HTTP front: reads requests, applies faults, auth and idempotency, answers JSON.

Order of work for a contract endpoint:
  route -> request log -> failure injection (header, then table) ->
  body parsing -> auth -> idempotency replay -> handler -> idempotency store.
Injected failures never reach the state, so a retry sees it unchanged.
"""

import json
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

import admin
import api
from backend import MockBackend
from errors import ApiError
from faults import FaultSpec, parse_fault_spec
from records import redact_body, redact_headers, request_fingerprint
import voice

JSON_TYPE = "application/json; charset=utf-8"
MAX_BODY_BYTES = 1 << 20
MAX_LOGGED_PATH = 200
GARBAGE_BODY = b"<html><body>502 Bad Gateway</body></html> {\"truncated\": "
FAULT_HEADER = "X-Mock-Fail"
IDEMPOTENCY_HEADER = "Idempotency-Key"

_stderr_lock = threading.Lock()


class BodyError(Exception):
    """A request body that cannot be read; the connection is closed after the answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.error = ApiError(status, code, message)


class MockHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the backend and the logging choice."""

    daemon_threads = True
    allow_reuse_address = True
    # Bursts of parallel calls (many IVR sessions at once) must not overflow the backlog.
    request_queue_size = 128

    def __init__(self, address: tuple, family: int, backend: MockBackend, quiet: bool) -> None:
        self.address_family = family
        self.backend = backend
        self.quiet = quiet
        # Requests being answered: a stop waits for them, so that each answer a client got
        # has its log line (handler threads are daemons, cut short when the process ends).
        self._answering = 0
        self._answering_changed = threading.Condition()
        super().__init__(address, MockRequestHandler)

    def request_started(self) -> None:
        with self._answering_changed:
            self._answering += 1

    def request_done(self) -> None:
        with self._answering_changed:
            self._answering -= 1
            self._answering_changed.notify_all()

    def wait_answered(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the requests being answered to end (idle
        keep-alive connections are not waited for)."""
        with self._answering_changed:
            self._answering_changed.wait_for(lambda: self._answering == 0, timeout)


def _flat_query(raw_query: str) -> dict:
    """Query parameters as strings (the last value wins for repeated names)."""
    return {name: values[-1] for name, values in parse_qs(raw_query, keep_blank_values=True).items()}


def _printable(text: str) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean[:MAX_LOGGED_PATH]


def _bearer_token(header: Optional[str]) -> Optional[str]:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


class MockRequestHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every answer JSON with a Content-Length."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle and
    # delayed ACKs hold every answer for ~40 ms on keep-alive connections.
    disable_nagle_algorithm = True
    server_version = "synergia-mock-backend/1.0"
    sys_version = ""
    # Idle keep-alive connections are dropped after this many seconds.
    timeout = 30

    def do_GET(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:
        """Silence the default log: it prints query strings; `_log_line` replaces it."""

    def send_error(self, code: int, message: Optional[str] = None,
                   explain: Optional[str] = None) -> None:
        """Answer protocol errors (bad request line, unknown method...) in JSON too."""
        self.close_connection = True
        # An unparsable request line leaves the HTTP/0.9 default, which would
        # suppress the status line and headers; answer as HTTP/1.1 instead.
        self.request_version = self.protocol_version
        text = message or self.responses.get(code, ("error",))[0]
        self._send_json(code, {"error": "protocol_error", "message": text})

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it, as a client that
        asks "Expect: 100-continue" (libcurl does for large bodies) hopes."""
        length = self.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_error(ApiError(413, "body_too_large",
                                      f"bodies are limited to {MAX_BODY_BYTES} bytes"))
            return False
        return super().handle_expect_100()

    # -- answering -------------------------------------------------------

    def _send(self, status: int, payload: bytes, content_type: str = JSON_TYPE,
              headers: Optional[dict] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_json(self, status: int, body: dict, headers: Optional[dict] = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(status, payload, headers=headers)

    def _send_error(self, err: ApiError) -> int:
        headers = {}
        if err.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if err.status == 405:
            headers["Allow"] = ", ".join(err.extra.get("allow", []))
        self._send_json(err.status, err.body(), headers)
        return err.status

    def _log_line(self, status, started: float) -> None:
        if self.server.quiet:
            return
        elapsed_ms = (time.monotonic() - started) * 1000
        path = _printable(urlsplit(self.path).path)
        line = f"{time.strftime('%H:%M:%S')} {self.command} {path} {status} {elapsed_ms:.1f}ms\n"
        with _stderr_lock:
            sys.stderr.write(line)
            sys.stderr.flush()

    # -- reading ---------------------------------------------------------

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BodyError(400, "invalid_chunk", "malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return data
            if len(data) + size > MAX_BODY_BYTES:
                raise BodyError(413, "body_too_large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
            data += self.rfile.read(size)
            self.rfile.readline(1024)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        if not length_text.strip().isdigit():
            raise BodyError(400, "invalid_content_length", "Content-Length is not a number")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise BodyError(413, "body_too_large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
        data = self.rfile.read(length)
        if len(data) != length:
            raise BodyError(400, "truncated_body", "the body is shorter than Content-Length")
        return data

    @staticmethod
    def _parse_json(raw: bytes) -> dict:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ApiError(400, "invalid_json", f"the body is not valid JSON: {err}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "the body must be a JSON object")
        return body

    # -- dispatch --------------------------------------------------------

    def _serve(self) -> None:
        self.server.request_started()
        try:
            self._serve_one()
        finally:
            self.server.request_done()

    def _serve_one(self) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        try:
            raw_body = self._read_body()
        except BodyError as err:
            self.close_connection = True
            self._log_line(self._send_error(err.error), started)
            return
        if url.path == "/_mock" or url.path.startswith("/_mock/"):
            status = self._serve_admin(url.path, url.query, raw_body)
        else:
            status = self._serve_api(url.path, url.query, raw_body)
        self._log_line(status, started)

    def _serve_admin(self, path: str, raw_query: str, raw_body: bytes) -> int:
        backend = self.server.backend
        try:
            handler = admin.resolve_admin(self.command, path)
            body = self._parse_json(raw_body)
            answer = handler(backend, _flat_query(raw_query), body)
        except ApiError as err:
            return self._send_error(err)
        self._send_json(200, answer)
        return 200

    def _log_entry(self, path: str, raw_query: str, raw_body: bytes, endpoint: Optional[str]) -> dict:
        try:
            logged_body = redact_body(json.loads(raw_body.decode("utf-8"))) if raw_body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            logged_body = {"unparsed_bytes": len(raw_body)}
        entry = {"seq": None, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "method": self.command,
                 "path": path, "endpoint": endpoint, "query": _flat_query(raw_query),
                 "headers": redact_headers(dict(self.headers.items())), "body": logged_body,
                 "status": None, "fault": None, "authorized": None, "replayed": False}
        return self.server.backend.requests.add(entry)

    def _fault_for(self, endpoint: str) -> Optional[FaultSpec]:
        header = self.headers.get(FAULT_HEADER)
        if header is not None:
            try:
                return parse_fault_spec(header)
            except ValueError as err:
                raise ApiError(400, "invalid_fault_spec", f"{FAULT_HEADER}: {err}") from None
        return self.server.backend.faults.take(endpoint)

    def _apply_fault(self, fault: FaultSpec, entry: dict) -> bool:
        """Play an injected failure; return False when it was only a delay and the
        request goes on. The log entry is complete before anything is sent, so a
        test that reads the log right after the answer sees the outcome."""
        entry["fault"] = fault.text()
        if fault.slow_ms:
            time.sleep(fault.slow_ms / 1000)
        if fault.close:
            entry["status"] = "closed"
            self.close_connection = True
        elif fault.garbage:
            entry["status"] = 200
            self._send(200, GARBAGE_BODY)
        elif fault.status is not None:
            entry["status"] = fault.status
            self._send_json(fault.status, {"error": "injected_failure", "status": fault.status,
                                           "message": f"failure injected: {fault.text()}"})
        else:
            return False
        return True

    def _fail_logged(self, entry: dict, err: ApiError) -> int:
        entry["status"] = err.status
        return self._send_error(err)

    def _serve_api(self, path: str, raw_query: str, raw_body: bytes):
        try:
            route, params = api.resolve(self.command, path)
        except ApiError as err:
            return self._fail_logged(self._log_entry(path, raw_query, raw_body, None), err)
        entry = self._log_entry(path, raw_query, raw_body, route.endpoint)
        try:
            fault = self._fault_for(route.endpoint)
        except ApiError as err:
            return self._fail_logged(entry, err)
        if fault is not None and self._apply_fault(fault, entry):
            return entry["status"]
        status, body, headers = self._run(route, params, raw_query, raw_body, entry)
        entry["status"] = status
        self._send(status, body, headers=headers)
        return status

    def _authenticate(self, route: api.Route, entry: dict):
        """Return the caller of the bearer token, None when the route allows no token."""
        token = _bearer_token(self.headers.get("Authorization"))
        if route.auth == api.AUTH_NONE:
            return None
        caller = self.server.backend.caller_for_token(token) if token else None
        if token is not None:
            entry["authorized"] = caller is not None
        if caller is None and (route.auth == api.AUTH_REQUIRED or token is not None):
            if token is None:
                raise ApiError(401, "missing_token", "send Authorization: Bearer <session_token>")
            raise ApiError(401, "invalid_token", "the bearer token is unknown")
        return caller

    def _run(self, route: api.Route, params: dict, raw_query: str, raw_body: bytes,
             entry: dict) -> tuple[int, bytes, dict]:
        """Authenticate, replay or run the handler; all under the backend lock."""
        backend = self.server.backend
        key = self.headers.get(IDEMPOTENCY_HEADER) if self.command != "GET" else None
        with backend.lock:
            try:
                body = self._parse_json(raw_body)
                caller = self._authenticate(route, entry)
                if key:
                    fingerprint = request_fingerprint(self.command, self.path, raw_query, raw_body,
                                                      self.headers.get("Authorization", ""))
                    replay = self._replay(key, fingerprint, entry)
                    if replay is not None:
                        return replay
                status, answer = self._call_handler(route, params, raw_query, body, caller)
            except ApiError as err:
                return self._error_answer(err)
            if key and status < 500:
                backend.idempotency.store(key, fingerprint, status, answer)
            return status, json.dumps(answer, ensure_ascii=False).encode("utf-8"), {}

    def _replay(self, key: str, fingerprint: str, entry: dict) -> Optional[tuple]:
        stored = self.server.backend.idempotency.lookup(key)
        if stored is None:
            return None
        stored_fingerprint, status, answer = stored
        if stored_fingerprint != fingerprint:
            raise ApiError(422, "idempotency_key_reused",
                           f"{IDEMPOTENCY_HEADER} was already used for a different request")
        entry["replayed"] = True
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        return status, payload, {"Idempotent-Replayed": "true"}

    def _call_handler(self, route: api.Route, params: dict, raw_query: str, body: dict,
                      caller) -> tuple[int, dict]:
        call = api.Call(backend=self.server.backend, params=params,
                        query=_flat_query(raw_query), body=body, caller=caller,
                        language=voice.language_of(self.headers.get("Accept-Language")))
        try:
            return 200, route.handler(call)
        except ApiError as err:
            return err.status, err.body()
        except Exception:  # a bug in a handler must not kill the connection silently
            with _stderr_lock:
                traceback.print_exc(file=sys.stderr)
            return 500, {"error": "internal_error", "message": f"{route.endpoint} failed"}

    @staticmethod
    def _error_answer(err: ApiError) -> tuple[int, bytes, dict]:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else {}
        return err.status, json.dumps(err.body(), ensure_ascii=False).encode("utf-8"), headers
