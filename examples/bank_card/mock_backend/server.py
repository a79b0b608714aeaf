#!/usr/bin/env python3
"""Mock backend of the Banque Azur card line (examples/bank_card/machine.yaml).

    python3 server.py [--host 127.0.0.1] [--port 8098] [--fail ENDPOINT=SPEC ...] [--quiet]

The first line on stdout is "listening on http://HOST:PORT" (with --port 0,
a free port). Request logs go to stderr. See README.md.
"""

import argparse
import ipaddress
import signal
import socket
import sys
import threading
from typing import Optional

from faults import parse_spec
from handler import ENDPOINT_NAMES, BankServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8098


def parse_args(argv: Optional[list]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="server.py",
                                     description="Mock backend of the Banque Azur card line.")
    parser.add_argument("--host", default=DEFAULT_HOST, help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port, 0 for a free one (default {DEFAULT_PORT})")
    parser.add_argument("--fail", action="append", default=[], metavar="ENDPOINT=SPEC",
                        help="a failure from the start, e.g. verify_pin=status:503,times:1")
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    return parser.parse_args(argv)


def loopback(host: str) -> tuple:
    """(family, address) of a loopback host; anything else is refused."""
    address = DEFAULT_HOST if host == "localhost" else host
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        parsed = None
    if parsed is None or not parsed.is_loopback:
        raise ValueError(f"refusing to listen on {host!r}: loopback addresses only")
    return (socket.AF_INET6 if parsed.version == 6 else socket.AF_INET), address


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    try:
        family, host = loopback(args.host)
        if not 0 <= args.port <= 65535:
            raise ValueError(f"the port must be 0 to 65535, got {args.port}")
        failures = []
        for item in args.fail:
            endpoint, sep, spec = item.partition("=")
            if not sep or endpoint not in ENDPOINT_NAMES:
                raise ValueError(f"--fail {item!r}: expected ENDPOINT=SPEC, ENDPOINT one of "
                                 f"{', '.join(ENDPOINT_NAMES)}")
            failures.append((endpoint, parse_spec(spec)))
    except ValueError as err:
        print(f"mock bank: error: {err}", file=sys.stderr)
        return 2
    try:
        server = BankServer((host, args.port), family, args.quiet)
    except OSError as err:
        print(f"mock bank: error: cannot listen on {host}:{args.port}: {err.strerror}",
              file=sys.stderr)
        return 1
    for endpoint, fault in failures:
        server.faults.set(endpoint, fault)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"listening on http://{url_host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
