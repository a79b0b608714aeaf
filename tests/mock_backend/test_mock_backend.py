#!/usr/bin/env python3
"""Tests of the seed IVR's mock backend over real HTTP on 127.0.0.1.

Each test class starts examples/synergia_rdv/mock_backend/server.py on a
free port (--port 0) with a fixed date, and talks to it with urllib.
Run directly (python3 tests/mock_backend/test_mock_backend.py) or through
meson test; the exit status is non-zero on failure.
"""

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

SOURCE_ROOT = Path(os.environ.get("IVRSM_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
BACKEND_DIR = SOURCE_ROOT / "examples" / "synergia_rdv" / "mock_backend"
SERVER = BACKEND_DIR / "server.py"
sys.path.insert(0, str(BACKEND_DIR))
sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree

import faults  # noqa: E402  (found through BACKEND_DIR)
import voice  # noqa: E402

TODAY = "2026-11-30"  # a Monday
PHONE_THREE = "+33612345678"  # last digit 8: three upcoming, two past
PHONE_ONE = "+33612345671"  # last digit 1: one upcoming, two past
PHONE_NONE = "+33612345670"  # last digit 0: nothing
START_TIMEOUT = 10.0

FIRST_APPOINTMENT_VOICE = ("le jeudi 3 décembre à 14 heures 30, avec le docteur Martin, "
                           "au cabinet de Lyon")


class Response:
    """Status, headers and body of one HTTP answer."""

    def __init__(self, status: int, headers, payload: bytes) -> None:
        self.status = status
        self.headers = headers
        self.payload = payload

    def json(self):
        return json.loads(self.payload.decode("utf-8"))


class Client:
    """urllib client of one mock backend, with no proxy in the way."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body=None, token=None, headers=None,
             raw: bytes = None, timeout: float = 10.0) -> Response:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.headers, err.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.call("GET", path, **kwargs)

    def put(self, path: str, body=None, **kwargs) -> Response:
        return self.call("PUT", path, body=body if body is not None else {}, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> Response:
        return self.call("POST", path, body=body if body is not None else {}, **kwargs)

    def last_code(self, phone: str) -> dict:
        answer = self.get("/_mock/otp?phone=" + urllib.parse.quote(phone))
        assert answer.status == 200, answer.payload
        return answer.json()

    def login(self, phone: str = PHONE_THREE) -> tuple:
        """Request and verify a code; return (token, partner_id)."""
        challenge = self.put("/auth/request-otp", {"phone_e164": phone, "channel": "sms"}).json()
        code = self.last_code(phone)["code"]
        answer = self.put("/auth/verify-otp", {"phone_e164": phone, "otp": code,
                                               "challenge_id": challenge["challenge_id"]})
        assert answer.status == 200, answer.payload
        return answer.json()["session_token"], answer.json()["partner_id"]


def start_server(*args: str, env: dict = None, quiet: bool = True):
    """Start server.py on a free port; return (process, base URL)."""
    command = [sys.executable, str(SERVER), "--port", "0", "--today", TODAY, *args]
    if quiet:
        command.append("--quiet")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})}, text=True)
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("listening on http://"):
        process.kill()
        _, err = process.communicate()
        raise RuntimeError(f"server did not start: {line!r} {err}")
    return process, line.split()[-1]


def stop_server(process) -> tuple:
    """SIGTERM the server; return (exit status, stderr text)."""
    process.terminate()
    try:
        _, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return process.returncode, err


def run_server_expecting_exit(*args: str) -> tuple:
    """Run a server that must refuse to start; return (exit status, stderr)."""
    done = subprocess.run([sys.executable, str(SERVER), *args], capture_output=True,
                          text=True, timeout=20)
    return done.returncode, done.stderr


class ServerTestCase(unittest.TestCase):
    """One server for the class, reset before each test."""

    server_args: tuple = ()

    @classmethod
    def setUpClass(cls) -> None:
        cls.process, cls.base_url = start_server(*cls.server_args)
        cls.client = Client(cls.base_url)

    @classmethod
    def tearDownClass(cls) -> None:
        stop_server(cls.process)

    def setUp(self) -> None:
        self.assertEqual(self.client.post("/_mock/reset").status, 200)

    def assertError(self, answer: Response, status: int, code: str) -> dict:
        self.assertEqual(answer.status, status, answer.payload)
        body = answer.json()
        self.assertEqual(body["error"], code, body)
        return body


class VoiceTest(unittest.TestCase):
    """French speech rendering, module level."""

    def test_hours_as_spoken(self):
        self.assertEqual(voice.say_hour("14:30"), "14 heures 30")
        self.assertEqual(voice.say_hour("15:00"), "15 heures")
        self.assertEqual(voice.say_hour("09:05"), "9 heures 5")
        self.assertEqual(voice.say_hour("01:15"), "1 heure 15")

    def test_dates_as_spoken(self):
        from datetime import date
        today = date(2026, 11, 30)
        self.assertEqual(voice.say_date(date(2026, 12, 3), today), "le jeudi 3 décembre")
        self.assertEqual(voice.say_date(date(2026, 12, 1), today), "le mardi 1er décembre")
        self.assertEqual(voice.say_date(date(2027, 1, 4), today), "le lundi 4 janvier 2027")
        self.assertEqual(voice.say_when(date(2026, 12, 7), "09:00", today, "du"),
                         "du lundi 7 décembre à 9 heures")

    def test_lists_read_with_ordinals(self):
        self.assertEqual(voice.enumerate_phrases(["le a"], "Premier"), "Le a.")
        self.assertEqual(voice.enumerate_phrases(["a", "b", "c"], "Premier rendez-vous"),
                         "Premier rendez-vous : a. Deuxième : b. Troisième : c.")


class FaultSpecTest(unittest.TestCase):
    """The SPEC syntax of failure injection, module level."""

    def test_valid_specs(self):
        self.assertEqual(faults.parse_fault_spec("status:503"), faults.FaultSpec(status=503))
        self.assertEqual(faults.parse_fault_spec("slow:2000").slow_ms, 2000)
        spec = faults.parse_fault_spec(" close , times:3 ")
        self.assertTrue(spec.close)
        self.assertEqual(spec.times, 3)
        self.assertEqual(faults.parse_fault_spec("garbage,slow:10").text(), "slow:10,garbage")

    def test_invalid_specs_say_why(self):
        cases = {"": "empty", "status:200": "between 400 and 599", "status:abc": "whole number",
                 "slow:99999999": "between", "boom": "unknown item", "garbage:1": "takes no value",
                 "status:500,close": "choose one", "times:2": "does nothing",
                 "status:500,status:502": "given twice", "slow": "needs a value"}
        for text, reason in cases.items():
            with self.subTest(spec=text):
                with self.assertRaises(ValueError) as caught:
                    faults.parse_fault_spec(text)
                self.assertIn(reason, str(caught.exception))

    def test_times_counts_down_then_vanishes(self):
        table = faults.FaultTable()
        table.set("get_me", faults.parse_fault_spec("status:503,times:2"))
        self.assertEqual(table.snapshot(), {"get_me": "status:503,times:2"})
        self.assertEqual(table.take("get_me").status, 503)
        self.assertEqual(table.snapshot(), {"get_me": "status:503,times:1"})
        self.assertEqual(table.take("get_me").status, 503)
        self.assertIsNone(table.take("get_me"))

    def test_after_lets_the_first_requests_through(self):
        table = faults.FaultTable()
        table.set("list_appointments", faults.parse_fault_spec("after:1,status:503,times:1"))
        self.assertEqual(table.snapshot(), {"list_appointments": "status:503,times:1,after:1"})
        self.assertIsNone(table.take("list_appointments"))
        self.assertEqual(table.take("list_appointments").status, 503)
        self.assertIsNone(table.take("list_appointments"))
        self.assertEqual(table.snapshot(), {})


class HappyPathTest(ServerTestCase):
    """The seed machine's whole journey, endpoint by endpoint, as the IVR calls them."""

    def test_full_seed_journey(self):
        c = self.client
        ids = {"call_id": "call-1", "session_id": "sess-1"}
        # C0: send link
        answer = c.put("/portal/send-otp-link", {"phone_e164": PHONE_THREE,
                                                 "channel_preference": "sms_or_whatsapp", **ids})
        self.assertEqual((answer.status, answer.json()), (200, {"ok": True}))
        # C1: request and verify the code
        answer = c.put("/auth/request-otp", {"phone_e164": PHONE_THREE, "channel": "sms",
                                             "purpose": "portal_login", "role": "client", **ids})
        self.assertEqual(answer.status, 200)
        challenge_id = answer.json()["challenge_id"]
        self.assertTrue(challenge_id.startswith("chl-"))
        sent = c.last_code(PHONE_THREE)
        self.assertEqual(sent, {"phone_e164": PHONE_THREE, "code": "123456",
                                "challenge_id": challenge_id})
        answer = c.put("/auth/verify-otp", {"phone_e164": PHONE_THREE, "otp": "123456",
                                            "challenge_id": challenge_id, "role": "client", **ids})
        self.assertEqual(answer.status, 200)
        token, partner_id = answer.json()["session_token"], answer.json()["partner_id"]
        self.assertEqual(partner_id, 42)
        self.assertTrue(token)
        # persist_prefs: me
        me = c.get("/portal/me", token=token).json()
        self.assertEqual((me["partner_id"], me["phone_e164"]), (42, PHONE_THREE))
        # C2: lists
        upcoming = c.get("/appointments?scope=upcoming", token=token).json()
        self.assertEqual(upcoming["count"], 3)
        self.assertEqual(len(upcoming["appointments"]), 3)
        first = upcoming["appointments"][0]
        self.assertEqual({k: first[k] for k in ("id", "date", "time", "practitioner", "location",
                                                "mode")},
                         {"id": "apt-42-1", "date": "2026-12-03", "time": "14:30",
                          "practitioner": "Dr Martin", "location": "Cabinet de Lyon",
                          "mode": "clinic"})
        self.assertTrue(upcoming["summary_voice"].startswith(
            "Premier rendez-vous : " + FIRST_APPOINTMENT_VOICE + ". Deuxième : "))
        past = c.get("/appointments?scope=past", token=token).json()
        self.assertEqual(past["count"], 2)
        self.assertTrue(all(apt["date"] < TODAY for apt in past["appointments"]))
        # C3: detail, calendar, confirm, callback
        apt_id = first["id"]
        detail = c.get(f"/appointments/{apt_id}", token=token).json()
        self.assertEqual(detail["voice_detail"],
                         "Votre rendez-vous du jeudi 3 décembre à 14 heures 30, avec le docteur "
                         "Martin, au cabinet de Lyon. Il reste à confirmer.")
        ics = c.get(f"/appointments/{apt_id}/ics", token=token)
        self.assertEqual(ics.json(), {"sent": True, "channel": "email", "appointment_id": apt_id})
        confirmed = c.put(f"/appointments/{apt_id}/confirm", token=token)
        self.assertEqual(confirmed.json()["appointment"]["status"], "confirmed")
        callback = c.put(f"/appointments/{apt_id}/callback",
                         {"reason": "portal_callback", **ids}, token=token).json()
        self.assertEqual(callback, {"ok": True, "callback_id": "cb-42-1", "appointment_id": apt_id})
        # C5 -> C4: preferences, proposals, select
        prefs = {"date_from": "2026-12-07", "date_to": "2026-12-18", "time_window": "morning",
                 "mode": "video", **ids}
        answer = c.put(f"/appointments/{apt_id}/preferences", prefs, token=token)
        self.assertEqual((answer.status, answer.json()["ok"]), (200, True))
        slots = c.get(f"/appointments/{apt_id}/proposals", token=token).json()["slots"]
        self.assertEqual([s["id"] for s in slots], ["slot-1", "slot-2", "slot-3"])
        self.assertEqual(slots[0]["voice_label"], "le lundi 7 décembre à 9 heures")
        answer = c.put(f"/appointments/{apt_id}/propose-slots", {"reason": "none_of_these", **ids},
                       token=token)
        self.assertEqual(answer.json(), {"ok": True})
        new_slots = c.get(f"/appointments/{apt_id}/proposals", token=token).json()["slots"]
        self.assertEqual(len(new_slots), 3)
        self.assertFalse({s["id"] for s in new_slots} & {s["id"] for s in slots})
        chosen = new_slots[1]
        moved = c.put(f"/appointments/{apt_id}/select-slot", {"slot_id": chosen["id"], **ids},
                      token=token).json()
        self.assertEqual((moved["appointment"]["date"], moved["appointment"]["time"]),
                         (chosen["date"], chosen["time"]))
        self.assertEqual(moved["appointment"]["mode"], "video")
        # C7: share
        shared = c.put(f"/appointments/{apt_id}/share-link", {"channel": "whatsapp", **ids},
                       token=token)
        self.assertEqual(shared.json()["ok"], True)
        self.assertEqual(c.get("/portal/me", token=token).json()["preferred_channel"], "whatsapp")
        # C6: cancel another appointment
        other = upcoming["appointments"][1]["id"]
        cancelled = c.put(f"/appointments/{other}/cancel",
                          {"reason": "health", "comment": "", **ids}, token=token)
        self.assertEqual(cancelled.json()["appointment"]["status"], "cancelled")
        after = c.get("/appointments?scope=upcoming", token=token).json()
        self.assertEqual(after["count"], 2)
        self.assertNotIn(other, [apt["id"] for apt in after["appointments"]])
        # handoff audit
        notified = c.put("/agent/notify", {"queue_id": "care_queue_1", **ids}, token=token)
        self.assertEqual(notified.json(), {"ok": True, "notification_id": "ntf-1"})

    def test_prompt_texts_for_one_and_no_appointment(self):
        token, _ = self.client.login(PHONE_ONE)
        one = self.client.get("/appointments?scope=upcoming", token=token).json()
        self.assertEqual(one["count"], 1)
        self.assertEqual(one["summary_voice"], "L" + FIRST_APPOINTMENT_VOICE[1:] + ".")
        self.assertEqual(self.client.get("/appointments?scope=past", token=token).json()["count"], 2)
        token, _ = self.client.login(PHONE_NONE)
        none = self.client.get("/appointments?scope=upcoming", token=token).json()
        self.assertEqual((none["count"], none["appointments"]), (0, []))
        self.assertEqual(none["summary_voice"], "Vous n'avez aucun rendez-vous à venir.")
        past = self.client.get("/appointments?scope=past", token=token).json()
        self.assertEqual((past["count"], past["summary_voice"]),
                         (0, "Vous n'avez aucun rendez-vous passé."))

    def test_prompt_texts_in_english(self):
        """Accept-Language: en... words every spoken text in English; the data stays the same."""
        english = {"Accept-Language": "en-US"}
        token, _ = self.client.login(PHONE_THREE)
        c = self.client
        upcoming = c.get("/appointments?scope=upcoming", token=token, headers=english).json()
        self.assertEqual(upcoming["summary_voice"],
                         "First appointment: Thursday, December 3 at 2:30 PM, with Doctor Martin, "
                         "at the Lyon practice. Second: Tuesday, December 8 at 9:05 AM, with Doctor "
                         "Bernard, by video. Third: Tuesday, December 15 at 3 PM, with Doctor Petit, "
                         "at home.")
        self.assertEqual(upcoming["appointments"][0]["location"], "Cabinet de Lyon")
        detail = c.get("/appointments/apt-42-1", token=token, headers=english).json()
        self.assertEqual(detail["voice_detail"],
                         "Your appointment on Thursday, December 3 at 2:30 PM, with Doctor Martin, "
                         "at the Lyon practice. It is yet to be confirmed.")
        c.put("/appointments/apt-42-1/preferences",
              {"date_from": "2026-12-07", "date_to": "2026-12-18", "time_window": "afternoon",
               "mode": "clinic"}, token=token)
        proposals = c.get("/appointments/apt-42-1/proposals", token=token,
                          headers={"Accept-Language": "en-GB,en;q=0.8"}).json()
        self.assertEqual(proposals["slots"][0]["voice_label"], "Monday, December 7 at 2 PM")
        self.assertTrue(proposals["summary_voice"].startswith("First: Monday, December 7 at 2 PM."))
        # The same offer in French: the labels follow the request, the slots do not change.
        again = c.get("/appointments/apt-42-1/proposals", token=token,
                      headers={"Accept-Language": "fr-FR"}).json()
        self.assertEqual([s["id"] for s in again["slots"]], [s["id"] for s in proposals["slots"]])
        self.assertEqual(again["slots"][0]["voice_label"], "le lundi 7 décembre à 14 heures")
        token, _ = self.client.login(PHONE_NONE)
        none = c.get("/appointments?scope=past", token=token, headers=english).json()
        self.assertEqual(none["summary_voice"], "You have no past appointments.")
        # Anything but English is French, as before.
        for value in ("de-DE", "", "english", "*"):
            listing = c.get("/appointments?scope=upcoming", token=token,
                            headers={"Accept-Language": value}).json()
            self.assertEqual(listing["summary_voice"], "Vous n'avez aucun rendez-vous à venir.")

    def test_callers_settable_at_run_time(self):
        answer = self.client.post("/_mock/callers", {"phone": PHONE_THREE, "upcoming": 1,
                                                     "past": 0})
        self.assertEqual(answer.status, 200)
        self.assertEqual((answer.json()["upcoming_count"], answer.json()["past_count"]), (1, 0))
        token, partner_id = self.client.login(PHONE_THREE)
        self.assertEqual(partner_id, answer.json()["partner_id"])
        self.assertEqual(self.client.get("/appointments", token=token).json()["count"], 1)
        self.assertEqual(self.client.get("/appointments?scope=past", token=token).json()["count"], 0)
        self.assertError(self.client.post("/_mock/callers", {"phone": PHONE_THREE, "upcoming": 11}),
                         422, "invalid_caller")
        self.assertError(self.client.post("/_mock/callers", {"phone": "0612"}), 422, "invalid_phone")

    def test_partners_are_distinct_and_isolated(self):
        token_a, partner_a = self.client.login(PHONE_THREE)
        token_b, partner_b = self.client.login(PHONE_ONE)
        self.assertNotEqual(partner_a, partner_b)
        own = self.client.get("/appointments", token=token_a).json()["appointments"][0]["id"]
        self.assertError(self.client.get(f"/appointments/{own}", token=token_b),
                         404, "appointment_not_found")


class AuthTest(ServerTestCase):
    """OTP verification and bearer tokens."""

    def test_protected_endpoints_need_a_valid_token(self):
        protected = [("GET", "/portal/me"), ("GET", "/appointments?scope=upcoming"),
                     ("GET", "/appointments/apt-42-1"), ("PUT", "/appointments/apt-42-1/confirm"),
                     ("PUT", "/appointments/apt-42-1/cancel"),
                     ("PUT", "/appointments/apt-42-1/callback"),
                     ("GET", "/appointments/apt-42-1/ics"),
                     ("GET", "/appointments/apt-42-1/proposals"),
                     ("PUT", "/appointments/apt-42-1/select-slot"),
                     ("PUT", "/appointments/apt-42-1/preferences"),
                     ("PUT", "/appointments/apt-42-1/propose-slots"),
                     ("PUT", "/appointments/apt-42-1/share-link")]
        for method, path in protected:
            with self.subTest(path=path, method=method):
                body = {} if method == "PUT" else None
                missing = self.client.call(method, path, body=body)
                self.assertError(missing, 401, "missing_token")
                self.assertEqual(missing.headers["WWW-Authenticate"], "Bearer")
                self.assertError(self.client.call(method, path, body=body, token="forged"),
                                 401, "invalid_token")
        basic = self.client.get("/portal/me", headers={"Authorization": "Basic dTpw"})
        self.assertError(basic, 401, "invalid_token")

    def test_agent_notify_accepts_no_token_but_checks_a_given_one(self):
        self.assertEqual(self.client.put("/agent/notify", {"queue_id": "q"}).status, 200)
        self.assertError(self.client.put("/agent/notify", {}, token="forged"), 401, "invalid_token")

    def test_wrong_code_then_right_code(self):
        challenge = self.client.put("/auth/request-otp", {"phone_e164": PHONE_THREE}).json()
        wrong = self.client.put("/auth/verify-otp", {"phone_e164": PHONE_THREE, "otp": "000000",
                                                     "challenge_id": challenge["challenge_id"]})
        self.assertEqual(self.assertError(wrong, 401, "invalid_code")["attempts_left"], 4)
        right = self.client.put("/auth/verify-otp", {"phone_e164": PHONE_THREE, "otp": "123456",
                                                     "challenge_id": challenge["challenge_id"]})
        self.assertEqual(right.status, 200)

    def test_challenge_is_single_use_and_bound_to_its_phone(self):
        challenge_id = self.client.put("/auth/request-otp",
                                       {"phone_e164": PHONE_THREE}).json()["challenge_id"]
        other_phone = self.client.put("/auth/verify-otp", {"phone_e164": PHONE_ONE, "otp": "123456",
                                                           "challenge_id": challenge_id})
        self.assertError(other_phone, 410, "challenge_unknown")
        body = {"phone_e164": PHONE_THREE, "otp": "123456", "challenge_id": challenge_id}
        self.assertEqual(self.client.put("/auth/verify-otp", body).status, 200)
        self.assertError(self.client.put("/auth/verify-otp", body), 410, "challenge_unknown")
        self.assertError(self.client.put("/auth/verify-otp", {**body, "challenge_id": "chl-none"}),
                         410, "challenge_unknown")
        self.assertError(self.client.put("/auth/verify-otp", {**body, "challenge_id": ""}),
                         410, "challenge_unknown")

    def test_challenge_dies_after_five_wrong_codes(self):
        challenge_id = self.client.put("/auth/request-otp",
                                       {"phone_e164": PHONE_THREE}).json()["challenge_id"]
        wrong = {"phone_e164": PHONE_THREE, "otp": "999999", "challenge_id": challenge_id}
        lefts = [self.client.put("/auth/verify-otp", wrong).json()["attempts_left"]
                 for _ in range(5)]
        self.assertEqual(lefts, [4, 3, 2, 1, 0])
        self.assertError(self.client.put("/auth/verify-otp", {**wrong, "otp": "123456"}),
                         410, "challenge_unknown")

    def test_phone_and_code_formats_are_validated(self):
        for phone in ("0612345678", "+0612345678", "+33 6 12", "", None, 33612345678):
            with self.subTest(phone=phone):
                self.assertError(self.client.put("/auth/request-otp", {"phone_e164": phone}),
                                 422, "invalid_phone")
                self.assertError(self.client.put("/portal/send-otp-link", {"phone_e164": phone}),
                                 422, "invalid_phone")
        challenge_id = self.client.put("/auth/request-otp",
                                       {"phone_e164": PHONE_THREE}).json()["challenge_id"]
        for otp in ("12a456", 123456):
            with self.subTest(otp=otp):
                answer = self.client.put("/auth/verify-otp", {"phone_e164": PHONE_THREE, "otp": otp,
                                                              "challenge_id": challenge_id})
                self.assertEqual(answer.status, 422)
        self.assertError(self.client.put("/auth/verify-otp", {"phone_e164": PHONE_THREE,
                                                              "challenge_id": challenge_id}),
                         422, "missing_field")

    def test_otp_read_back(self):
        self.assertError(self.client.get("/_mock/otp?phone=%2B33699999999"), 404, "no_code_sent")
        self.client.put("/auth/request-otp", {"phone_e164": PHONE_THREE})
        # A raw "+" in a query string means a space; the read-back accepts it anyway.
        self.assertEqual(self.client.get("/_mock/otp?phone=+33612345678").json()["code"], "123456")
        self.assertError(self.client.get("/_mock/otp?phone=abc"), 422, "invalid_phone")


class AppointmentChangesTest(ServerTestCase):
    """confirm, cancel, preferences, proposals, select-slot and their refusals."""

    def setUp(self) -> None:
        super().setUp()
        self.token, self.partner = self.client.login(PHONE_THREE)
        self.first = f"apt-{self.partner}-1"
        self.past = f"apt-{self.partner}-4"

    def path(self, suffix: str = "", apt_id: str = None) -> str:
        return f"/appointments/{apt_id or self.first}{suffix}"

    def test_confirm_and_cancel_rules(self):
        c, token = self.client, self.token
        self.assertError(c.put(self.path("/confirm", self.past), token=token), 409,
                         "appointment_past")
        self.assertError(c.put(self.path("/cancel"), {"reason": "bored"}, token=token), 422,
                         "invalid_reason")
        self.assertError(c.put(self.path("/cancel"), {}, token=token), 422, "missing_field")
        self.assertEqual(c.put(self.path("/cancel"), {"reason": "personal", "comment": "imprévu"},
                               token=token).status, 200)
        self.assertError(c.put(self.path("/cancel"), {"reason": "personal"}, token=token), 409,
                         "appointment_cancelled")
        self.assertError(c.put(self.path("/confirm"), token=token), 409, "appointment_cancelled")
        self.assertError(c.get(self.path("/ics"), token=token), 409, "appointment_cancelled")
        detail = c.get(self.path(), token=token).json()
        self.assertEqual(detail["status"], "cancelled")
        self.assertTrue(detail["voice_detail"].endswith("Il a été annulé."))

    def test_cancelled_appointment_can_be_booked_again(self):
        c, token = self.client, self.token
        c.put(self.path("/cancel"), {"reason": "health"}, token=token)
        c.put(self.path("/preferences"), {"time_window": "afternoon", "mode": "clinic"}, token=token)
        slot = c.get(self.path("/proposals"), token=token).json()["slots"][0]
        booked = c.put(self.path("/select-slot"), {"slot_id": slot["id"]}, token=token).json()
        self.assertEqual(booked["appointment"]["status"], "confirmed")
        self.assertEqual(c.get("/appointments", token=token).json()["count"], 3)

    def test_unknown_ids_and_paths(self):
        c, token = self.client, self.token
        self.assertError(c.get("/appointments/apt-nope", token=token), 404, "appointment_not_found")
        self.assertError(c.put("/appointments//confirm", token=token), 404, "appointment_not_found")
        self.assertError(c.get("/nowhere", token=token), 404, "not_found")
        wrong_method = c.post(self.path("/confirm"), token=token)
        self.assertError(wrong_method, 405, "method_not_allowed")
        self.assertEqual(wrong_method.headers["Allow"], "PUT")
        self.assertError(c.get("/appointments?scope=future", token=token), 422, "invalid_scope")
        self.assertError(c.put(self.path("/confirm"), raw=b"{not json", token=token), 400,
                         "invalid_json")
        self.assertError(c.put(self.path("/confirm"), raw=b"[1, 2]", token=token), 400,
                         "invalid_json")
        self.assertError(c.put(self.path("/share-link"), {"channel": "fax"}, token=token), 422,
                         "invalid_channel")
        self.assertError(c.get(self.path("/ics") + "?channel=pigeon", token=token), 422,
                         "invalid_channel")

    def test_preferences_are_validated(self):
        good = {"date_from": "2026-12-07", "date_to": "2026-12-11", "time_window": "morning",
                "mode": "home"}
        bad_cases = [({"time_window": "evening"}, "time_window"), ({"mode": "phone"}, "mode"),
                     ({"date_from": "07/12/2026"}, "date_from"), ({"date_to": "2026-12-01"}, "date_to"),
                     ({"date_from": 20261207}, "date_from")]
        for change, field in bad_cases:
            with self.subTest(field=field):
                body = self.assertError(self.client.put(self.path("/preferences"), {**good, **change},
                                                        token=self.token), 422, "invalid_preferences")
                self.assertEqual(body["field"], field)
        missing = {k: v for k, v in good.items() if k != "mode"}
        self.assertError(self.client.put(self.path("/preferences"), missing, token=self.token), 422,
                         "invalid_preferences")
        self.assertError(self.client.put(self.path("/preferences", self.past), good,
                                         token=self.token), 409, "appointment_past")

    def test_proposals_honour_the_preferences(self):
        c, token = self.client, self.token
        c.put(self.path("/preferences"), {"date_from": "2026-12-07", "date_to": "2026-12-11",
                                          "time_window": "afternoon", "mode": "home"}, token=token)
        seen = set()
        for round_number in range(5):
            slots = c.get(self.path("/proposals"), token=token).json()["slots"]
            self.assertEqual(len(slots), 3)
            for slot in slots:
                self.assertTrue("2026-12-07" <= slot["date"] <= "2026-12-11", slot)
                self.assertGreaterEqual(slot["time"], "12:00")
                self.assertEqual(slot["mode"], "home")
                seen.add((slot["date"], slot["time"]))
            c.put(self.path("/propose-slots"), {"reason": "none_of_these"}, token=token)
        self.assertEqual(len(seen), 15, "five rounds over 5 days x 3 times never repeat")

    def test_as_soon_as_possible_skips_today_and_weekends(self):
        c, token = self.client, self.token
        c.put(self.path("/preferences"), {"date_from": "2026-11-01", "date_to": "",
                                          "time_window": "morning", "mode": "clinic"}, token=token)
        answer = c.get(self.path("/proposals"), token=token).json()
        self.assertEqual([s["date"] for s in answer["slots"]],
                         ["2026-12-01", "2026-12-02", "2026-12-03"])
        self.assertTrue(answer["summary_voice"].startswith(
            "Premier : le mardi 1er décembre à 9 heures. Deuxième : "))
        weekend = {"date_from": "2026-12-05", "date_to": "2026-12-06", "time_window": "morning",
                   "mode": "clinic"}
        c.put(self.path("/preferences"), weekend, token=token)
        dates = {s["date"] for s in c.get(self.path("/proposals"), token=token).json()["slots"]}
        self.assertTrue(dates <= {"2026-12-05", "2026-12-06"})

    def test_select_slot_refusals(self):
        c, token = self.client, self.token
        self.assertError(c.put(self.path("/select-slot"), {"slot_id": "slot-1"}, token=token), 409,
                         "slot_unavailable")
        slots = c.get(self.path("/proposals"), token=token).json()["slots"]
        self.assertError(c.put(self.path("/select-slot"), {"slot_id": "slot-99"}, token=token),
                         409, "slot_unavailable")
        self.assertError(c.put(self.path("/select-slot"), {}, token=token), 422, "missing_field")
        c.put(self.path("/propose-slots"), token=token)
        c.get(self.path("/proposals"), token=token)
        self.assertError(c.put(self.path("/select-slot"), {"slot_id": slots[0]["id"]}, token=token),
                         409, "slot_unavailable")
        self.assertError(c.get(self.path("/proposals", self.past), token=token), 409,
                         "appointment_past")

    def test_select_slot_reorders_the_upcoming_list(self):
        c, token = self.client, self.token
        last = f"apt-{self.partner}-3"
        slot = c.get(self.path("/proposals", last), token=token).json()["slots"][0]
        self.assertEqual(slot["date"], "2026-12-01")
        c.put(self.path("/select-slot", last), {"slot_id": slot["id"]}, token=token)
        listing = c.get("/appointments", token=token).json()
        self.assertEqual(listing["appointments"][0]["id"], last)
        self.assertTrue(listing["summary_voice"].startswith(
            "Premier rendez-vous : le mardi 1er décembre à 9 heures, avec le docteur Petit, "
            "à domicile."))


class FailureInjectionTest(ServerTestCase):
    """status, garbage, close, slow, times:N, per request, and clearing."""

    def setUp(self) -> None:
        super().setUp()
        self.token, _ = self.client.login(PHONE_THREE)

    def set_fault(self, endpoint: str, spec: str, **extra) -> Response:
        return self.client.post("/_mock/fail", {"endpoint": endpoint, "spec": spec, **extra})

    def test_status(self):
        self.assertEqual(self.set_fault("get_me", "status:503").status, 200)
        for _ in range(3):
            body = self.assertError(self.client.get("/portal/me", token=self.token), 503,
                                    "injected_failure")
            self.assertEqual(body["status"], 503)
        self.assertEqual(self.client.get("/appointments", token=self.token).status, 200)

    def test_times_then_back_to_normal(self):
        self.set_fault("list_appointments", "status:500", times=2)
        self.assertEqual(self.client.get("/_mock/fail").json(),
                         {"faults": {"list_appointments": "status:500,times:2"}})
        statuses = [self.client.get("/appointments", token=self.token).status for _ in range(3)]
        self.assertEqual(statuses, [500, 500, 200])
        self.assertEqual(self.client.get("/_mock/fail").json(), {"faults": {}})
        self.set_fault("get_me", "status:502,times:1")
        self.assertEqual([self.client.get("/portal/me", token=self.token).status for _ in range(2)],
                         [502, 200])

    def test_garbage(self):
        self.set_fault("get_appointment", "garbage")
        answer = self.client.get("/appointments/apt-42-1", token=self.token)
        self.assertEqual(answer.status, 200)
        with self.assertRaises(json.JSONDecodeError):
            json.loads(answer.payload.decode())

    def test_close(self):
        self.set_fault("confirm_appointment", "close,times:1")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError,
                                urllib.error.URLError)):
            self.client.put("/appointments/apt-42-1/confirm", token=self.token)
        logged = self.client.get("/_mock/requests?endpoint=confirm_appointment").json()
        self.assertEqual(logged["requests"][-1]["status"], "closed")
        detail = self.client.get("/appointments/apt-42-1", token=self.token).json()
        self.assertEqual(detail["status"], "scheduled", "an injected failure changes nothing")
        self.assertEqual(self.client.put("/appointments/apt-42-1/confirm", token=self.token).status,
                         200)

    def test_slow_then_normal_answer(self):
        self.set_fault("get_me", "slow:300,times:1")
        started = time.monotonic()
        answer = self.client.get("/portal/me", token=self.token)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertEqual(answer.json()["partner_id"], 42)
        self.set_fault("get_me", "slow:200,status:504")
        started = time.monotonic()
        self.assertError(self.client.get("/portal/me", token=self.token), 504, "injected_failure")
        self.assertGreaterEqual(time.monotonic() - started, 0.2)

    def test_per_request_header(self):
        answer = self.client.get("/portal/me", token=self.token, headers={"X-Mock-Fail": "status:500"})
        self.assertError(answer, 500, "injected_failure")
        self.assertEqual(self.client.get("/portal/me", token=self.token).status, 200)
        garbage = self.client.get("/portal/me", token=self.token, headers={"X-Mock-Fail": "garbage"})
        self.assertEqual(garbage.status, 200)
        self.assertNotEqual(garbage.payload[:1], b"{")
        self.assertError(self.client.get("/portal/me", token=self.token,
                                         headers={"X-Mock-Fail": "explode"}),
                         400, "invalid_fault_spec")

    def test_every_endpoint_can_fail(self):
        calls = {"send_magic_link": ("PUT", "/portal/send-otp-link"),
                 "request_otp": ("PUT", "/auth/request-otp"),
                 "verify_otp": ("PUT", "/auth/verify-otp"), "get_me": ("GET", "/portal/me"),
                 "list_appointments": ("GET", "/appointments"),
                 "get_appointment": ("GET", "/appointments/apt-42-1"),
                 "confirm_appointment": ("PUT", "/appointments/apt-42-1/confirm"),
                 "cancel_appointment": ("PUT", "/appointments/apt-42-1/cancel"),
                 "request_callback": ("PUT", "/appointments/apt-42-1/callback"),
                 "send_ics": ("GET", "/appointments/apt-42-1/ics"),
                 "get_proposals": ("GET", "/appointments/apt-42-1/proposals"),
                 "select_slot": ("PUT", "/appointments/apt-42-1/select-slot"),
                 "submit_preferences": ("PUT", "/appointments/apt-42-1/preferences"),
                 "propose_new_slots": ("PUT", "/appointments/apt-42-1/propose-slots"),
                 "share_link": ("PUT", "/appointments/apt-42-1/share-link"),
                 "notify_agent": ("PUT", "/agent/notify")}
        for endpoint, (method, path) in calls.items():
            with self.subTest(endpoint=endpoint):
                self.assertEqual(self.set_fault(endpoint, "status:503,times:1").status, 200)
                answer = self.client.call(method, path, body={} if method == "PUT" else None,
                                          token=self.token)
                self.assertError(answer, 503, "injected_failure")
                logged = self.client.get(f"/_mock/requests?endpoint={endpoint}").json()["requests"]
                self.assertEqual((logged[-1]["fault"], logged[-1]["status"]),
                                 ("status:503,times:1", 503))

    def test_any_endpoint_and_clearing(self):
        self.set_fault("*", "status:503")
        self.set_fault("get_me", "status:502")
        self.assertEqual(self.client.get("/portal/me", token=self.token).status, 502)
        self.assertEqual(self.client.get("/appointments", token=self.token).status, 503)
        self.assertEqual(self.client.get("/_mock/health").status, 200, "admin never fails")
        cleared = self.client.call("DELETE", "/_mock/fail?endpoint=get_me")
        self.assertEqual(cleared.json(), {"ok": True, "cleared": 1})
        self.assertEqual(self.client.get("/portal/me", token=self.token).status, 503)
        self.assertEqual(self.client.call("DELETE", "/_mock/fail").json()["cleared"], 1)
        self.assertEqual(self.client.get("/portal/me", token=self.token).status, 200)

    def test_bad_fault_configuration(self):
        self.assertError(self.set_fault("get_everything", "status:503"), 422, "unknown_endpoint")
        self.assertError(self.set_fault("get_me", "status:99"), 422, "invalid_fault_spec")
        self.assertError(self.set_fault("get_me", "status:503", times=0), 422, "invalid_fault_spec")
        self.assertError(self.client.post("/_mock/fail", {"endpoint": "get_me"}), 422,
                         "invalid_fault_spec")

    def test_reset_clears_run_time_faults(self):
        self.set_fault("get_me", "status:503")
        self.client.post("/_mock/reset")
        token, _ = self.client.login(PHONE_THREE)
        self.assertEqual(self.client.get("/portal/me", token=token).status, 200)


