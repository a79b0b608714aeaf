#!/usr/bin/env python3
"""Mock backend of the Synergia RDV IVR: the seed machine's endpoint contract over HTTP.

    python3 server.py --port 8099 [--host 127.0.0.1] [--otp-code 123456]
                      [--otp-ttl SEC] [--today YYYY-MM-DD]
                      [--fail ENDPOINT=SPEC ...] [--config FILE.json] [--quiet]

The first line on stdout is "listening on http://HOST:PORT" (useful with
--port 0, which picks a free port). Request logs go to stderr. See README.md.
"""

import argparse
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
from datetime import date
from typing import Optional

from api import ENDPOINT_NAMES
from appointments import MAX_APPOINTMENTS
from auth import E164
from backend import DEFAULT_OTP_CODE, CallerSeed, MockBackend, Settings
from errors import ApiError
from faults import ANY_ENDPOINT, parse_fault_spec
from handler import MockHTTPServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8099
OTP_CODE_ENV = "MOCK_OTP_CODE"
CONFIG_KEYS = ("host", "port", "otp_code", "otp_ttl_sec", "otp_max_attempts", "today",
               "callers", "fail", "quiet")
CALLER_KEYS = ("phone", "upcoming", "past", "partner_id", "name")


class UsageError(Exception):
    """A bad option or configuration value; the message says which and why."""


def parse_args(argv: Optional[list]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="server.py", description="Mock backend implementing the seed IVR's endpoints.")
    parser.add_argument("--host", help=f"loopback address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"port, 0 for a free one (default {DEFAULT_PORT})")
    parser.add_argument("--otp-code", help=f"test OTP code, digits or 'random' "
                        f"(default {DEFAULT_OTP_CODE}, or ${OTP_CODE_ENV})")
    parser.add_argument("--otp-ttl", type=float, metavar="SEC", help="OTP lifetime (default 600)")
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="fixed date for reproducible runs")
    parser.add_argument("--fail", action="append", default=[], metavar="ENDPOINT=SPEC",
                        help="inject a failure, e.g. request_otp=status:503,times:1")
    parser.add_argument("--config", metavar="FILE.json", help="configuration file")
    parser.add_argument("--quiet", action="store_true", default=None,
                        help="no request log on stderr")
    return parser.parse_args(argv)


def load_config(path: Optional[str]) -> dict:
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    if not isinstance(config, dict):
        raise UsageError(f"{path}: the configuration must be a JSON object")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise UsageError(f"{path}: unknown key(s) {', '.join(unknown)} "
                         f"(known: {', '.join(CONFIG_KEYS)})")
    return config


def _fault_entries(config: dict, cli_fails: list) -> dict:
    entries = dict(config.get("fail") or {})
    for item in cli_fails:
        endpoint, sep, spec = item.partition("=")
        if not sep:
            raise UsageError(f"--fail {item!r}: expected ENDPOINT=SPEC")
        entries[endpoint.strip()] = spec
    faults = {}
    for endpoint, spec in entries.items():
        if endpoint != ANY_ENDPOINT and endpoint not in ENDPOINT_NAMES:
            raise UsageError(f"failure for unknown endpoint {endpoint!r} "
                             f"(known: {', '.join(ENDPOINT_NAMES)}, or '*')")
        try:
            faults[endpoint] = parse_fault_spec(spec)
        except ValueError as err:
            raise UsageError(f"failure spec for {endpoint}: {err}") from None
    return faults


def _caller_seeds(config: dict) -> list:
    seeds = []
    for index, item in enumerate(config.get("callers") or []):
        if not isinstance(item, dict) or "phone" not in item:
            raise UsageError(f"callers[{index}]: expected an object with a 'phone'")
        unknown = sorted(set(item) - set(CALLER_KEYS))
        if unknown:
            raise UsageError(f"callers[{index}]: unknown key(s) {', '.join(unknown)}")
        if not isinstance(item["phone"], str) or not E164.fullmatch(item["phone"]):
            raise UsageError(f"callers[{index}]: 'phone' must be an E.164 number")
        for name in ("upcoming", "past"):
            count = item.get(name)
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                      or not 0 <= count <= MAX_APPOINTMENTS):
                raise UsageError(f"callers[{index}]: '{name}' must be 0 to {MAX_APPOINTMENTS}")
        partner_id = item.get("partner_id")
        if partner_id is not None and (isinstance(partner_id, bool) or not isinstance(partner_id, int)):
            raise UsageError(f"callers[{index}]: 'partner_id' must be a whole number")
        seeds.append(CallerSeed(phone=item["phone"], upcoming=item.get("upcoming"),
                                past=item.get("past"), partner_id=partner_id,
                                name=item.get("name")))
    return seeds


def _otp_code(value: str) -> str:
    if value == "random" or (value.isdigit() and 4 <= len(value) <= 10):
        return value
    raise UsageError("the OTP code must be 4 to 10 digits, or 'random'")


def _today(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today must be YYYY-MM-DD, got {value!r}") from None


def build_settings(args: argparse.Namespace, config: dict, env: dict) -> Settings:
    """Merge the sources: command line, then environment, then file, then defaults."""
    otp_code = args.otp_code or env.get(OTP_CODE_ENV) or config.get("otp_code") or DEFAULT_OTP_CODE
    ttl = args.otp_ttl if args.otp_ttl is not None else config.get("otp_ttl_sec", 600.0)
    max_attempts = config.get("otp_max_attempts", 5)
    if not isinstance(ttl, (int, float)) or ttl <= 0:
        raise UsageError("the OTP lifetime must be a positive number of seconds")
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise UsageError("otp_max_attempts must be a whole number of at least 1")
    return Settings(otp_code=_otp_code(str(otp_code)), otp_ttl_sec=float(ttl),
                    otp_max_attempts=max_attempts,
                    today=_today(args.today or config.get("today")),
                    callers=_caller_seeds(config), faults=_fault_entries(config, args.fail))


def loopback_address(host: str) -> tuple[int, str]:
    """Return (address family, address) for a loopback host; refuse anything else."""
    address = DEFAULT_HOST if host == "localhost" else host
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        parsed = None
    if parsed is None or not parsed.is_loopback:
        raise UsageError(f"refusing to listen on {host!r}: only loopback addresses "
                         "(127.0.0.0/8, ::1, localhost) are allowed")
    family = socket.AF_INET6 if parsed.version == 6 else socket.AF_INET
    return family, address


def _stop_on_signals(server: MockHTTPServer) -> None:
    """SIGTERM and SIGINT end serve_forever; shutdown() must run off the serving thread."""
    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(args.config)
        family, host = loopback_address(args.host or config.get("host", DEFAULT_HOST))
        port = args.port if args.port is not None else config.get("port", DEFAULT_PORT)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise UsageError(f"the port must be 0 to 65535, got {port!r}")
        quiet = bool(args.quiet or config.get("quiet", False))
        backend = MockBackend(build_settings(args, config, os.environ))
    except UsageError as err:
        print(f"mock backend: error: {err}", file=sys.stderr)
        return 2
    except ApiError as err:  # e.g. two configured callers with one partner id
        print(f"mock backend: error: invalid configuration: {err.message}", file=sys.stderr)
        return 2
    try:
        server = MockHTTPServer((host, port), family, backend, quiet)
    except OSError as err:
        print(f"mock backend: error: cannot listen on {host}:{port}: {err.strerror}",
              file=sys.stderr)
        return 1
    _stop_on_signals(server)
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"listening on http://{url_host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.wait_answered(timeout=2.0)
        server.server_close()
    if not quiet:
        print("mock backend: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
