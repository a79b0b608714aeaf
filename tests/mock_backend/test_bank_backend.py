#!/usr/bin/env python3
"""Tests of the Banque Azur mock backend (examples/bank_card/mock_backend).

Its pieces (Luhn, failure specs, JSON with cents) directly, then the server
over real HTTP on 127.0.0.1: started with --port 0, talked to with
http.client. Run directly or through meson test (exit status non-zero on
failure).
"""

import http.client
import json
import os
import subprocess
import sys
import unittest
from decimal import Decimal
from pathlib import Path

SOURCE_ROOT = Path(os.environ.get("IVRSM_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
BACKEND_DIR = SOURCE_ROOT / "examples" / "bank_card" / "mock_backend"
SERVER = BACKEND_DIR / "server.py"
sys.path.insert(0, str(BACKEND_DIR))
sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree

import bank  # noqa: E402  (found through BACKEND_DIR)
import faults  # noqa: E402
import jsonout  # noqa: E402

CAMILLE = "4970101234567893"  # PIN 1234, 1250.50, classic
LUCAS = "4970109876543213"  # PIN 4321, -85.20, premier
NORA = "4970105555000111"  # blocked
UNKNOWN = "4970100000000006"  # Luhn-valid, no such card


class Pieces(unittest.TestCase):
    def test_luhn(self):
        for number in (CAMILLE, LUCAS, NORA, UNKNOWN, "79927398713"):
            self.assertTrue(bank.luhn_valid(number), number)
        for number in ("4970101234567890", "79927398710", "1", "", "49701012345678x3"):
            self.assertFalse(bank.luhn_valid(number), number)

    def test_fault_specs(self):
        f = faults.parse_spec("status:503,times:2")
        self.assertEqual((f.status, f.times), (503, 2))
        self.assertEqual(faults.parse_spec("slow:3000").slow_ms, 3000)
        self.assertTrue(faults.parse_spec("garbage").garbage)
        for bad in ("", "status:200", "status:503,close", "slow:0", "times:1", "boom"):
            with self.assertRaises(ValueError, msg=bad):
                faults.parse_spec(bad)

    def test_fault_table_counts_times(self):
        table = faults.FaultTable()
        table.set("verify_pin", faults.parse_spec("status:503,times:2"))
        self.assertIsNotNone(table.take("verify_pin"))
        self.assertIsNotNone(table.take("verify_pin"))
        self.assertIsNone(table.take("verify_pin"))
        self.assertIsNone(table.take("lookup_card"))

    def test_amounts_keep_their_cents(self):
        self.assertEqual(jsonout.dumps({"balance": Decimal("1250.50"), "ok": True, "n": None}),
                         '{"balance":1250.50,"ok":true,"n":null}')
        self.assertEqual(jsonout.dumps([Decimal("-85.20"), "é"]), '[-85.20,"é"]')
        with self.assertRaises(ValueError):
            jsonout.dumps(Decimal("NaN"))


class Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            cls.proc.kill()
            raise RuntimeError(f"the mock did not start: {line!r} {cls.proc.stderr.read()}")
        host, _, port = line[len("listening on http://"):].rpartition(":")
        cls.address = (host, int(port))

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.proc.stdout.close()
        cls.proc.stderr.close()

    def call(self, method, path, body=None, token=None, raw=None):
        conn = http.client.HTTPConnection(*self.address, timeout=10)
        try:
            data = raw if raw is not None else (json.dumps(body) if body is not None else None)
            headers = {"Content-Type": "application/json"} if data is not None else {}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            conn.request(method, path, body=data, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            kind = answer.getheader("Content-Type")
            return answer.status, (json.loads(payload) if kind == "application/json" else payload)
        finally:
            conn.close()

    def setUp(self):
        self.assertEqual(self.call("POST", "/_mock/reset")[0], 200)

    def sign_in(self, number=CAMILLE, pin="1234"):
        status, card = self.call("POST", "/cards/lookup", {"number": number})
        self.assertEqual(status, 200)
        status, session = self.call("POST", f"/cards/{card['card_id']}/verify-pin", {"pin": pin})
        self.assertEqual(status, 200, session)
        return card["card_id"], session["session_token"]

    def test_lookup(self):
        self.assertEqual(self.call("POST", "/cards/lookup", {"number": LUCAS}),
                         (200, {"card_id": "card-543213", "status": "active", "tier": "premier",
                                "first_name": "Lucas", "last4": "3213"}))
        self.assertEqual(self.call("POST", "/cards/lookup", {"number": NORA})[1]["status"],
                         "blocked")
        status, body = self.call("POST", "/cards/lookup", {"number": UNKNOWN})
        self.assertEqual((status, body["error"]), (404, "unknown_card"))
        self.assertEqual(self.call("POST", "/cards/lookup", {"number": 12})[0], 400)
        self.assertEqual(self.call("POST", "/cards/lookup", raw="{not json")[0], 400)

    def test_pin_attempts_then_lock(self):
        self.assertEqual(self.call("POST", "/cards/card-567893/verify-pin", {"pin": "0000"}),
                         (401, {"error": "wrong_pin", "message": "wrong PIN", "attempts_left": 2}))
        self.assertEqual(
            self.call("POST", "/cards/card-567893/verify-pin", {"pin": "0000"})[1]["attempts_left"],
            1)
        status, body = self.call("POST", "/cards/card-567893/verify-pin", {"pin": "0000"})
        self.assertEqual((status, body["error"]), (423, "card_locked"))
        # Locked: even the right PIN is refused, and the card reads as blocked.
        self.assertEqual(self.call("POST", "/cards/card-567893/verify-pin", {"pin": "1234"})[0],
                         423)
        self.assertEqual(self.call("GET", f"/_mock/cards/{CAMILLE}"),
                         (200, {"status": "blocked", "wrong_pins": 3}))

    def test_right_pin_resets_the_count_and_gives_the_balance(self):
        self.call("POST", "/cards/card-567893/verify-pin", {"pin": "0000"})
        status, body = self.call("POST", "/cards/card-567893/verify-pin", {"pin": "1234"})
        self.assertEqual(status, 200)
        self.assertEqual(body["balance"], 1250.5)
        self.assertEqual(self.call("GET", f"/_mock/cards/{CAMILLE}")[1]["wrong_pins"], 0)

    def test_balance_needs_the_token_of_its_card(self):
        card_id, token = self.sign_in()
        self.assertEqual(self.call("GET", f"/cards/{card_id}/balance", token=token),
                         (200, {"balance": 1250.5, "currency": "EUR", "overdrawn": False}))
        self.assertEqual(self.call("GET", f"/cards/{card_id}/balance")[0], 401)
        self.assertEqual(self.call("GET", f"/cards/{card_id}/balance", token="tok-x")[0], 401)
        self.assertEqual(self.call("GET", "/cards/card-543213/balance", token=token)[0], 403)

    def test_block_once(self):
        card_id, token = self.sign_in()
        self.assertEqual(self.call("POST", f"/cards/{card_id}/block", {"reason": "stolen"},
                                   token=token), (200, {"reference": "OPP-000001"}))
        status, body = self.call("POST", f"/cards/{card_id}/block", {}, token=token)
        self.assertEqual((status, body["error"]), (409, "already_blocked"))
        self.assertEqual(self.call("POST", f"/cards/{card_id}/block", {"reason": "why"},
                                   token=token)[0], 400)

    def test_callbacks_are_recorded(self):
        self.assertEqual(self.call("POST", "/callbacks", {"phone": "+33612345678"}),
                         (201, {"callback_id": "cb-1"}))
        self.assertEqual(self.call("POST", "/callbacks", {"phone": ""})[0], 400)
        self.assertEqual(self.call("GET", "/_mock/callbacks"),
                         (200, {"callbacks": [{"phone": "+33612345678", "card_id": None}]}))

    def test_cards_added_by_a_test(self):
        self.assertEqual(self.call("POST", "/_mock/cards",
                                   {"number": UNKNOWN, "pin": "9999", "balance": "3.10",
                                    "first_name": "Zoé"}), (201, {"card_id": "card-000006"}))
        _, token = self.sign_in(UNKNOWN, "9999")
        self.assertEqual(self.call("GET", "/cards/card-000006/balance", token=token)[1]["balance"],
                         3.1)
        self.assertEqual(self.call("POST", "/_mock/cards", {"number": "4970100000000000"})[0],
                         400)

    def test_injected_failures(self):
        self.assertEqual(self.call("POST", "/_mock/fail",
                                   {"endpoint": "lookup_card", "spec": "status:503,times:1"})[0],
                         200)
        self.assertEqual(self.call("POST", "/cards/lookup", {"number": CAMILLE})[0], 503)
        self.assertEqual(self.call("POST", "/cards/lookup", {"number": CAMILLE})[0], 200)
        self.call("POST", "/_mock/fail", {"endpoint": "lookup_card", "spec": "garbage"})
        status, payload = self.call("POST", "/cards/lookup", {"number": CAMILLE})
        self.assertEqual(status, 200)
        self.assertIn(b"Bad Gateway", payload)
        self.assertEqual(self.call("DELETE", "/_mock/fail"), (200, {"failing": {}}))
        self.assertEqual(self.call("POST", "/cards/lookup", {"number": CAMILLE})[0], 200)
        self.assertEqual(self.call("POST", "/_mock/fail",
                                   {"endpoint": "nowhere", "spec": "status:500"})[0], 400)
        self.assertEqual(self.call("POST", "/_mock/fail",
                                   {"endpoint": "block_card", "spec": "status:200"})[0], 400)

    def test_unknown_paths(self):
        self.assertEqual(self.call("GET", "/cards/lookup")[0], 404)
        self.assertEqual(self.call("GET", "/_mock/nothing")[0], 404)
        self.assertEqual(self.call("GET", f"/_mock/cards/{UNKNOWN}")[0], 404)


class Arguments(unittest.TestCase):
    def run_server(self, *args):
        return subprocess.run([sys.executable, str(SERVER), *args], capture_output=True,
                              text=True, timeout=10)

    def test_refuses_other_than_loopback(self):
        done = self.run_server("--host", "0.0.0.0", "--port", "0")
        self.assertEqual(done.returncode, 2)
        self.assertIn("loopback addresses only", done.stderr)

    def test_bad_failure_option(self):
        done = self.run_server("--port", "0", "--fail", "verify_pin")
        self.assertEqual(done.returncode, 2)
        self.assertIn("expected ENDPOINT=SPEC", done.stderr)


if __name__ == "__main__":
    unittest.main()