class IdempotencyTest(ServerTestCase):
    """The Idempotency-Key header replays the first answer."""

    def setUp(self) -> None:
        super().setUp()
        self.token, _ = self.client.login(PHONE_THREE)

    def put(self, path: str, body=None, key: str = None, headers: dict = None) -> Response:
        headers = {**(headers or {}), **({"Idempotency-Key": key} if key else {})}
        return self.client.put(path, body, token=self.token, headers=headers)

    def test_same_key_replays_without_reapplying(self):
        first = self.put("/appointments/apt-42-1/callback", {"reason": "portal_callback"}, key="k-1")
        again = self.put("/appointments/apt-42-1/callback", {"reason": "portal_callback"}, key="k-1")
        self.assertEqual(first.json(), again.json())
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        other = self.put("/appointments/apt-42-1/callback", {"reason": "portal_callback"}, key="k-2")
        self.assertEqual(other.json()["callback_id"], "cb-42-2")
        self.assertEqual(first.json()["callback_id"], "cb-42-1")

    def test_cancel_twice_with_one_key(self):
        body = {"reason": "personal", "comment": "non"}
        self.assertEqual(self.put("/appointments/apt-42-1/cancel", body, key="cancel-1").status, 200)
        self.assertEqual(self.put("/appointments/apt-42-1/cancel", body, key="cancel-1").status, 200)
        self.assertError(self.put("/appointments/apt-42-1/cancel", body, key="cancel-2"), 409,
                         "appointment_cancelled")
        logged = self.client.get("/_mock/requests?endpoint=cancel_appointment").json()["requests"]
        self.assertEqual([entry["replayed"] for entry in logged], [False, True, False])

    def test_key_reused_for_another_request(self):
        self.put("/appointments/apt-42-1/confirm", key="k-9")
        self.assertError(self.put("/appointments/apt-42-2/confirm", key="k-9"), 422,
                         "idempotency_key_reused")

    def test_errors_below_500_are_replayed_too(self):
        first = self.put("/appointments/apt-42-1/select-slot", {"slot_id": "slot-1"}, key="sel")
        self.assertError(first, 409, "slot_unavailable")
        self.client.get("/appointments/apt-42-1/proposals", token=self.token)
        self.assertError(self.put("/appointments/apt-42-1/select-slot", {"slot_id": "slot-1"},
                                  key="sel"), 409, "slot_unavailable")

    def test_injected_failures_are_not_remembered(self):
        failed = self.put("/appointments/apt-42-1/confirm", key="c-1",
                          headers={"X-Mock-Fail": "status:503"})
        self.assertEqual(failed.status, 503)
        retry = self.put("/appointments/apt-42-1/confirm", key="c-1")
        self.assertEqual(retry.status, 200)
        self.assertNotIn("Idempotent-Replayed", retry.headers)
        self.assertEqual(retry.json()["appointment"]["status"], "confirmed")

    def test_concurrent_requests_with_one_key_apply_once(self):
        answers = []

        def send():
            answers.append(self.put("/appointments/apt-42-1/callback", {}, key="burst").json())
        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual({answer["callback_id"] for answer in answers}, {"cb-42-1"})


class ConcurrencyTest(ServerTestCase):
    """Slow endpoints do not block others."""

    def test_twenty_parallel_slow_requests_take_about_one_delay(self):
        token, _ = self.client.login(PHONE_THREE)
        delay = 1.0
        statuses = []

        def slow_call():
            answer = self.client.get("/portal/me", token=token,
                                     headers={"X-Mock-Fail": f"slow:{int(delay * 1000)}"})
            statuses.append(answer.status)
        threads = [threading.Thread(target=slow_call) for _ in range(20)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        quick = self.client.get("/appointments", token=token)
        quick_elapsed = time.monotonic() - started
        for thread in threads:
            thread.join(30)
        elapsed = time.monotonic() - started
        self.assertEqual(statuses, [200] * 20)
        self.assertEqual(quick.status, 200)
        self.assertLess(quick_elapsed, delay, "a fast call is not queued behind slow ones")
        self.assertGreaterEqual(elapsed, delay)
        self.assertLess(elapsed, 2.5 * delay)


class RequestLogTest(ServerTestCase):
    """GET /_mock/requests shows what the IVR sent, without secrets."""

    def test_log_content_and_redaction(self):
        token, _ = self.client.login(PHONE_THREE)
        self.client.put("/appointments/apt-42-1/share-link", {"channel": "sms", "call_id": "c-7"},
                        token=token, headers={"Idempotency-Key": "sess-1:12"})
        log = self.client.get("/_mock/requests").json()
        self.assertEqual([entry["endpoint"] for entry in log["requests"]],
                         ["request_otp", "verify_otp", "share_link"])
        verify, share = log["requests"][1], log["requests"][2]
        self.assertEqual(verify["body"]["otp"], "[redacted]")
        self.assertEqual(verify["body"]["phone_e164"], PHONE_THREE)
        self.assertEqual(share["headers"]["Authorization"], "Bearer [redacted]")
        self.assertEqual(share["headers"]["Idempotency-Key"], "sess-1:12")
        self.assertEqual((share["method"], share["path"], share["status"], share["authorized"]),
                         ("PUT", "/appointments/apt-42-1/share-link", 200, True))
        self.assertEqual(share["body"], {"channel": "sms", "call_id": "c-7"})
        text = json.dumps(log)
        self.assertNotIn(token, text)
        self.assertNotIn('"123456"', text)

    def test_query_filters_and_unmatched_paths(self):
        token, _ = self.client.login(PHONE_THREE)
        self.client.get("/appointments?scope=past", token=token)
        self.client.get("/unknown/path", token=token)
        log = self.client.get("/_mock/requests?since=2").json()["requests"]
        self.assertEqual([entry["seq"] for entry in log], [3, 4])
        self.assertEqual(log[0]["query"], {"scope": "past"})
        self.assertEqual((log[1]["endpoint"], log[1]["status"]), (None, 404))
        only = self.client.get("/_mock/requests?endpoint=verify_otp").json()
        self.assertEqual(only["count"], 1)
        self.assertEqual(self.client.call("DELETE", "/_mock/requests").json(), {"ok": True})
        self.assertEqual(self.client.get("/_mock/requests").json()["count"], 0)

    def test_reset_restores_everything(self):
        token, _ = self.client.login(PHONE_THREE)
        self.client.put("/appointments/apt-42-1/cancel", {"reason": "other"}, token=token)
        self.assertEqual(self.client.post("/_mock/reset").json(), {"ok": True})
        self.assertEqual(self.client.get("/_mock/requests").json()["count"], 0)
        self.assertError(self.client.get("/portal/me", token=token), 401, "invalid_token")
        self.assertEqual(self.client.get("/_mock/callers").json(), {"callers": []})
        token, partner = self.client.login(PHONE_THREE)
        self.assertEqual(partner, 42)
        self.assertEqual(self.client.get("/appointments", token=token).json()["count"], 3)

    def test_admin_endpoints(self):
        self.assertEqual(self.client.get("/_mock/health").json(), {"ok": True})
        self.assertError(self.client.call("PUT", "/_mock/health", body={}), 405, "method_not_allowed")
        self.assertError(self.client.get("/_mock/nothing"), 404, "not_found")
        self.client.login(PHONE_ONE)
        caller = self.client.get("/_mock/callers?phone=%2B33612345671").json()
        self.assertEqual((caller["upcoming_count"], len(caller["appointments"])), (1, 3))
        self.assertError(self.client.get("/_mock/callers?phone=%2B33600000002"), 404,
                         "unknown_caller")


class ProtocolTest(ServerTestCase):
    """HTTP/1.1 details: headers, UTF-8, keep-alive, chunked bodies, bad requests."""

    def connection(self) -> http.client.HTTPConnection:
        url = urllib.parse.urlsplit(self.base_url)
        return http.client.HTTPConnection(url.hostname, url.port, timeout=10)

    def test_json_headers_and_utf8(self):
        token, _ = self.client.login(PHONE_THREE)
        answer = self.client.get("/appointments", token=token)
        self.assertEqual(answer.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(int(answer.headers["Content-Length"]), len(answer.payload))
        self.assertIn("décembre".encode("utf-8"), answer.payload)
        error = self.client.get("/portal/me")
        self.assertEqual(error.headers["Content-Type"], "application/json; charset=utf-8")

    def test_keep_alive(self):
        connection = self.connection()
        connection.request("GET", "/_mock/health")
        first = connection.getresponse()
        self.assertEqual(first.read(), b'{"ok": true}')
        sock = connection.sock
        connection.request("PUT", "/auth/request-otp", body=json.dumps({"phone_e164": PHONE_THREE}),
                           headers={"Content-Type": "application/json"})
        second = connection.getresponse()
        self.assertEqual(second.status, 200)
        second.read()
        self.assertIs(connection.sock, sock, "the connection was reused")
        connection.close()

    def test_chunked_body(self):
        connection = self.connection()
        chunks = [b'{"phone_e164": ', b'"+33612345678"}']
        connection.request("PUT", "/auth/request-otp", body=iter(chunks), encode_chunked=True,
                           headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        self.assertEqual(answer.status, 200)
        self.assertIn("challenge_id", json.loads(answer.read()))
        connection.close()

    def raw_exchange(self, request: bytes) -> tuple:
        url = urllib.parse.urlsplit(self.base_url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return head, json.loads(body)

    def test_malformed_requests_get_json_errors(self):
        cases = {b"GET /portal/me HTTP/1.x\r\n\r\n": b"HTTP/1.1 400",
                 b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n": b"HTTP/1.1 501",
                 b"PUT /auth/request-otp HTTP/1.1\r\nContent-Length: x\r\n\r\n": b"HTTP/1.1 400"}
        for request, status_line in cases.items():
            with self.subTest(request=request):
                head, body = self.raw_exchange(request)
                self.assertTrue(head.startswith(status_line), head)
                self.assertIn(b"Content-Type: application/json; charset=utf-8", head)
                self.assertIn(b"Connection: close", head)
                self.assertIn("error", body)

    def test_oversized_body_is_refused_before_it_is_read(self):
        # Only the headers are sent: the answer must come without the body.
        for expect in (b"", b"Expect: 100-continue\r\n"):
            with self.subTest(expect=expect):
                head, body = self.raw_exchange(b"PUT /auth/request-otp HTTP/1.1\r\nHost: x\r\n"
                                               b"Content-Length: 2000000\r\n" + expect + b"\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
                self.assertEqual(body["error"], "body_too_large")


class CommandLineTest(unittest.TestCase):
    """Options, configuration file, environment, refusals and shutdown."""

    def test_fail_option_and_reset_restores_it(self):
        process, base_url = start_server("--fail", "request_otp=status:503,times:1",
                                         "--fail", "get_me=garbage")
        try:
            client = Client(base_url)
            self.assertEqual(client.get("/_mock/fail").json()["faults"],
                             {"get_me": "garbage", "request_otp": "status:503,times:1"})
            body = {"phone_e164": PHONE_THREE}
            self.assertEqual([client.put("/auth/request-otp", body).status for _ in range(2)],
                             [503, 200])
            client.post("/_mock/reset")
            self.assertEqual(client.put("/auth/request-otp", body).status, 503)
        finally:
            self.assertEqual(stop_server(process)[0], 0)

    def test_config_file_and_environment(self):
        config = {"otp_code": "111111", "today": "2027-03-01",
                  "callers": [{"phone": "+33700000005", "upcoming": 1, "past": 0,
                               "partner_id": 7, "name": "Alex Morel"}],
                  "fail": {"share_link": "status:500"}}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(config, handle)
        try:
            process, base_url = start_server("--config", handle.name,
                                             env={"MOCK_OTP_CODE": "654321"})
        finally:
            os.unlink(handle.name)
        try:
            client = Client(base_url)
            self.assertEqual(client.get("/_mock/fail").json()["faults"], {"share_link": "status:500"})
            client.put("/auth/request-otp", {"phone_e164": "+33700000005"})
            self.assertEqual(client.last_code("+33700000005")["code"], "654321",
                             "the environment wins over the file")
            token, partner_id = client.login("+33700000005")
            self.assertEqual(partner_id, 7)
            me = client.get("/portal/me", token=token).json()
            self.assertEqual((me["name"], me["upcoming_count"], me["past_count"]),
                             ("Alex Morel", 1, 0))
            listing = client.get("/appointments", token=token).json()
            self.assertEqual(listing["appointments"][0]["date"], "2026-12-03",
                             "--today on the command line wins over the file")
        finally:
            stop_server(process)

    def test_random_otp_code_and_expiry(self):
        process, base_url = start_server("--otp-code", "random", "--otp-ttl", "0.3")
        try:
            client = Client(base_url)
            challenge = client.put("/auth/request-otp", {"phone_e164": PHONE_THREE}).json()
            code = client.last_code(PHONE_THREE)["code"]
            self.assertRegex(code, r"^[0-9]{6}$")
            time.sleep(0.5)
            expired = client.put("/auth/verify-otp", {"phone_e164": PHONE_THREE, "otp": code,
                                                      "challenge_id": challenge["challenge_id"]})
            self.assertEqual((expired.status, expired.json()["error"]), (410, "challenge_expired"))
            token, _ = client.login(PHONE_THREE)
            self.assertEqual(client.get("/portal/me", token=token).status, 200)
        finally:
            stop_server(process)

    def test_refuses_non_loopback_hosts(self):
        for host in ("0.0.0.0", "192.168.1.10", "example.org", "::"):
            with self.subTest(host=host):
                status, err = run_server_expecting_exit("--port", "0", "--host", host)
                self.assertEqual(status, 2)
                self.assertIn("only loopback addresses", err)

    def test_localhost_means_loopback(self):
        process, base_url = start_server("--host", "localhost")
        try:
            self.assertTrue(base_url.startswith("http://127.0.0.1:"))
        finally:
            stop_server(process)

    def test_ipv6_loopback(self):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback on this machine")
        process, base_url = start_server("--host", "::1")
        try:
            self.assertTrue(base_url.startswith("http://[::1]:"))
            self.assertEqual(Client(base_url).get("/_mock/health").json(), {"ok": True})
        finally:
            stop_server(process)

    def test_bad_options_are_reported(self):
        cases = [(("--fail", "get_everything=status:503"), "unknown endpoint"),
                 (("--fail", "get_me"), "ENDPOINT=SPEC"),
                 (("--fail", "get_me=status:600"), "between 400 and 599"),
                 (("--otp-code", "12ab"), "4 to 10 digits"),
                 (("--today", "30/11/2026"), "YYYY-MM-DD"),
                 (("--config", "/nonexistent/mock.json"), "cannot read")]
        for args, message in cases:
            with self.subTest(args=args):
                status, err = run_server_expecting_exit("--port", "0", *args)
                self.assertEqual(status, 2)
                self.assertIn(message, err)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write('{"otp": "1"}')
        try:
            status, err = run_server_expecting_exit("--port", "0", "--config", handle.name)
        finally:
            os.unlink(handle.name)
        self.assertEqual(status, 2)
        self.assertIn("unknown key(s) otp", err)

    def test_clean_shutdown_on_sigint(self):
        process, _ = start_server()
        process.send_signal(signal.SIGINT)
        self.assertEqual(process.wait(10), 0)
        process.stdout.close()
        process.stderr.close()

    def test_stop_waits_for_the_request_being_answered(self):
        """A stop while a request is being answered lets it end: the client gets its answer
        and the log its line (handler threads are daemons, cut short at exit otherwise)."""
        process, base_url = start_server(quiet=False)
        try:
            client = Client(base_url)
            answers = []
            slow = threading.Thread(target=lambda: answers.append(
                client.get("/portal/me", headers={"X-Mock-Fail": "slow:700"})))
            slow.start()
            time.sleep(0.3)  # the request is in the server, waiting its 700 ms
        finally:
            status, err = stop_server(process)
        slow.join(10)
        self.assertEqual(status, 0)
        self.assertEqual(len(answers), 1)
        self.assertEqual(answers[0].status, 401)  # no token: answered all the same
        self.assertRegex(err, r"GET /portal/me 401 [0-9.]+ms\nmock backend: stopped")

    def test_request_log_on_stderr_has_no_secrets(self):
        process, base_url = start_server(quiet=False)
        try:
            client = Client(base_url)
            token, _ = client.login(PHONE_THREE)
            client.get("/appointments?scope=upcoming", token=token)
        finally:
            status, err = stop_server(process)
        self.assertEqual(status, 0)
        self.assertRegex(err, r"PUT /auth/verify-otp 200 [0-9.]+ms")
        self.assertRegex(err, r"GET /appointments 200 [0-9.]+ms")
        self.assertNotIn(token, err)
        self.assertNotIn("123456", err)
        self.assertNotIn("scope=", err)
        self.assertNotIn("33612345678", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
