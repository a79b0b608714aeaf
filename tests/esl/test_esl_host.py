#!/usr/bin/env python3
"""The ESL host against a fake FreeSWITCH and the seed's mock backend.

    test_esl_host.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH

Each test starts the mock backend and the fake FreeSWITCH on ephemeral
ports of 127.0.0.1, runs ivrsm-esl-host against them, waits until the
fake's scripted callers are done, stops everything (SIGTERM) and reads
what the fake recorded: every application executed per call, every
command line and header received, and the raw bytes.
"""

import datetime
import http.server
import json
import os
import pathlib
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fs_model  # noqa: E402
ROOT = pathlib.Path(os.environ.get("IVRSM_SOURCE_ROOT", HERE.parent.parent)).resolve()
SEED = ROOT / "examples" / "synergia_rdv" / "machine.yaml"
INJECT = HERE / "inject_machine.yaml"
EXPANDER = HERE / "expander_machine.yaml"
BILINGUAL = HERE / "bilingual_machine.yaml"
EVERY_LANGUAGE = HERE / "every_language_machine.yaml"
# Every sequence src/switch_channel.c switch_channel_expand_variables_check acts
# on, and the ways the host's own cleaning could have put one back together.
# The machine's confirm prompt starts with it: after the host's cleaning it starts with
# '{', which src/switch_core_speech.c switch_core_speech_feed_tts reads as the speech
# engine's parameters. It also carries bg_system, a delimiter change (^^:, read by
# switch_separate_string at the start of an argument) and the separators of set, multiset
# and api arguments ('=', ',', '|').
EXPANDER_TEXT = ("$\\{system touch /tmp/x} ${system id} $${hostname} \\${uuid} \\$$x "
                 "$$${system id} \\' \\\\ ${system(id)} %[a=b] l'appel | detect:x "
                 "${bg_system touch /tmp/y} ^^:a:b x=y,z=w")
TODAY = "2025-03-10"
PHONE = "0698765438"  # ends in 8: three upcoming appointments; no "123456" inside
OTP = "123456"        # the mock's code
LIST_PROMPT = "Vous avez 3 rendez-vous à venir."
ASKS = ("play_and_get_digits", "play_and_detect_speech")
SENDMSG_HEADERS = {"call-command", "execute-app-name", "event-lock", "Event-UUID", "content-type",
                   "content-length"}

HOST = MOCK_SERVER = FAKE = None


def seed_login_inputs():
    """Entry 1, phone, the code, consent 1, WhatsApp 1: the caller is then at the list."""
    return [{"digits": "1"}, {"digits": PHONE}, {"digits": OTP}, {"digits": "1"},
            {"digits": "1"}]


def call_uuid(n):
    return "7e0c5a10-0000-4000-8000-%012d" % n


class Harness:
    """Mock backend, fake FreeSWITCH and the host, for one test."""

    def __init__(self, script, host_args=(), mock_args=(), machine=SEED, backend=True,
                 backend_url=None):
        self.dir = tempfile.TemporaryDirectory(prefix="esl-test-")
        self.path = pathlib.Path(self.dir.name)
        self.script = script
        self.host_args = list(host_args)
        self.mock_args = list(mock_args)
        self.machine = machine
        self.with_backend = backend
        self.mock = self.fake = self.host = None
        self.host_log = ""
        self.report = None
        self.host_rc = None
        self.backend_url = backend_url or "http://127.0.0.1:9"

    # -- processes -------------------------------------------------------------

    @staticmethod
    def first_line(process, what, timeout=10):
        sel = selectors.DefaultSelector()
        sel.register(process.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise RuntimeError("%s did not start" % what)
        return process.stdout.readline().strip()

    def start(self):
        if self.with_backend:
            self.mock = subprocess.Popen(
                [sys.executable, MOCK_SERVER, "--port", "0", "--quiet", "--today", TODAY,
                 *self.mock_args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = self.first_line(self.mock, "the mock backend")
            self.backend_url = line.replace("listening on ", "")
        (self.path / "script.json").write_text(json.dumps(self.script), encoding="utf-8")
        self.fake = subprocess.Popen(
            [sys.executable, FAKE, "--script", str(self.path / "script.json"),
             "--report", str(self.path / "report.json"), "--raw", str(self.path / "raw.bin")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.first_line(self.fake, "the fake FreeSWITCH")
        self.esl = line.replace("listening on ", "")
        self.start_host()
        return self

    def start_host(self, extra=()):
        self.host_err = open(self.path / "host.log", "a", encoding="utf-8")
        args = [HOST, "--machine", str(self.machine), "--backend", self.backend_url,
                "--esl", self.esl, "--reconnect-min-ms", "100", "--reconnect-max-ms", "400",
                "--log-level", "debug", *self.host_args, *extra]
        self.host = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.host_err)

    def wait_done(self, timeout=15):
        """Until the fake says every call has ended."""
        sel = selectors.DefaultSelector()
        sel.register(self.fake.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(max(0, deadline - time.monotonic())):
                line = self.fake.stdout.readline()
                if not line:
                    break
                if line.strip() == "all calls done":
                    return
        raise AssertionError("the scripted calls did not end in time; host log:\n" + self.log())

    def wait_ended(self, timeout=10):
        """Until the host has seen the end of every call meant for it."""
        for call in self.script.get("calls", []):
            if call.get("vars", {"ivrsm_app": "synergia"}).get("ivrsm_app"):
                self.wait_log(r"call %s: ended" % call["uuid"], timeout)

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log()):
                return
            time.sleep(0.05)
        raise AssertionError("no %r in the host log:\n%s" % (pattern, self.log()))

    def stop_host(self, sig=signal.SIGINT):
        """Stop the host: SIGINT at once (the default), SIGTERM by draining."""
        if self.host and self.host.poll() is None:
            self.host.send_signal(sig)
            try:
                self.host_rc = self.host.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.host.kill()
                self.host_rc = self.host.wait()
        self.host_err.close()

    def stop(self):
        self.stop_host()
        for process in (self.fake, self.mock):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process:
                process.stdout.close()
                if process.stderr:
                    process.stderr.close()
        report = self.path / "report.json"
        self.report = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        self.host_log = self.log()
        self.raw = (self.path / "raw.bin").read_bytes() if (self.path / "raw.bin").exists() else b""

    def log(self):
        p = self.path / "host.log"
        return p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""

    def cleanup(self):
        """Stop whatever still runs (a test that failed half-way), then remove the files."""
        for process in (self.host, self.fake, self.mock):
            if process and process.poll() is None:
                process.kill()
                process.wait()
        self.dir.cleanup()

    # -- reading the report ------------------------------------------------------

    def executes(self, uuid):
        return self.report["calls"][uuid]["executes"]

    def asks(self, uuid):
        return [e for e in self.executes(uuid) if e["app"] in ASKS]

    def mock_requests(self):
        with urllib.request.urlopen(self.backend_url + "/_mock/requests") as r:
            return json.load(r)["requests"]


class JsonBackend:
    """A backend on 127.0.0.1 that answers every request with one JSON document."""

    def __init__(self, document):
        body = json.dumps(document).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def scrape(url):
    """GET the metrics; check the OpenMetrics framing; the samples by name and labels."""
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.status == 200, r.status
        assert r.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0"), \
            r.headers["Content-Type"]
        text = r.read().decode("utf-8")
    lines = text.splitlines()
    assert lines[-1] == "# EOF", lines[-1]
    samples = {}
    types = {}
    for line in lines[:-1]:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        samples[name] = float(value)
    for name in samples:
        family = re.sub(r"\{.*", "", name)
        assert any(family == t or family.startswith(t + "_") for t in types), name
    return samples


def run(test, script, **kw):
    """Start everything, wait for the calls, stop; the harness is cleaned up after the test."""
    timeout = kw.pop("timeout", 15)
    h = Harness(script, **kw)
    test.addCleanup(h.cleanup)
    try:
        h.start()
        h.wait_done(timeout)
        h.wait_ended()
    finally:
        h.stop_host()
    return h


def prompt_of(execute):
    """The text of an ask or a say as the caller heard it (the fake's model of
    what FreeSWITCH does to the argument: expansion, splitting, say:)."""
    return execute.get("heard", "")


class EslHostTest(unittest.TestCase):
    maxDiff = None

    def finish(self, h):
        """Stop the fake and the mock, read the report; the host must have stopped cleanly."""
        if self.mock_log is None and h.mock:
            self.mock_log = h.mock_requests()
        h.stop()
        self.assertEqual(h.host_rc, 0, h.host_log)
        self.assertIsNotNone(h.report)
        return h

    def setUp(self):
        self.mock_log = None

    def assert_code_absent(self, code, log):
        """The code as such (not as part of a longer number, a UUID or a timestamp)."""
        found = re.search(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" % code, log)
        self.assertIsNone(found, "the code %s is in the log" % code)

    def assert_no_secrets(self, log):
        self.assert_code_absent(OTP, log)
        self.assertNotIn("mock-", log)  # the mock's session tokens
        self.assertIsNone(re.search(r"Bearer (?!\*\*\*)", log), "a bearer token in the log")
        self.assertNotIn("ClueCon", log)

    def assert_sendmsg_shape(self, h, uuid):
        for e in h.executes(uuid):
            self.assertEqual(e["via"], "body", e)
            self.assertTrue(e["event_lock"], e)
            self.assertRegex(e["event_uuid"], r"^[0-9a-f-]{36}$")
        uuids = [e["event_uuid"] for e in h.executes(uuid)]
        self.assertEqual(len(uuids), len(set(uuids)), "Event-UUIDs must be unique")

    # ---------------------------------------------------------------------------

    def test_seed_call_by_keypad(self):
        """Entry, phone, OTP from the mock, consent, channel, list, hang up: all over ESL."""
        uuid = call_uuid(1)
        h = run(self, {"calls": [{"uuid": uuid, "inputs": seed_login_inputs()}]})
        self.finish(h)
        call = h.report["calls"][uuid]
        self.assertTrue(call["ended"])
        self.assertEqual(call["ended_by"], "script")
        # The list question was cut by the hangup: nothing is asked again.
        self.assertEqual(call["refused"], [])
        self.assertEqual(h.executes(uuid)[-1]["app"], "play_and_get_digits")
        self.assertNotIn("FreeSWITCH refused the command", h.host_log)
        apps = [e["app"] for e in h.executes(uuid)]
        self.assertEqual(apps[0], "multiset")
        self.assertEqual(h.executes(uuid)[0]["arg"],
                         "tts_engine=flite tts_voice=kal app_disable_expand_variables=true "
                         "playback_terminators=any playback_delimiter=! playback_sleep_val=0")
        # Every question is preceded by flush_dtmf: keys typed before it do not answer it.
        for i, app in enumerate(apps):
            if app in ASKS:
                self.assertEqual(apps[i - 1], "flush_dtmf", apps)
        asks = h.asks(uuid)
        self.assertEqual([a["app"] for a in asks], ["play_and_get_digits"] * 6)
        prompts = [prompt_of(a) for a in asks]
        self.assertTrue(prompts[0].startswith("Bonjour et bienvenue."), prompts[0])
        self.assertIn("Pour sécuriser votre accès", prompts[1])
        self.assertIn("Un code à six chiffres vient de vous être envoyé", prompts[2])
        self.assertIn("acceptez-vous l'utilisation minimale de vos données", prompts[3])
        self.assertIn("Quel canal préférez-vous", prompts[4])
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompts[5])
        # Keypad bounds of each question (no minimum; one more digit than the
        # entry when a terminator closes it), and every key accepted by the regexp.
        self.assertTrue(asks[0]["arg"].startswith("0 1 1 5000 none 'say:Bonjour"), asks[0]["arg"])
        self.assertTrue(asks[1]["arg"].startswith("0 21 1 5000 # 'say:"), asks[1]["arg"])
        self.assertTrue(asks[2]["arg"].startswith("0 7 1 5000 # 'say:"), asks[2]["arg"])
        # The keys of each question in a variable of its own (resume.c reads it back when
        # the question's completion is lost).
        for a in asks:
            self.assertRegex(a["arg"], r" silence_stream://250 ivrsm_digits_[0-9]+ "
                             r"\[0-9\*#A-D\]\+ 3000$")
            self.assertEqual(a["pagd"]["argc"], 10, a)
        self.assertEqual(len({a["pagd"]["var"] for a in asks}), len(asks))
        self.assertIn("l\\'utilisation", asks[3]["arg"])
        says = [e for e in h.executes(uuid) if e["app"] == "speak"]
        self.assertEqual([s["arg"] for s in says], ["flite|kal|Merci. Vous êtes maintenant connecté."])
        self.assert_sendmsg_shape(h, uuid)
        # The backend saw the login and the list, with the call's ids.
        endpoints = [(r["endpoint"], r["status"]) for r in self.mock_log]
        self.assertEqual(endpoints, [("request_otp", 200), ("verify_otp", 200), ("get_me", 200),
                                     ("list_appointments", 200)])
        self.assertEqual(self.mock_log[0]["body"]["call_id"], uuid)
        self.assertRegex(self.mock_log[0]["body"]["session_id"], r"^[0-9a-f-]{36}$")
        self.assertRegex(self.mock_log[0]["headers"]["Idempotency-Key"],
                         "^" + self.mock_log[0]["body"]["session_id"] + r"-\d+$")
        # One line per fact, the input of the OTP masked, no secret anywhere.
        self.assertIn("dtmf %s in ivr.auth.phone_capture" % PHONE, h.host_log)
        self.assertIn("dtmf ****** in ivr.auth.verify_otp (masked: a secret)", h.host_log)
        self.assertIn("ended (hangup, NORMAL_CLEARING) in state ivr.appointments.list.router",
                      h.host_log)
        self.assertIn('"kind":"command"', h.host_log)  # the debug trace is there...
        self.assert_no_secrets(h.host_log)               # ...redacted

    def test_silence_is_noinput(self):
        """An empty read is no input, a lone terminator a wrong answer (FreeSWITCH
        says "failure" for both when a minimum of digits is asked)."""
        uuid = call_uuid(2)
        # The "#" after the prompt (2 ms), with room for a loaded machine: one pressed
        # during it stops the prompt and is read as a digit instead.
        inputs = [{"silence": True}, {"digits": "1"}, {"keys": "#", "after_ms": 30},
                  {"silence": True}, {"digits": PHONE}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h)
        self.assertIn("call %s: noinput in ivr.entry" % uuid, h.host_log)
        self.assertNotIn("call %s: nomatch in ivr.entry" % uuid, h.host_log)
        self.assertIn("call %s: nomatch in ivr.auth.phone_capture" % uuid, h.host_log)
        self.assertIn("call %s: noinput in ivr.auth.phone_capture" % uuid, h.host_log)
        reads = [a["read"] for a in h.asks(uuid) if "read" in a]
        self.assertEqual(reads[0], {"digits": "", "terminator": "", "timed_out": True})
        self.assertEqual(reads[2], {"digits": "", "terminator": "#", "timed_out": False})
        self.assertIn("dtmf %s in ivr.auth.phone_capture" % PHONE, h.host_log)

    def test_apostrophes_are_heard(self):
        """Every prompt is heard as written: apostrophes and all, nothing expanded."""
        uuid = call_uuid(3)
        h = run(self, {"calls": [{"uuid": uuid, "inputs": seed_login_inputs()}]})
        self.finish(h)
        heard = [e["heard"] for e in h.executes(uuid) if e.get("heard")]
        self.assertIn("acceptez-vous l'utilisation minimale de vos données", " ".join(heard))
        self.assertIn("dites \"rendez-vous\" ou tapez 1", " ".join(heard))
        for text in heard:
            self.assertNotIn("\\", text)
        for e in h.executes(uuid):
            self.assertEqual(e["data"], e["arg"], "expanded: %r" % e)
        self.assertEqual(h.report["calls"][uuid]["api_calls"], [])

    def expander_call(self, honour_disable=True, speech=False):
        backend = JsonBackend({"name": EXPANDER_TEXT})
        self.addCleanup(backend.close)
        uuid = call_uuid(4)
        if speech:
            inputs = [{"speech": EXPANDER_TEXT, "confidence": 0.95},
                      {"speech": "conseiller", "confidence": 0.95}]
        else:
            inputs = [{"digits": "5"}, {"digits": "0"}]
        script = {"honour_disable_expand": honour_disable,
                  "calls": [{"uuid": uuid, "inputs": inputs}]}
        host_args = ["--asr-engine", "unimrcp"] if speech else []
        h = run(self, script, machine=EXPANDER, backend=False, backend_url=backend.url,
                host_args=host_args)
        self.finish(h)
        return h, uuid

    def assert_nothing_expanded(self, h, uuid):
        call = h.report["calls"][uuid]
        self.assertEqual(call["api_calls"], [])
        for e in h.executes(uuid):
            self.assertEqual(e["lookups"], [], e)
            self.assertEqual(e["api_calls"], [], e)
            self.assertNotIn("${", e["arg"])
            self.assertNotIn("\\$", e["arg"])
            self.assertNotIn("\\\\", e["arg"])
            self.assertNotIn("\n", e["arg"])
            self.assertFalse(e["arg"].startswith("%"), e)
            # No text hands the speech engine parameters (switch_core_speech_feed_tts).
            self.assertEqual(e.get("tts_params", []), [], e)
        apps = [e["app"] for e in h.executes(uuid)]
        self.assertIn("set", apps)  # the handoff context, read back by FreeSWITCH's set
        context = json.loads(call["vars"]["ivrsm_handoff_context"])
        self.assertIn("{system touch /tmp/x}", json.dumps(context, ensure_ascii=False))

    def test_no_text_reaches_the_expander(self):
        """A backend value holding every expander sequence, read back in a keypad
        question, a prompt and the handoff context: FreeSWITCH expands none of it."""
        h, uuid = self.expander_call()
        self.assert_nothing_expanded(h, uuid)
        confirm = [a for a in h.asks(uuid) if "vous avez dit" in prompt_of(a)]
        self.assertEqual(len(confirm), 1)
        # Its leading brace became a space: the words are said, not read as parameters.
        self.assertTrue(prompt_of(confirm[0]).startswith("system touch /tmp/x} "),
                        prompt_of(confirm[0]))
        self.assertIn("bg_system touch /tmp/y} ^^:a:b x=y,z=w", prompt_of(confirm[0]))
        self.assertIn("l'appel", prompt_of(confirm[0]))  # a quote escaped and heard

    def test_no_text_reaches_the_expander_of_an_older_switch(self):
        """The same on a FreeSWITCH that ignores app_disable_expand_variables: the
        expander runs on every argument and still finds nothing to do."""
        h, uuid = self.expander_call(honour_disable=False)
        self.assert_nothing_expanded(h, uuid)

    def test_no_caller_speech_reaches_the_expander(self):
        """What the caller says, read back in spoken questions and prompts."""
        h, uuid = self.expander_call(speech=True)
        self.assert_nothing_expanded(h, uuid)
        said = [e for e in h.executes(uuid) if "vous avez dit" in prompt_of(e)]
        self.assertEqual(len(said), 1)

    def test_terminator_after_a_code_answers_nothing(self):
        """The '#' after the six digits of the code ends that read; keys typed while
        the backend works do not answer the next question."""
        uuid = call_uuid(5)
        inputs = [{"digits": "1"},
                  # The phone number, then a key typed while request_otp is slow.
                  {"keys": PHONE + "#", "then": [{"keys": "9", "after_ms": 150}]},
                  {"keys": OTP + "#", "gap_ms": 15}, {"digits": "1"}, {"digits": "1"}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]},
                mock_args=["--fail", "request_otp=slow:400"])
        self.finish(h)
        asks = h.asks(uuid)
        self.assertEqual(asks[2]["read"], {"digits": OTP, "terminator": "#", "timed_out": False})
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.mock_log[:3]],
                         [("request_otp", 200), ("verify_otp", 200), ("get_me", 200)])
        self.assertIn("dtmf 1 in ivr.auth.consent", h.host_log)
        self.assertNotIn("dtmf # in", h.host_log)
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(asks[-1]))
        self.assertEqual(h.report["calls"][uuid]["keys_left"], "")

    def test_terminator_during_the_prompt_only_stops_it(self):
        """A '#' pressed while the question's prompt plays is the read's first digit on a
        real FreeSWITCH (switch_ivr_read: the key that stops the prompt lands in the digit
        buffer; only keys after it end a read as terminators). The host drops leading
        terminators: '#' then the number is the number; '#' alone a wrong answer, as
        after the prompt."""
        uuid = call_uuid(6)
        inputs = [{"digits": "1"},
                  {"keys": "#", "after_ms": 1},                   # during the prompt
                  {"keys": "#" + PHONE + "#", "after_ms": 1}]     # '#', then the number
        h = run(self, {"prompt_ms": 80, "calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h)
        reads = [a["read"] for a in h.asks(uuid) if "read" in a]
        self.assertEqual(reads[1]["digits"], "#")          # as FreeSWITCH reads it
        self.assertEqual(reads[2]["digits"], "#" + PHONE)
        self.assertIn("call %s: nomatch in ivr.auth.phone_capture" % uuid, h.host_log)
        self.assertIn("call %s: dtmf %s in ivr.auth.phone_capture" % (uuid, PHONE), h.host_log)
        self.assertEqual(self.mock_log[0]["body"]["phone_e164"], "+33698765438")

    def test_three_calls_on_one_connection(self):
        """Three calls at once, each with its own prompts; a slow backend blocks none of them."""
        a, b, c = call_uuid(11), call_uuid(12), call_uuid(13)
        script = {"calls": [
            {"uuid": a, "inputs": seed_login_inputs()},
            # team zone, operator: transferred to the care queue
            {"uuid": b, "inputs": [{"digits": "2", "after_ms": 20}, {"digits": "0"}]},
            # receive a link: the phone number, then the link is sent
            {"uuid": c, "inputs": [{"digits": "3", "after_ms": 40}, {"digits": "0611223344"}]},
        ], "foreign_calls": 1}
        h = run(self, script, mock_args=["--fail", "request_otp=slow:700"])
        self.finish(h)
        self.assertEqual(len(h.report["connections"]), 1)
        for uuid in (a, b, c):
            self.assertTrue(h.report["calls"][uuid]["ended"], uuid)
            self.assertEqual({e["connection"] for e in h.executes(uuid)}, {1})
            self.assert_sendmsg_shape(h, uuid)
        prompts = {u: [prompt_of(x) for x in h.asks(u)] for u in (a, b, c)}
        self.assertIn("Pour sécuriser votre accès", prompts[a][1])
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompts[a][-1])
        self.assertIn("Accès équipe.", prompts[b][1])
        self.assertIn("Très bien. Dites votre numéro de téléphone", prompts[c][1])
        # b: handed off by transfer, after its context and its prompt.
        apps_b = [(e["app"], e["arg"]) for e in h.executes(b)][-3:]
        self.assertEqual(apps_b[0][0], "set")
        self.assertTrue(apps_b[0][1].startswith("ivrsm_handoff_context={"), apps_b[0][1])
        self.assertEqual(apps_b[1], ("speak", "flite|kal|Je vous mets en relation avec un conseiller."))
        self.assertEqual(apps_b[2], ("transfer", "care_queue_1 XML default"))
        self.assertIn("call %s: handoff done" % b, h.host_log)
        self.assertIn("call %s: ended (handed off by transfer)" % b, h.host_log)
        # c: the link is sent, then goodbye and hangup.
        self.assertEqual(h.executes(c)[-1]["app"], "hangup")
        self.assertEqual(h.executes(c)[-1]["arg"], "NORMAL_CLEARING")
        self.assertIn("call %s: ended (hung up by the IVR, NORMAL_CLEARING)" % c, h.host_log)
        self.assertIn("C'est envoyé.", prompt_of(h.executes(c)[-3]) + prompt_of(h.executes(c)[-2]))
        # While a waited 700 ms for request_otp, b and c went on.
        phone_answered = h.asks(a)[1]["t"]
        otp_asked = h.asks(a)[2]["t"]
        self.assertGreaterEqual(otp_asked - phone_answered, 650)
        others = [e["t"] for u in (b, c) for e in h.executes(u)]
        self.assertTrue(any(phone_answered < t < otp_asked for t in others), (phone_answered, otp_asked, others))
        # The call without the filter variable was left alone.
        foreign = [u for u, v in h.report["calls"].items() if "ivrsm_app" not in v["vars"]]
        self.assertEqual(len(foreign), 1)
        self.assertEqual(h.executes(foreign[0]), [])

    def test_prompt_text_never_becomes_protocol(self):
        """Line breaks, commands and ${...} in prompts and in the caller's words stay text."""
        uuid = call_uuid(21)
        words = "merci\n\nhangup\n\nsendmsg %s\r\nevent-lock: false\r\n\r\n$${uuid_kill x} | ok" % uuid
        script = {"calls": [{"uuid": uuid, "inputs": [{"speech": words, "confidence": 0.95}]}]}
        h = run(self, script, machine=INJECT, backend=False,
                host_args=["--asr-engine", "unimrcp", "--asr-grammar", "builtin:speech/transcribe"])
        self.finish(h)
        executes = h.executes(uuid)
        self.assertEqual([e["app"] for e in executes],
                         ["multiset", "flush_dtmf", "play_and_detect_speech", "set", "speak",
                          "hangup"])
        ask, mark, say = executes[2], executes[3], executes[4]
        # The spoken question's mark: its sendmsg's Event-UUID, nothing of the text.
        self.assertEqual(mark["arg"], "ivrsm_speech_done=" + ask["event_uuid"])
        # One "detect:" only (play_and_detect_speech splits there), no line break anywhere.
        self.assertEqual(ask["arg"].count("detect:"), 1)
        self.assertTrue(ask["arg"].endswith(" detect:unimrcp {no-input-timeout=5000,speech-language=fr-FR}builtin:speech/transcribe"),
                        ask["arg"])
        for e in executes:
            self.assertNotIn("\n", e["arg"])
            self.assertNotIn("\r", e["arg"])
            self.assertNotIn("${", e["arg"])
        self.assertTrue(say["arg"].startswith("flite|kal|Vous avez dit merci"), say["arg"])
        self.assertEqual(say["arg"].count("|"), 2)
        self.assertIn("hangup", say["arg"])
        self.assertIn("{uuid_kill x}", say["arg"])
        # What the fake received, parsed strictly: only the host's own commands,
        # each sendmsg with exactly its headers.
        commands = [cmd for conn in h.report["connections"] for cmd in conn["commands"]]
        verbs = [c["line"].split(" ")[0] for c in commands]
        self.assertEqual(verbs, ["auth", "event", "filter", "api", "sendmsg", "sendmsg", "sendmsg",
                                 "sendmsg", "sendmsg", "sendmsg", "exit"])
        self.assertEqual(commands[3]["line"], "api show channels")
        for cmd in commands:
            if cmd["line"].startswith("sendmsg"):
                self.assertEqual(cmd["line"], "sendmsg " + uuid)
                self.assertEqual(set(cmd["headers"]), SENDMSG_HEADERS)
        # In the raw bytes, the caller's "hangup" only ever follows other text.
        self.assertNotIn(b"\nhangup", h.raw)
        self.assertNotIn(b"\nevent-lock: false", h.raw)
        self.assertEqual(h.raw.count(b"\nevent-lock: true\n"), 6)

    def test_split_at_every_byte(self):
        """Byte-by-byte writes for a while, large events, several messages per write."""
        uuid = call_uuid(31)
        script = {"split": {"mode": "bytes", "bytes": 40000, "seed": 3}, "pad_events": 6000,
                  "calls": [{"uuid": uuid, "inputs": [{"digits": "2"}, {"digits": "8"},
                                                      {"digits": "3"}, {"digits": PHONE}]}]}
        h = run(self, script, timeout=25)
        self.finish(h)
        self.assertGreater(h.report["bytes_sent"], 40000)
        prompts = [prompt_of(a) for a in h.asks(uuid)]
        self.assertTrue(prompts[0].startswith("Bonjour et bienvenue."))
        self.assertIn("Accès équipe.", prompts[1])
        self.assertTrue(prompts[2].startswith("Bonjour et bienvenue."))  # "retour": back to entry
        self.assertIn("Très bien. Dites votre numéro de téléphone", prompts[3])
        self.assertIn("C'est envoyé.", " ".join(prompt_of(e) for e in h.executes(uuid)))
        self.assertEqual(h.executes(uuid)[-1]["app"], "hangup")
        self.assertNotIn("protocol error", h.host_log)

    def test_reconnect_resumes_call(self):
        """The connection drops mid-call; the call resumes from its snapshot on the next one."""
        uuid = call_uuid(41)
        inputs = seed_login_inputs()
        inputs.insert(1, {"drop_connection": True})  # at the phone question
        h = Harness({"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.addCleanup(h.cleanup)
        snapdir = h.path / "snapshots"
        snapdir.mkdir()
        h.host_args = ["--snapshot-dir", str(snapdir)]
        h.start()
        h.wait_log(r"esl: connection lost \(closed by FreeSWITCH\); reconnecting .* in 100 ms")
        saved = list(snapdir.glob("*.json"))
        self.assertEqual([p.name for p in saved], [uuid + ".json"])
        self.assertEqual(os.stat(saved[0]).st_mode & 0o777, 0o600)
        doc = json.loads(saved[0].read_text())
        self.assertEqual(doc["call_id"], uuid)
        self.assertEqual(doc["format"], "ivrsm-esl-host/1")
        self.assertGreater(doc["inflight_id"], 0)
        self.assertIn("ivr.auth.phone_capture", json.dumps(doc["snapshot"]))
        h.wait_done()
        h.wait_ended()
        h.stop_host()
        self.finish(h)
        self.assertEqual(len(h.report["connections"]), 2)
        self.assertTrue(all(c["authed"] for c in h.report["connections"]))
        # The late watch's subscription (late.c) comes too when the drop beat the reply to
        # the question's sendmsg (the fake drops unsent bytes): it says nothing of the order.
        second = [c["line"].split(" ")[:2] for c in h.report["connections"][1]["commands"]
                  if c["line"] not in ("event plain CHANNEL_EXECUTE", "nixevent CHANNEL_EXECUTE")]
        self.assertEqual(second[:4], [["auth", "***"], ["event", "plain"], ["filter", "variable_ivrsm_app"],
                                      ["api", "uuid_exists"]])
        # The channels listed (calls parked meanwhile): this one is known, not dumped. The
        # question's own variable read (its keys, had it ended unseen: none here), then the
        # question stopped and asked again.
        self.assertEqual(second[4:7], [["api", "show"], ["api", "uuid_getvar"],
                                       ["api", "uuid_break"]])
        self.assertNotIn(["api", "uuid_dump"], second)
        asks = h.asks(uuid)
        phone = [a for a in asks if "Pour sécuriser votre accès" in prompt_of(a)]
        self.assertEqual(len(phone), 2)
        self.assertEqual(phone[0]["arg"], phone[1]["arg"])
        self.assertEqual([phone[0]["connection"], phone[1]["connection"]], [1, 2])
        self.assertNotEqual(phone[0]["event_uuid"], phone[1]["event_uuid"])
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(asks[-1]))
        self.assertIn("resumed in ivr.auth.phone_capture; the command in flight is sent again",
                      h.host_log)
        self.assertEqual(list(snapdir.glob("*")), [])  # the call ended: its file is gone
        self.assertEqual([r["endpoint"] for r in self.mock_log],
                         ["request_otp", "verify_otp", "get_me", "list_appointments"])

    def test_reconnect_resumes_call_in_memory(self):
        """Without --snapshot-dir: the session in memory is where it was, the question in
        flight is asked again on the new connection, and the call goes on."""
        uuid = call_uuid(74)
        inputs = seed_login_inputs()
        inputs.insert(1, {"drop_connection": True})  # at the phone question
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h)
        self.assertEqual(len(h.report["connections"]), 2)
        self.assertIn("resumed in ivr.auth.phone_capture; the command in flight is sent again",
                      h.host_log)
        phone = [a for a in h.asks(uuid) if "Pour sécuriser votre accès" in prompt_of(a)]
        self.assertEqual([a["connection"] for a in phone], [1, 2])
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(h.asks(uuid)[-1]))
        self.assertEqual([r["endpoint"] for r in self.mock_log],
                         ["request_otp", "verify_otp", "get_me", "list_appointments"])

    def test_answer_typed_as_the_connection_drops(self):
        """The switch stops writing as a keypad question ends: the caller's keys are on the
        channel but its CHANNEL_EXECUTE_COMPLETE is lost with the connection. Once
        reconnected, the host reads the question's own variable (uuid_getvar UUID
        ivrsm_digits_ID: switch_ivr_read clears it as the read starts and sets it as it
        ends) and feeds the keys as the answer: the caller is not asked again. A secret
        read that way stays masked. A question that ended with no keys leaves "_undef_":
        it is asked again on the new connection."""
        phone, otp, silent = call_uuid(84), call_uuid(85), call_uuid(86)
        cases = {
            phone: [{"digits": "1"}, {"digits": PHONE, "drop_before_completion": True},
                    {"digits": OTP}, {"digits": "1"}, {"digits": "1"}],
            otp: [{"digits": "1"}, {"digits": PHONE},
                  {"digits": OTP, "drop_before_completion": True}, {"digits": "1"},
                  {"digits": "1"}],
            silent: [{"digits": "1"}, {"silence": True, "drop_before_completion": True},
                     {"digits": PHONE}, {"digits": OTP}, {"digits": "1"}, {"digits": "1"}],
        }
        for uuid, inputs in cases.items():
            h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]})
            self.mock_log = None
            self.finish(h)
            self.assertEqual(len(h.report["connections"]), 2, uuid)
            self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(h.asks(uuid)[-1]))
            self.assertEqual([r["endpoint"] for r in self.mock_log],
                             ["request_otp", "verify_otp", "get_me", "list_appointments"])
            getvars = [a for a in h.report["calls"][uuid]["apis"] if a["api"] == "uuid_getvar"]
            self.assertEqual([a["connection"] for a in getvars], [2], uuid)
            phone_asks = [a for a in h.asks(uuid) if "Pour sécuriser votre accès" in
                          prompt_of(a)]
            if uuid == silent:
                self.assertEqual([a["connection"] for a in phone_asks], [1, 2])
                self.assertIn("call %s: resumed in ivr.auth.phone_capture; the command in "
                              "flight is sent again" % uuid, h.host_log)
                self.assertNotIn("was on the channel", h.host_log)
                continue
            self.assertEqual([a["connection"] for a in phone_asks], [1])
            self.assertRegex(h.host_log, r"call %s: the answer to the question in flight was "
                             r"on the channel \(ivrsm_digits_[0-9]+\): its completion was lost "
                             r"with the connection" % uuid)
            self.assertNotIn("call %s: resumed" % uuid, h.host_log)
            self.assert_no_secrets(h.host_log)
            if uuid == otp:
                self.assertIn("dtmf ****** in ivr.auth.verify_otp (masked: a secret)",
                              h.host_log)

    def test_codes_masked_at_info(self):
        """At --log-level info (no trace records), the code keyed in the retry state,
        which hands it on to verify_otp, is masked all the same."""
        uuid = call_uuid(75)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"digits": "505050"}, {"digits": OTP},
                  {"digits": "1"}, {"digits": "1"}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]},
                host_args=["--log-level", "info"])
        self.finish(h)
        self.assertIn("dtmf ****** in ivr.auth.verify_otp (masked: a secret)", h.host_log)
        self.assertIn("dtmf ****** in ivr.auth.verify_otp.retry (masked: a secret)",
                      h.host_log)
        self.assertNotIn("trace {", h.host_log)
        self.assert_code_absent("505050", h.host_log)
        self.assert_no_secrets(h.host_log)

    def test_calls_parked_while_away_are_taken(self):
        """Calls parked before the host connected (their CHANNEL_PARK reached nobody) are
        found when the connection is ready: the host's own still parked, not the others."""
        ours, other, late = call_uuid(44), call_uuid(45), call_uuid(46)
        h = run(self, {"calls": [
            {"uuid": ours, "before_connect": True, "inputs": seed_login_inputs()},
            {"uuid": other, "before_connect": True, "vars": {"other_app": "x"}},
            {"uuid": late, "inputs": [{"digits": "1"}]}]})
        self.finish(h)
        self.assertIn("call %s: found parked (its park came while the host was away)" % ours,
                      h.host_log)
        self.assertNotIn("call %s: found parked" % other, h.host_log)
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(h.asks(ours)[-1]))
        self.assertEqual(h.report["calls"][ours]["ended_by"], "script")
        self.assertEqual(h.executes(other), [])
        self.assertEqual(len(h.asks(late)), 2)
        lines = [c["line"] for c in h.report["connections"][0]["commands"]]
        self.assertEqual(lines[3], "api show channels")
        self.assertIn("api uuid_dump " + ours, lines)
        # The other call (not marked for the host) may be listed and dumped, or already gone
        # (the fake hangs it up 50 ms after its park): never taken either way.

    def test_many_calls_parked_while_away(self):
        """200 calls of the host's and 100 others parked before it connected, 20 of the host's
        hanging up between "show channels" and their "uuid_dump" (mod_commands.c
        uuid_dump_function then answers "-ERR No Such Channel!"): the 180 still there are
        taken and served, the 20 gone are not, and nothing is logged as an error."""
        ours = [call_uuid(2000 + i) for i in range(200)]
        calls = [{"uuid": u, "before_connect": True, "inputs": [{"digits": "1"}],
                  "hangup_when_listed": i % 10 == 0} for i, u in enumerate(ours)]
        calls += [{"uuid": call_uuid(3000 + i), "before_connect": True,
                   "vars": {"other_app": "x"}} for i in range(100)]
        gone = ours[::10]
        h = Harness({"calls": calls, "split": {"mode": "none"}}, host_args=["--log-level", "info"])
        self.addCleanup(h.cleanup)
        h.start()
        h.wait_done(60)
        for u in ours:
            if u not in gone:
                h.wait_log(r"call %s: ended" % u)
        h.stop_host()
        self.finish(h)
        for u in ours:
            if u in gone:
                self.assertNotIn("call %s: found parked" % u, h.host_log)
                self.assertEqual(h.executes(u), [])
                self.assertEqual(h.report["calls"][u]["ended_by"], "script")
            else:
                self.assertIn("call %s: found parked" % u, h.host_log)
                self.assertEqual(len(h.asks(u)), 2)  # the menu, then the next question
        lines = [c["line"] for c in h.report["connections"][0]["commands"]]
        dumped = [line.split()[2] for line in lines if line.startswith("api uuid_dump ")]
        self.assertEqual(sorted(set(dumped) & set(ours)), sorted(ours))
        self.assertNotIn(" error ", h.host_log)

    def test_dropped_mid_frame(self):
        """The connection breaks in the middle of an event: the half is dropped with it, the
        next connection starts clean, and the call resumes."""
        uuid = call_uuid(47)
        inputs = seed_login_inputs()
        inputs.insert(1, {"drop_connection": True, "mid_frame": True})
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h)
        self.assertEqual(len(h.report["connections"]), 2)
        self.assertNotIn("protocol error", h.host_log)
        self.assertIn("call %s: resumed in ivr.auth.phone_capture" % uuid, h.host_log)
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(h.asks(uuid)[-1]))
        self.assertEqual(h.report["calls"][uuid]["ended_by"], "script")

    def test_dropped_during_auth_is_retried(self):
        """Connections that break while the password is checked are not a refusal: the host
        tries again with its backoff (never exit status 3) and serves the call."""
        uuid = call_uuid(48)
        h = run(self, {"auth_drops": 2, "calls": [{"uuid": uuid, "inputs": seed_login_inputs()}]})
        self.finish(h)
        self.assertEqual(h.report["auth_attempts"], 3)
        self.assertEqual([c["authed"] for c in h.report["connections"]], [False, False, True])
        self.assertNotIn("refused", h.host_log)
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(h.asks(uuid)[-1]))

    def test_freeswitch_restart_while_calls_are_live(self):
        """FreeSWITCH dies and comes back with calls live: its channels died with it. The
        host reconnects, finds each gone (uuid_exists) and ends its session; a call that
        comes after is served."""
        first, second, later = call_uuid(49), call_uuid(50), call_uuid(51)
        h = run(self, {"calls": [
            {"uuid": first, "inputs": [{"digits": "1"}, {"restart": True, "after_ms": 30}]},
            {"uuid": second, "inputs": [{"digits": "1"}, {"hold": True}]},
            {"uuid": later, "start_after_ms": 1500, "inputs": seed_login_inputs()}]})
        self.finish(h)
        self.assertGreaterEqual(len(h.report["connections"]), 2)
        for uuid in (first, second):
            self.assertEqual(h.report["calls"][uuid]["ended_by"], "restart")
            self.assertIn("call %s: the channel is gone from FreeSWITCH" % uuid, h.host_log)
            self.assertIn("call %s: ended (channel gone while disconnected)" % uuid, h.host_log)
        self.assertIn("Vous avez 3 rendez-vous à venir.", prompt_of(h.asks(later)[-1]))
        self.assertNotIn("stopping: 0 live calls", h.host_log.split("ended (channel gone")[0])

    def test_channel_gone_while_disconnected(self):
        """A call that hung up while the host was away is ended once it reconnects."""
        uuid = call_uuid(43)
        inputs = [{"digits": "1"}, {"drop_connection": True, "then_hangup": True}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h)
        self.assertEqual(len(h.report["connections"]), 2)
        self.assertEqual(len(h.asks(uuid)), 2)
        self.assertIn("call %s: the channel is gone from FreeSWITCH" % uuid, h.host_log)
        self.assertIn("call %s: ended (channel gone while disconnected)" % uuid, h.host_log)
        # (The late watch's subscription comes too when the drop beat the reply to the
        # question's sendmsg: it says nothing of the order.)
        lines = [c["line"] for c in h.report["connections"][1]["commands"]
                 if c["line"] not in ("event plain CHANNEL_EXECUTE", "nixevent CHANNEL_EXECUTE")]
        self.assertEqual(lines[3:5], ["api uuid_exists " + uuid, "api show channels"])
        self.assertFalse(any(line.startswith("sendmsg") for line in lines))

    def test_log_never_shows_secrets(self):
        """A wrong code, then the right one said in the retry state: neither reaches the log."""
        uuid = call_uuid(44)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"digits": "505050"}, {"digits": OTP},
                  {"digits": "1"}, {"digits": "1"}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h)
        self.assertIn("Code incorrect ou expiré", prompt_of(h.asks(uuid)[3]))
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.mock_log[:3]],
                         [("request_otp", 200), ("verify_otp", 401), ("verify_otp", 200)])
        self.assertIn("dtmf ****** in ivr.auth.verify_otp (masked: a secret)", h.host_log)
        self.assertIn("dtmf ****** in ivr.auth.verify_otp.retry (masked: a secret)",
                      h.host_log)
        self.assert_code_absent("505050", h.host_log)
        self.assert_no_secrets(h.host_log)
        self.assertIn('"Authorization":"***"', h.host_log)

    def test_restart_resumes_from_snapshot_dir(self):
        """The host stops mid-call; a new one picks the call up from --snapshot-dir."""
        uuid = call_uuid(42)
        # The host is stopped while the phone question runs; the caller says
        # nothing to it, and answers when it is asked again.
        inputs = [{"digits": "1"}, {"silence": True}, {"digits": PHONE}, {"digits": OTP}]
        h = Harness({"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.addCleanup(h.cleanup)
        snapdir = h.path / "snapshots"
        snapdir.mkdir()
        h.host_args = ["--snapshot-dir", str(snapdir)]
        h.start()
        h.wait_log(r"ask in ivr.auth.phone_capture")
        h.stop_host()
        self.assertEqual(h.host_rc, 0)
        self.assertIn("stopping: 1 live call (their snapshots stay for the next run)", h.log())
        self.assertEqual([p.name for p in snapdir.glob("*.json")], [uuid + ".json"])
        h.start_host()
        h.wait_done()
        h.wait_ended()
        h.stop_host()
        self.finish(h)
        self.assertIn("saved session", h.host_log)
        phone = [a for a in h.asks(uuid) if "Pour sécuriser votre accès" in prompt_of(a)]
        self.assertEqual(len(phone), 2)
        self.assertIn("Un code à six chiffres", prompt_of(h.asks(uuid)[-2]))
        self.assertEqual(list(snapdir.glob("*")), [])

    def test_snapshot_dir_reads_regular_files_only(self):
        """A FIFO, a directory or a symbolic link named like a snapshot never blocks
        the host nor is read: it starts, says why it left each alone, takes calls."""
        uuid = call_uuid(46)
        h = Harness({"calls": [{"uuid": uuid, "inputs": [{"digits": "3"}, {"digits": PHONE}]}]})
        self.addCleanup(h.cleanup)
        snapdir = h.path / "snapshots"
        snapdir.mkdir()
        os.mkfifo(snapdir / ("%s.json" % call_uuid(47)))
        (snapdir / ("%s.json" % call_uuid(48))).mkdir()
        os.symlink("/etc/hostname", snapdir / ("%s.json" % call_uuid(49)))
        h.host_args = ["--snapshot-dir", str(snapdir)]
        h.start()
        h.wait_log(r"esl: ready on", timeout=10)
        h.wait_done()
        h.wait_ended()
        h.stop_host()
        self.finish(h)
        self.assertIn("%s.json left alone: not a regular file" % call_uuid(47), h.host_log)
        self.assertIn("%s.json left alone: not a regular file" % call_uuid(48), h.host_log)
        self.assertRegex(h.host_log, r"%s\.json left alone: cannot be opened" % call_uuid(49))
        self.assertTrue(h.report["calls"][uuid]["ended"])
        self.assertEqual(h.executes(uuid)[-1]["app"], "hangup")

    def test_restart_during_http_keeps_idempotency_key(self):
        """Stopped while the backend works; the new host sends the request again, same key."""
        uuid = call_uuid(45)
        h = Harness({"calls": [{"uuid": uuid, "inputs": [{"digits": "1"}, {"digits": PHONE},
                                                          {"digits": OTP}]}]},
                    mock_args=["--fail", "request_otp=slow:800"])
        self.addCleanup(h.cleanup)
        snapdir = h.path / "snapshots"
        snapdir.mkdir()
        h.host_args = ["--snapshot-dir", str(snapdir)]
        h.start()
        h.wait_log(r"dtmf %s in ivr.auth.phone_capture" % PHONE)
        # Stop only once the request is at the backend (slow builds connect later).
        deadline = time.monotonic() + 10
        while not any(r["endpoint"] == "request_otp" for r in h.mock_requests()):
            self.assertLess(time.monotonic(), deadline, "request_otp never reached the backend")
            time.sleep(0.02)
        h.stop_host()
        self.assertIn("http PUT /auth/request-otp (cancelled) after its call ended", h.log())
        h.start_host()
        h.wait_done()
        h.wait_ended()
        h.stop_host()
        self.finish(h)
        sent = [r for r in self.mock_log if r["endpoint"] == "request_otp"]
        self.assertEqual(len(sent), 2)
        self.assertEqual(sent[0]["headers"]["Idempotency-Key"], sent[1]["headers"]["Idempotency-Key"])
        self.assertEqual(sent[0]["body"]["session_id"], sent[1]["body"]["session_id"])
        self.assertIn("Un code à six chiffres", prompt_of(h.asks(uuid)[2]))
        self.assertEqual(len(h.report["connections"]), 2)

    def test_call_transferred_out_of_the_park_is_let_go(self):
        """Someone else transfers the call while the host asks its question (uuid_transfer:
        switch_ivr_session_transfer routes the channel again, the question ends, then
        switch_ivr_park fires CHANNEL_UNPARK). The host sends nothing more to that channel
        (an application would be queued on a channel that runs another extension) and ends
        the session; another call goes on."""
        uuids = [call_uuid(60), call_uuid(61)]
        away = [{"digits": "1"}, {"transfer_away": True, "after_ms": 20}]
        h = run(self, {"calls": [{"uuid": uuids[0], "inputs": away},
                                 {"uuid": uuids[1], "inputs": seed_login_inputs(),
                                  "start_after_ms": 30}]})
        self.finish(h)
        self.assertIn("call %s: taken out of the park by someone else" % uuids[0], h.host_log)
        self.assertIn("call %s: ended (transferred away from the park)" % uuids[0], h.host_log)
        after = [e["app"] for e in h.executes(uuids[0]) if e.get("after_unpark")]
        self.assertEqual(after, [])
        self.assertEqual(h.report["calls"][uuids[0]]["ended_by"], "dialplan, after a transfer")
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuids[1])))

    def test_verbose_events_bring_keys_the_host_ignores(self):
        """A dialplan that runs verbose_events (CF_VERBOSE_EVENTS) gives every event of the
        channel its variables (switch_channel_event_set_extended_data): DTMF events, fired as
        an application takes each key (switch_channel_dequeue_dtmf), then pass the host's
        filter. The host reads keys from the completions only: the call goes as without
        them, and the keys of a one-time code are never written in clear, not even at
        debug."""
        uuid = call_uuid(62)
        h = run(self, {"calls": [{"uuid": uuid, "inputs": seed_login_inputs(),
                                  "verbose_events": True}]})
        self.finish(h)
        self.assertGreater(h.report["delivered"].get("DTMF", 0), 15)
        self.assertIn("call %s: key 1" % uuid, h.host_log)
        self.assertNotIn(OTP, h.host_log)
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)))

    def test_hangup_during_http(self):
        """The caller hangs up while the backend is slow; the late answer is dropped."""
        a, b = call_uuid(51), call_uuid(52)
        script = {"calls": [
            {"uuid": a, "inputs": [{"digits": "1"}, {"digits": PHONE, "hangup_after_ms": 200}]},
            {"uuid": b, "start_after_ms": 300, "inputs": [{"digits": "2"}, {"digits": "8"}]}]}
        h = Harness(script, mock_args=["--fail", "request_otp=slow:1200"])
        self.addCleanup(h.cleanup)
        h.start()
        h.wait_done()
        h.wait_ended()
        h.wait_log(r"http PUT /auth/request-otp \(answered\) after its call ended: result dropped")
        h.stop_host()
        self.finish(h)
        self.assertEqual(h.asks(a)[-1]["arg"], h.asks(a)[1]["arg"])  # nothing asked after the phone
        self.assertEqual(len(h.asks(a)), 2)
        self.assertIn("call %s: ended (hangup, NORMAL_CLEARING) in state ivr.auth.request_otp" % a,
                      h.host_log)
        self.assertTrue(h.report["calls"][b]["ended"])
        self.assertEqual(len(h.asks(b)), 3)

    def test_wrong_password_at_start_exits(self):
        """A password refused at start does not heal: the host says why and exits 3."""
        h = Harness({"calls": [{"uuid": call_uuid(61), "inputs": []}]},
                    host_args=["--password", "not-the-password"])
        self.addCleanup(h.cleanup)
        h.start()
        rc = h.host.wait(timeout=10)
        h.host_err.close()
        h.stop()
        self.assertEqual(rc, 3, h.host_log)
        self.assertEqual(h.report["auth_attempts"], 1)
        self.assertIn("error esl: FreeSWITCH refused the password (-ERR invalid); check --password: "
                      "stopping (exit status 3)", h.host_log)
        self.assertNotIn("not-the-password", h.host_log)

    def test_refused_password_after_a_connection_is_retried(self):
        """Once a connection was accepted, a refused password is retried with a growing
        delay (FreeSWITCH may come back with the old settings)."""
        uuid = call_uuid(62)
        h = Harness({"passwords": ["ClueCon", "changed"],
                     "calls": [{"uuid": uuid, "inputs": [{"digits": "1"},
                                                         {"drop_connection": True}]}]})
        self.addCleanup(h.cleanup)
        h.start()
        h.wait_log(r"in 400 ms.*\n(.*\n)*.*in 400 ms", timeout=10)
        self.assertIsNone(h.host.poll())
        h.stop_host()
        self.finish(h)
        refusals = re.findall(r"error esl: FreeSWITCH refused the password \(-ERR invalid\); "
                              r"check --password; reconnecting to [0-9.:]+ in (\d+) ms", h.host_log)
        self.assertEqual([int(d) for d in refusals[:3]], [200, 400, 400])
        self.assertGreaterEqual(h.report["auth_failures"], 3)

    def test_caller_context(self):
        """A new call's ctx: the caller's number (and in E.164), the dialled number and
        the channel variables named by --ctx-var."""
        calls = [{"uuid": call_uuid(63), "caller": "0612345678", "destination": "3000",
                  "vars": {"ivrsm_app": "synergia", "sip_h_X-Account": "acc-42",
                           "campaign": "rappel"}},
                 {"uuid": call_uuid(64), "caller": "+41221234567", "destination": "3001",
                  "vars": {"ivrsm_app": "synergia"}},
                 {"uuid": call_uuid(65), "caller": "anonymous", "destination": "3002",
                  "vars": {"ivrsm_app": "synergia"}},
                 {"uuid": call_uuid(66), "caller": "0033612345678", "destination": "3003",
                  "vars": {"ivrsm_app": "synergia"}},
                 {"uuid": call_uuid(67), "caller": "+3361234", "destination": "3004",
                  "vars": {"ivrsm_app": "synergia"}}]
        h = run(self, {"calls": calls}, machine=HERE / "ctx_machine.yaml", backend=False,
                host_args=["--ctx-var", "sip_h_X-Account=account.id", "--ctx-var", "campaign"])
        self.finish(h)
        said = {u: [e["heard"] for e in h.executes(u) if e["app"] == "speak"]
                for u in (call_uuid(63), call_uuid(64), call_uuid(65), call_uuid(66),
                          call_uuid(67))}
        self.assertEqual(said[call_uuid(63)], ["Numéro 0612345678, soit +33612345678, vers 3000, "
                                               "compte acc-42, campagne rappel."])
        self.assertEqual(said[call_uuid(64)], ["Numéro +41221234567, soit +41221234567, "
                                               "vers 3001, compte , campagne ."])
        self.assertEqual(said[call_uuid(65)], ["Numéro anonymous, soit , vers 3002, "
                                               "compte , campagne ."])
        # The library's reading (ivrsm_machine_phone_e164): the international prefix, and
        # the machine's own country checked against its plan (a French number is 9 digits).
        self.assertEqual(said[call_uuid(66)], ["Numéro 0033612345678, soit +33612345678, "
                                               "vers 3003, compte , campagne ."])
        self.assertEqual(said[call_uuid(67)], ["Numéro +3361234, soit , vers 3004, "
                                               "compte , campagne ."])

    def test_caller_context_of_unicode_and_long_values(self):
        """Channel variables of any length and in any script: FreeSWITCH writes each value's
        UTF-8 bytes URL-encoded (switch_event_serialize, switch_url_encode), 200 KB of them
        here; the host reads them whole into the ctx, and a bidirectional override in a value
        becomes a space in its logs."""
        uuid = call_uuid(68)
        long_value = "ré 🦊 " * 40000
        calls = [{"uuid": uuid, "caller": "0612345678", "caller_name": "Zoë 🦊",
                  "vars": {"ivrsm_app": "synergia", "campaign": long_value,
                           "sip_h_X-Account": "\u202eacc-42"}}]
        h = run(self, {"calls": calls}, machine=HERE / "ctx_machine.yaml", backend=False,
                host_args=["--ctx-var", "sip_h_X-Account=account.id", "--ctx-var", "campaign"])
        self.finish(h)
        said = [e["heard"] for e in h.executes(uuid) if e["app"] == "speak"]
        self.assertEqual(len(said), 1)
        self.assertIn("campagne " + long_value + ".", said[0])
        self.assertIn("acc-42", said[0])
        self.assertNotIn("\u202e", h.host_log)

    def test_calls_past_max_calls_are_refused(self):
        """Calls that park and stay bound the host's memory at --max-calls: five calls park at
        once with --max-calls 3 and their callers say nothing for a while; three are taken,
        the two others refused with a clear line and hung up (no store: no other host would
        take them), never left in silence. Once the first ones ended, a new call is taken."""
        uuids = [call_uuid(90 + i) for i in range(6)]
        calls = [{"uuid": u, "start_after_ms": 20 * i, "inputs": [{"hold": True, "for_ms": 1200}]}
                 for i, u in enumerate(uuids[:5])]
        calls.append({"uuid": uuids[5], "start_after_ms": 3000, "inputs": [{"digits": "1"}]})
        h = Harness({"calls": calls}, backend=False, host_args=["--max-calls", "3"])
        self.addCleanup(h.cleanup)
        h.start()
        h.wait_done(30)
        for u in uuids[:3] + uuids[5:]:
            h.wait_log(r"call %s: ended" % u)
        h.stop_host()
        self.finish(h)
        taken = [u for u in uuids if "call %s: parked; session" % u in h.host_log]
        self.assertEqual(taken, uuids[:3] + uuids[5:])
        for u in uuids[3:5]:
            self.assertIn("call %s: refused: 3 calls live, the most --max-calls allows; "
                          "hanging up" % u, h.host_log)
            self.assertEqual([(e["app"], e["arg"]) for e in h.executes(u)],
                             [("hangup", "NORMAL_TEMPORARY_FAILURE")])
            self.assertTrue(h.report["calls"][u]["ended"])

    def test_bad_ctx_var(self):
        r = subprocess.run([HOST, "--machine", str(SEED), "--backend", "http://127.0.0.1:9",
                            "--ctx-var", "a b=c"], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--ctx-var 'a b=c': expected NAME[=KEY]", r.stderr)

    @staticmethod
    def version_machine(version, word):
        return ("machine: esl_version\nversion: \"%s\"\nlocale: fr-FR\ntimezone: Europe/Paris\n"
                "states:\n  ask:\n    type: prompt_and_listen\n    prompt: \"Version %s, question.\"\n"
                "    fallback:\n      next: bye\n  bye:\n    type: prompt_end\n"
                "    prompt: \"Version %s, au revoir.\"\n" % (version, word, word))

    def test_recordings_and_words_in_one_question(self):
        """Prompts of say and play parts: one question plays the recording then speaks the
        words (switch_ivr_play_file splits the file argument on playback_delimiter), a say
        plays them with playback; the delimiter never enters from a text or a URI, and a
        URI that would read as spoken text is left out."""
        uuid = call_uuid(71)
        h = Harness({"time_scale": 1.0, "calls": [{"uuid": uuid, "inputs": [{"digits": "1"}]}]},
                    backend=False)
        self.addCleanup(h.cleanup)
        machine = h.path / "machine.yaml"
        machine.write_text(
            "machine: esl_parts\nversion: \"1\"\nlocale: fr-FR\n"
            "intents:\n  one: {dtmf: ['1']}\n"
            "states:\n  welcome:\n    type: prompt_and_listen\n"
            "    prompt:\n      - play: ivr/welcome.wav\n      - say: \"Bonjour ! Tapez 1.\"\n"
            "    routes: [{when_intent: one, next: bye}]\n"
            "  bye:\n    type: prompt_end\n"
            "    prompt:\n      - say: \"Au revoir.\"\n      - play: \"ivr/bye!x.wav\"\n"
            "      - play: \"say:piège\"\n", encoding="utf-8")
        h.machine = machine
        h.start()
        h.wait_done()
        h.wait_ended()
        h.stop_host()
        self.finish(h)
        ex = h.executes(uuid)
        ask = [e for e in ex if e["app"] == "play_and_get_digits"][0]
        self.assertEqual(prompt_of(ask), "[file ivr/welcome.wav] | Bonjour   Tapez 1.")
        bye = [e for e in ex if e["app"] == "playback"]
        self.assertEqual(len(bye), 1)
        self.assertEqual(bye[0]["arg"], "say:Au revoir.!ivr/bye x.wav")
        self.assertEqual(prompt_of(bye[0]), "Au revoir. | [file ivr/bye x.wav]")

    def test_sighup_reloads_for_new_calls(self):
        """SIGHUP: new calls get the new version, the call in flight keeps its own; a file
        that does not load is reported with its place and changes nothing."""
        a, b, c = call_uuid(66), call_uuid(67), call_uuid(68)
        h = Harness({"time_scale": 1.0, "calls": [
            {"uuid": a, "inputs": [{"digits": "5", "after_ms": 1500}]},
            {"uuid": b, "start_after_ms": 800, "inputs": [{"digits": "5"}]},
            {"uuid": c, "start_after_ms": 1300, "inputs": [{"digits": "5"}]}]}, backend=False)
        self.addCleanup(h.cleanup)
        machine = h.path / "machine.yaml"
        machine.write_text(self.version_machine("1", "un"), encoding="utf-8")
        h.machine = machine
        h.start()
        h.wait_log(r"call %s: ask in ask" % a)
        machine.write_text(self.version_machine("2", "deux"), encoding="utf-8")
        h.host.send_signal(signal.SIGHUP)
        h.wait_log(r"reload: machine esl_version 2 for new calls \(was 1\); 1 live call goes on")
        h.wait_log(r"call %s: parked; session \S+ started in ask \(esl_version 2\)" % b)
        machine.write_text("machine: esl_version\nversion: \"3\"\nstates: [\n", encoding="utf-8")
        h.host.send_signal(signal.SIGHUP)
        h.wait_log(r"reload: %s:\d+:\d+: .*; new calls still get esl_version 2" %
                   re.escape(str(machine)))
        h.wait_done()
        h.wait_ended()
        h.stop_host()
        self.finish(h)
        heard = {u: [e["heard"] for e in h.executes(u) if e.get("heard")] for u in (a, b, c)}
        self.assertEqual(heard[a], ["Version un, question.", "Version un, au revoir."])
        self.assertEqual(heard[b], ["Version deux, question.", "Version deux, au revoir."])
        self.assertEqual(heard[c], ["Version deux, question.", "Version deux, au revoir."])

    def test_sigterm_drains(self):
        """SIGTERM: no new call is taken, the live one finishes, then the host exits 0."""
        a, b = call_uuid(69), call_uuid(70)
        h = Harness({"time_scale": 1.0, "calls": [
            {"uuid": a, "inputs": [{"digits": "5", "after_ms": 1200}]},
            {"uuid": b, "start_after_ms": 600, "inputs": [{"digits": "5"}]}]},
            machine=INJECT, backend=False)
        self.addCleanup(h.cleanup)
        h.machine = h.path / "machine.yaml"
        h.machine.write_text(self.version_machine("1", "un"), encoding="utf-8")
        h.start()
        h.wait_log(r"call %s: ask in ask" % a)
        h.host.send_signal(signal.SIGTERM)
        h.wait_log(r"draining: no new calls; 1 live call")
        rc = h.host.wait(timeout=15)
        h.host_err.close()
        h.stop()
        self.assertEqual(rc, 0, h.host_log)
        self.assertIn("call %s: parked while draining: not taken" % b, h.host_log)
        self.assertIn("call %s: ended" % a, h.host_log)
        self.assertIn("drained: no live call left", h.host_log)
        self.assertEqual(h.executes(b), [])
        self.assertEqual([e["heard"] for e in h.executes(a) if e.get("heard")],
                         ["Version un, question.", "Version un, au revoir."])

    def test_drain_timeout_hands_off(self):
        """At --drain-timeout the calls still live go to --drain-queue, then the host exits 0."""
        a = call_uuid(71)
        h = Harness({"time_scale": 1.0, "calls": [{"uuid": a, "inputs": [{"silence": True}] * 5}]},
                    backend=False, host_args=["--drain-timeout", "1", "--drain-queue", "night"])
        self.addCleanup(h.cleanup)
        h.machine = h.path / "machine.yaml"
        h.machine.write_text(self.version_machine("1", "un"), encoding="utf-8")
        h.start()
        h.wait_log(r"call %s: ask in ask" % a)
        h.host.send_signal(signal.SIGTERM)
        rc = h.host.wait(timeout=15)
        h.host_err.close()
        h.stop()
        self.assertEqual(rc, 0, h.host_log)
        self.assertIn("drain timeout: handing 1 live call to night", h.host_log)
        self.assertIn("call %s: ended (handed off at the drain timeout)" % a, h.host_log)
        last = h.executes(a)[-1]
        self.assertEqual((last["app"], last["arg"]), ("transfer", "night XML default"))

    def test_metrics(self):
        """--metrics serves OpenMetrics text, scraped during a call and after it."""
        uuid = call_uuid(72)
        inputs = seed_login_inputs()
        inputs[4] = dict(inputs[4], after_ms=1500)  # the channel question waits: scrape then
        h = Harness({"calls": [{"uuid": uuid, "inputs": inputs}]},
                    host_args=["--metrics", "127.0.0.1:0"])
        self.addCleanup(h.cleanup)
        h.start()
        h.wait_log(r"metrics on http://127\.0\.0\.1:\d+/metrics")
        url = re.search(r"metrics on (http://\S+/metrics)", h.log()).group(1)
        h.wait_log(r"ask in ivr.auth.preferred_channel")
        during = scrape(url)
        h.wait_done()
        h.wait_ended()
        after = scrape(url)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(url.replace("/metrics", "/other"), timeout=5)
        self.assertEqual(ctx.exception.code, 404)
        h.stop_host()
        self.finish(h)
        self.assertEqual(during["ivrsm_esl_calls_active"], 1)
        self.assertEqual(during["ivrsm_esl_calls_started_total"], 1)
        self.assertEqual(during["ivrsm_esl_connected"], 1)
        self.assertEqual(after["ivrsm_esl_calls_active"], 0)
        self.assertEqual(after['ivrsm_esl_calls_ended_total{outcome="caller_hangup"}'], 1)
        self.assertEqual(after['ivrsm_esl_calls_ended_total{outcome="hangup"}'], 0)
        ok = sum(1 for r in self.mock_log if 200 <= r["status"] < 300)
        self.assertEqual(after['ivrsm_esl_http_requests_total{class="2xx"}'], ok)
        self.assertEqual(after["ivrsm_esl_http_request_duration_seconds_count"], len(self.mock_log))
        buckets = [v for k, v in after.items() if k.startswith("ivrsm_esl_http_request_duration_"
                                                               "seconds_bucket")]
        self.assertEqual(buckets, sorted(buckets))
        self.assertEqual(buckets[-1], len(self.mock_log))
        self.assertEqual(after["ivrsm_esl_events_fed_total"],
                         h.host_log.count('trace {"kind":"event"'))
        self.assertEqual(after['ivrsm_esl_machine_info{name="synergia_rdv_mvp_ivr",'
                               'version="1.0.0"}'], 1)
        self.assertEqual(after['ivrsm_esl_reloads_total{result="ok"}'], 0)
        self.assertEqual(after["ivrsm_esl_reconnects_total"], 0)
        # One delay per answer followed by an application: the menu key, the answers of
        # request_otp and get_me, the consent key and the list's answer (the other
        # answers were followed by a request).
        self.assertEqual(after["ivrsm_esl_answer_delay_seconds_count"], 5)
        self.assertLessEqual(after['ivrsm_esl_answer_delay_seconds{quantile="0.5"}'],
                             after['ivrsm_esl_answer_delay_seconds{quantile="1"}'])

    def test_speech_asks(self):
        """With a recogniser: speech asks, the OTP on the keypad, a recogniser failure."""
        uuid = call_uuid(71)
        inputs = [{"speech": "rendez-vous", "confidence": 0.9},
                  {"result": "<result><interpretation confidence=\"85\"><input mode=\"speech\">"
                             "zéro six quatre-vingt-dix-huit soixante-seize cinquante-quatre "
                             "trente-huit</input></interpretation></result>"},
                  {"digits": OTP},
                  {"response": "GRAMMAR ERROR"}, {"digits": "1"},
                  {"digits": "2"}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]},
                host_args=["--asr-engine", "unimrcp"])
        self.finish(h)
        asks = [(a["app"], prompt_of(a)[:30]) for a in h.asks(uuid)]
        self.assertEqual([a[0] for a in asks], ["play_and_detect_speech", "play_and_detect_speech",
                                                "play_and_get_digits",  # the OTP: keypad only
                                                "play_and_detect_speech",  # consent: fails
                                                "play_and_get_digits",  # consent again, keypad
                                                "play_and_get_digits",  # keypad from then on
                                                "play_and_get_digits"])
        self.assertEqual(asks[3][1], asks[4][1])
        self.assertIn('speech "rendez-vous" (confidence 0.90) in ivr.entry', h.host_log)
        self.assertIn("(confidence 0.85) in ivr.auth.phone_capture", h.host_log)
        self.assertIn("speech recognition failed (GRAMMAR ERROR); asking again on the keypad",
                      h.host_log)
        self.assertEqual([r["body"].get("phone_e164") for r in self.mock_log[:1]], ["+33698765438"])
        self.assert_no_secrets(h.host_log)

    def test_subscribes_only_to_what_it_reads(self):
        """The host subscribes to the events it acts on (and DTMF, logged), nothing else: a
        BACKGROUND_JOB answers a bgapi, which it never sends, and the socket's copy of
        DETECTED_SPEECH has none of the channel's data (switch_ivr_async.c speech_thread), so
        neither could pass its filter, even on a channel with fire_asr_events and
        verbose_events. The spoken call goes on from its completions alone."""
        uuid = call_uuid(72)
        inputs = [{"speech": "rendez-vous", "confidence": 0.9}, {"hangup": True}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs, "verbose_events": True,
                                  "vars": {"ivrsm_app": "synergia",
                                           "fire_asr_events": "true"}}]},
                host_args=["--asr-engine", "unimrcp"])
        self.finish(h)
        subscriptions = [c["line"] for c in h.report["connections"][0]["commands"]
                         if c["line"].startswith("event ")]
        self.assertEqual(subscriptions, ["event plain CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE "
                                         "CHANNEL_BRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE "
                                         "CHANNEL_UNPARK DTMF"])
        self.assertEqual(h.report["delivered"].get("DETECTED_SPEECH", 0), 0)
        self.assertEqual(h.report["delivered"].get("BACKGROUND_JOB", 0), 0)
        self.assertIn('speech "rendez-vous" (confidence 0.90) in ivr.entry', h.host_log)

    def test_recogniser_silence_and_no_match(self):
        """A recognition that ends without a result: mod_unimrcp gives "Completion-Cause:
        NNN" as the whole result (002 silence, 001 no match, 006 an error), pocketsphinx
        NLSML with <noinput/> or <nomatch/>. Silence is no input, not a no-match; an
        error asks the same question again on the keypad."""
        for engine in ("unimrcp", "pocketsphinx"):
            with self.subTest(engine=engine):
                uuid = call_uuid(77)
                inputs = [{"silence": True}, {"nomatch": True}]
                if engine == "unimrcp":
                    inputs.append({"completion_cause": 6})
                inputs += [{"digits": "1"}, {"digits": PHONE}]
                h = run(self, {"asr": engine, "calls": [{"uuid": uuid, "inputs": inputs}]},
                        host_args=["--asr-engine", "unimrcp"])
                self.finish(h)
                self.assertIn("call %s: noinput in ivr.entry" % uuid, h.host_log)
                self.assertIn("call %s: nomatch in ivr.entry" % uuid, h.host_log)
                self.assertEqual(h.host_log.count("call %s: nomatch in ivr.entry" % uuid), 1)
                if engine == "unimrcp":
                    self.assertIn("speech recognition failed (Completion-Cause: 006); asking "
                                  "again on the keypad", h.host_log)
                self.assertIn("call %s: dtmf 1 in ivr.entry" % uuid, h.host_log)
                self.assertIn("call %s: dtmf %s in ivr.auth.phone_capture" % (uuid, PHONE),
                              h.host_log)

    def test_code_said_again_stays_off_the_recogniser(self):
        """With a recogniser, the retry state that hands its input on to the OTP state
        ("Code incorrect, dites le code à nouveau") asks on the keypad too: the library
        says its answer is a secret (ivrsm_session_input_is_secret)."""
        uuid = call_uuid(76)
        inputs = [{"speech": "rendez-vous", "confidence": 0.9},
                  {"speech": "zéro six quatre-vingt-dix-huit soixante-seize cinquante-quatre "
                             "trente-huit", "confidence": 0.9},
                  {"digits": "505050"}, {"digits": OTP}]
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]},
                host_args=["--asr-engine", "unimrcp", "--log-level", "info"])
        self.finish(h)
        asks = [(a["app"], prompt_of(a)) for a in h.asks(uuid)]
        self.assertIn("Code incorrect ou expiré", asks[3][1])
        self.assertEqual([a[0] for a in asks[:5]],
                         ["play_and_detect_speech", "play_and_detect_speech",
                          "play_and_get_digits",  # the OTP
                          "play_and_get_digits",  # the code said again
                          "play_and_detect_speech"])  # consent: speech again
        self.assertEqual([(r["endpoint"], r["status"]) for r in self.mock_log[:3]],
                         [("request_otp", 200), ("verify_otp", 401), ("verify_otp", 200)])
        self.assertIn("dtmf ****** in ivr.auth.verify_otp.retry (masked: a secret)",
                      h.host_log)
        self.assert_code_absent("505050", h.host_log)
        self.assert_no_secrets(h.host_log)

    def test_keys_during_speech_questions(self):
        """With a recogniser, a caller may key instead of speaking: one key ends a
        question that takes one, and a number keyed during a spoken question is read
        whole (its first key ends the recognition, the others follow)."""
        uuid = call_uuid(73)
        inputs = [{"keys": "1"},                                # entry: "tapez 1"
                  {"keys": PHONE + "#", "gap_ms": 10},          # the phone, keyed
                  {"digits": OTP},                              # the code: keypad
                  {"speech": "oui", "confidence": 0.9},         # consent, spoken
                  {"keys": "#"}]                                # channel: a key like another
        h = run(self, {"calls": [{"uuid": uuid, "inputs": inputs}]},
                host_args=["--asr-engine", "unimrcp"])
        self.finish(h)
        apps = [e["app"] for e in h.executes(uuid)]
        self.assertEqual(apps[:5], ["multiset", "flush_dtmf", "play_and_detect_speech", "set",
                                    "flush_dtmf"])
        self.assertIn("call %s: dtmf 1 in ivr.entry" % uuid, h.host_log)
        self.assertIn("call %s: dtmf %s in ivr.auth.phone_capture" % (uuid, PHONE), h.host_log)
        # The rest of the number: no prompt, the question's bound less the first key.
        rest = [e for e in h.executes(uuid) if e["app"] == "play_and_get_digits"
                and e["pagd"]["max"] == 20]
        self.assertEqual(len(rest), 1)
        self.assertEqual(rest[0]["heard"], "")
        self.assertEqual(rest[0]["read"], {"digits": PHONE[1:], "terminator": "#",
                                           "timed_out": False})
        self.assertEqual(self.mock_log[0]["body"]["phone_e164"], "+33698765438")
        self.assertIn("call %s: speech \"oui\"" % uuid, h.host_log)
        self.assertIn("call %s: dtmf # in ivr.auth.preferred_channel" % uuid, h.host_log)
        self.assertEqual(h.report["calls"][uuid]["keys_eaten"], "")

    def test_bridge_handoff_failure_and_success(self):
        """bridge: a busy agent is a failed handoff (the machine goes on), a bridge a success.
        On a real switch a failed bridge hangs the caller up unless continue_on_fail is true,
        and a bridge that ends leaves the caller parked in silence unless hangup_after_bridge
        is true (the fake follows mod_dptools.c audio_bridge_function and switch_ivr_bridge.c):
        the host sets both before any bridge."""
        a, b = call_uuid(81), call_uuid(82)
        to_agent = [{"digits": "2"}, {"digits": "0"}]
        script = {"calls": [{"uuid": a, "handoff": "fail", "handoff_cause": "CALL_REJECTED",
                             "inputs": to_agent},
                            {"uuid": b, "handoff": "ok", "inputs": to_agent}]}
        h = run(self, script, host_args=["--handoff-app", "bridge", "--handoff-arg",
                                         "sofia/gateway/agents/{queue}"])
        self.finish(h)
        bridge = [e["arg"] for e in h.executes(a) if e["app"] == "bridge"]
        self.assertEqual(bridge, ["sofia/gateway/agents/care_queue_1"])
        self.assertIn("Tous nos conseillers sont indisponibles.", prompt_of(h.asks(a)[-1]))
        self.assertIn("call %s: handoff failed" % a, h.host_log)
        self.assertEqual(h.executes(b)[-1]["app"], "bridge")
        self.assertIn("call %s: handoff done" % b, h.host_log)
        self.assertIn("call %s: ended (handed off by bridge)" % b, h.host_log)
        self.assertEqual(h.report["calls"][a]["vars"]["originate_disposition"], "CALL_REJECTED")
        self.assertNotEqual(h.report["calls"][a]["ended_by"], "bridge failed (no continue_on_fail)")
        self.assertEqual(h.report["calls"][b]["ended_by"], "agent (hangup_after_bridge)")

    def test_caller_hangs_up_while_the_bridge_rings(self):
        """The caller hangs up while the agent's phone rings: CHANNEL_HANGUP comes before the
        bridge's completion (originate_disposition ORIGINATOR_CANCEL). The call ends as the
        caller's hangup; the completion that follows feeds no handoff result, and nothing
        is sent to the channel gone."""
        uuid = call_uuid(83)
        h = run(self, {"calls": [{"uuid": uuid, "handoff": "caller_hangup",
                                  "inputs": [{"digits": "2"}, {"digits": "0"}]}]},
                host_args=["--handoff-app", "bridge", "--handoff-arg",
                           "sofia/gateway/agents/{queue}"])
        self.finish(h)
        self.assertEqual(h.executes(uuid)[-1]["app"], "bridge")
        self.assertIn("call %s: ended (hangup, NORMAL_CLEARING)" % uuid, h.host_log)
        self.assertNotIn("call %s: handoff done" % uuid, h.host_log)
        self.assertNotIn("call %s: handoff failed" % uuid, h.host_log)
        self.assertEqual(h.report["calls"][uuid]["refused"], [])
        self.assertEqual(h.report["calls"][uuid]["ended_by"], "caller, while the bridge rang")


class LanguagesTest(unittest.TestCase):
    """A machine of two languages: each question, prompt and goodbye in the voice of
    the call's language (--tts-voice), each spoken question recognised in it
    (speech-language); the language switched by the caller mid-call."""

    mock_log = None

    def bilingual_call(self, inputs, host_args):
        uuid = call_uuid(71)
        # The caller's number in E.164 by the machine's phone_region (it has no locale).
        h = run(self, {"calls": [{"uuid": uuid, "caller": "0612345678", "inputs": inputs}]},
                machine=BILINGUAL,
                backend=False, host_args=host_args)
        h.stop()
        self.assertEqual(h.host_rc, 0, h.host_log)
        return h, uuid

    def test_voice_and_recogniser_follow_the_language(self):
        h, uuid = self.bilingual_call(
            [{"speech": "english please", "confidence": 0.9},
             {"speech": "yes", "confidence": 0.9}],
            ["--tts-voice", "fr-FR=bernard,en-US=slt,kal", "--asr-engine", "unimrcp"])
        asks = h.asks(uuid)
        self.assertEqual([prompt_of(a) for a in asks],
                         ["Bonjour. For English, press 9.", "Do you confirm?"])
        self.assertEqual([a["voice"] for a in asks], ["bernard", "slt"])
        self.assertEqual([a["speech_language"] for a in asks], ["fr-FR", "en-US"])
        # The voice right before each question, and each spoken question's mark right after.
        executes = h.executes(uuid)
        around = [(executes[i - 1]["arg"], executes[i + 1]["arg"]) for i, e in
                  enumerate(executes) if e["app"] in ASKS]
        self.assertEqual([before for before, _ in around], ["tts_voice=bernard", "tts_voice=slt"])
        self.assertEqual([after.split("=")[0] for _, after in around],
                         ["ivrsm_speech_done", "ivrsm_speech_done"])
        speak = [e for e in h.executes(uuid) if e["app"] == "speak"]
        self.assertEqual([(prompt_of(e), e["voice"]) for e in speak],
                         [("Goodbye +33612345678.", "slt")])

    def test_keypad_questions_and_the_default_voice(self):
        """Without a voice for French the default one speaks it; keys switch the language
        as words do, and no recogniser means no speech-language anywhere."""
        h, uuid = self.bilingual_call([{"digits": "9"}, {"digits": "1"}],
                                      ["--tts-voice", "en=slt"])
        asks = h.asks(uuid)
        self.assertEqual([(prompt_of(a), a["voice"]) for a in asks],
                         [("Bonjour. For English, press 9.", "kal"), ("Do you confirm?", "slt")])
        speak = [e for e in h.executes(uuid) if e["app"] == "speak"]
        self.assertEqual([(prompt_of(e), e["voice"]) for e in speak],
                         [("Goodbye +33612345678.", "slt")])
        self.assertTrue(all(e["app"] != "play_and_detect_speech" for e in h.executes(uuid)))

    def test_spoken_answer_as_the_connection_drops(self):
        """The switch stops writing as a spoken question ends: its result is in
        detect_speech_result but its CHANNEL_EXECUTE_COMPLETE is lost with the connection.
        The host follows each spoken question with "set ivrsm_speech_done=UUID" (its
        Event-UUID) in the channel's queue, reads the channel's data once reconnected (uuid_dump) and, that
        variable naming the question in flight, feeds its result: words, a key that ended
        it, or the recogniser's silence (Completion-Cause: 002); the caller is not asked
        again. A question the switch never read (its listener stuck) leaves the previous
        question's result and mark on the channel: it is asked again, never answered with
        the other question's words.
        Silence ends a question in what each recogniser leaves: mod_unimrcp's
        "Completion-Cause: 002", pocketsphinx's NLSML <noinput/>, or, with an engine that
        returns nothing, no detect_speech_result at all (play_and_detect_speech_function sets
        it only to a result that is not empty): each is no input, the question's no-input
        re-prompt, not the question asked again as if it had never ended."""
        host_args = ["--tts-voice", "fr-FR=bernard,en-US=slt,kal", "--asr-engine", "unimrcp"]
        english = {"speech": "english please", "confidence": 0.9}
        yes = {"speech": "yes", "confidence": 0.9}
        said, keyed, silent, stale = (call_uuid(87), call_uuid(88), call_uuid(89),
                                      call_uuid(90))
        silent_sphinx, silent_nothing = call_uuid(91), call_uuid(92)
        quiet = [{"silence": True, "drop_before_completion": True}, english, yes]
        cases = {
            said: [dict(english, drop_before_completion=True), yes],
            keyed: [{"keys": "9", "drop_before_completion": True}, yes],
            silent: quiet,
            silent_sphinx: quiet,
            silent_nothing: quiet,
            stale: [dict(english, stall={"on_next_command": True,
                                         "app": "play_and_detect_speech"}), yes],
        }
        engines = {silent_sphinx: "pocketsphinx", silent_nothing: "none"}
        for uuid, inputs in cases.items():
            script = {"asr": engines.get(uuid, "unimrcp"),
                      "calls": [{"uuid": uuid, "caller": "0612345678", "inputs": inputs}]}
            h = run(self, script,
                    machine=BILINGUAL, backend=False,
                    host_args=host_args + ["--esl-reply-timeout-ms", "1000"])
            h.stop()
            self.assertEqual(h.host_rc, 0, h.host_log)
            self.assertEqual(len(h.report["connections"]), 2, uuid)
            asks = [(prompt_of(a), a["connection"]) for a in h.asks(uuid)
                    if "broken_ms" not in a]
            dumps = [a for a in h.report["calls"][uuid]["apis"] if a["api"] == "uuid_dump"]
            self.assertEqual([a["connection"] for a in dumps], [2], uuid)
            speak = [prompt_of(e) for e in h.executes(uuid) if e["app"] == "speak"]
            if uuid == stale:
                self.assertEqual(asks, [("Bonjour. For English, press 9.", 1),
                                        ("Do you confirm?", 2)], h.host_log)
                self.assertNotIn("was on the channel", h.host_log)
                self.assertIn("call %s: resumed in confirm; the command in flight is sent "
                              "again" % uuid, h.host_log)
                self.assertIn("speech \"yes\" (confidence 0.90) in confirm", h.host_log)
                self.assertEqual(speak, ["Goodbye +33612345678."])
                continue
            self.assertRegex(h.host_log, r"call %s: the answer to the spoken question in "
                             r"flight was on the channel \(detect_speech_result, "
                             r"ivrsm_speech_done=[0-9a-f-]{36}\): its completion was lost with the "
                             r"connection" % uuid)
            self.assertNotIn("call %s: resumed" % uuid, h.host_log)
            if uuid in (silent, silent_sphinx, silent_nothing):
                # No input: the machine asks again, on the new connection.
                self.assertIn("call %s: noinput in welcome" % uuid, h.host_log)
                self.assertEqual(asks, [("Bonjour. For English, press 9.", 1),
                                        ("Bonjour. For English, press 9.", 2),
                                        ("Do you confirm?", 2)])
            else:
                self.assertEqual(asks, [("Bonjour. For English, press 9.", 1),
                                        ("Do you confirm?", 2)])
            self.assertEqual(speak, ["Goodbye +33612345678."])

    def test_recogniser_language_mapped(self):
        h, uuid = self.bilingual_call(
            [{"speech": "oui", "confidence": 0.9}, {"speech": "oui", "confidence": 0.9}],
            ["--asr-engine", "unimrcp", "--asr-language", "fr-FR=fr-CA"])
        self.assertEqual([a["speech_language"] for a in h.asks(uuid)], ["fr-CA", "fr-CA"])
        # One voice: the call's setup gives it, no prompt carries one.
        self.assertEqual([e["arg"] for e in h.executes(uuid) if e["app"] == "set"
                          and e["arg"].startswith("tts_voice")], [])


    def test_every_language(self):
        """Each built-in locale: its voice, its recogniser language, its words for a date
        and for the caller's number (template formats)."""
        # A date of another year than the call's is said with its year.
        other_year = datetime.datetime.now(datetime.timezone.utc).year != 2026
        cases = [  # key, language, voice, question (date, year, end), goodbye
            ("1", "fr-FR", "v-fr", ("Le jeudi 3 décembre", " 2026", " ?"),
             "Au revoir 0 6, 12, 34, 56, 78."),
            ("2", "en-US", "v-us", ("On Thursday, December 3rd", ", 2026", "?"),
             "Goodbye 0 6, 1 2, 3 4, 5 6, 7 8."),
            ("3", "en-GB", "v-gb", ("On Thursday the 3rd of December", " 2026", "?"),
             "Goodbye 0 6, 1 2, 3 4, 5 6, 7 8."),
            ("4", "es-ES", "v-es", ("¿El jueves 3 de diciembre", " de 2026", "?"),
             "Adiós 0 6, 12, 34, 56, 78."),
            ("5", "de-DE", "v-de", ("Am Donnerstag, den 3. Dezember", " 2026", "?"),
             "Auf Wiederhören 0 6, 1 2, 3 4, 5 6, 7 8."),
            ("6", "fr-BE", "v-be", ("Le jeudi 3 décembre", " 2026", " ?"),
             "Au revoir 0 6, 12, 34, 56, 78."),
            ("7", "fr-CH", "v-ch", ("Le jeudi 3 décembre", " 2026", " ?"),
             "Au revoir 0 6, 12, 34, 56, 78."),
        ]
        voices = ",".join(f"{lang}={voice}" for _, lang, voice, _, _ in cases)
        calls = [{"uuid": call_uuid(80 + i), "caller": "0612345678",
                  "inputs": [{"digits": case[0]}, {"speech": "x", "confidence": 0.9}]}
                 for i, case in enumerate(cases)]
        h = run(self, {"calls": calls}, machine=EVERY_LANGUAGE, backend=False,
                host_args=["--tts-voice", voices + ",kal", "--asr-engine", "unimrcp"])
        h.stop()
        self.assertEqual(h.host_rc, 0, h.host_log)
        for call, (_, lang, voice, (date, year, end), goodbye) in zip(calls, cases):
            with self.subTest(language=lang):
                question = date + (year if other_year else "") + end
                asks = h.asks(call["uuid"])
                self.assertEqual([(prompt_of(a), a["voice"], a["speech_language"]) for a in asks],
                                 [("1 2 3 4 5 6 7", "v-fr", "fr-FR"), (question, voice, lang)])
                speak = [e for e in h.executes(call["uuid"]) if e["app"] == "speak"]
                self.assertEqual([(prompt_of(e), e["voice"]) for e in speak], [(goodbye, voice)])


class HandoffTargetTest(unittest.TestCase):
    """A handoff's queue is caller or backend data (a queue_id template rendering ctx: here
    a SIP header the caller chose, copied by --ctx-var). Whatever it holds, the call goes
    to the destination the operator's --handoff-arg names with that queue as a plain
    name, or takes the machine's on_fail: never to a destination the data wrote. The fake
    reads each handoff application's argument as FreeSWITCH does (fs_model.handoff_target:
    switch_ivr_originate, transfer_function, callcenter_function)."""

    # Each changes where FreeSWITCH sends the call once put in the template (checked
    # below against the model), or is no name at all.
    HOSTILE = ["1000@evil.example", "1000,sofia/gateway/out/0900123456",
               "1000|user/2000", "1000:_:user/2000", "{origination_caller_id_number=1}1000",
               "[leg_timeout=1]1000", "<x=1>1000", "1000^0900123456", "1000%evil.example",
               "-bleg", "-both", "1000 XML public", "1000\nXML", "care;transport=tcp",
               "^^:1000:XML:public", "1000'x y'", "a/b", ".hidden", "1000\\,2000",
               "caf\u00e9", "${sofia_contact(1000)}", "1000!2000", "1000\t2000"]

    def run_queues(self, handoff_app, template, legit):
        queues = self.HOSTILE + legit
        calls = [{"uuid": call_uuid(200 + i), "handoff": "ok",
                  "vars": {"ivrsm_app": "synergia", "sip_h_X-Queue": q}}
                 for i, q in enumerate(queues)]
        h = run(self, {"calls": calls}, machine=HERE / "queue_machine.yaml", backend=False,
                host_args=["--ctx-var", "sip_h_X-Queue=account.queue",
                           "--handoff-app", handoff_app, "--handoff-arg", template],
                timeout=30)
        h.stop()
        self.assertEqual(h.host_rc, 0, h.host_log)
        return h, {q: call_uuid(200 + i) for i, q in enumerate(queues)}

    def assert_refused(self, h, uuids, handoff_app):
        for q in self.HOSTILE:
            uuid = uuids[q]
            apps = [e["app"] for e in h.executes(uuid)]
            self.assertNotIn(handoff_app, apps, q)
            heard = [prompt_of(e) for e in h.executes(uuid) if e["app"] == "speak"]
            self.assertIn("Transfert impossible.", " ".join(heard), q)
            self.assertNotIn("Je vous passe un conseiller.", " ".join(heard), q)
            self.assertRegex(h.host_log, r"call %s: handoff not possible: queue '.*' is not a "
                             r"plain name" % uuid)
            self.assertIn("call %s: ended (hung up by the IVR" % uuid, h.host_log)

    def test_bridge_dial_string(self):
        template = "user/{queue}"
        plain = {"vars": [], "groups": [[{"endpoint": "user", "data": "care_1", "vars": [],
                                          "user": "care_1", "domain": None}]]}
        # What the unchecked data would have dialled: another domain, other legs, another
        # To, a registration elsewhere; never the one user or number the operator meant.
        for q in ("1000@evil.example", "1000,sofia/gateway/out/0900123456", "1000|user/2000",
                  "1000:_:user/2000"):
            t = fs_model.dial_targets(template.replace("{queue}", q))
            self.assertTrue(len(t["groups"]) > 1 or len(t["groups"][0]) > 1 or
                            t["groups"][0][0]["domain"] is not None, q)
        for q in ("1000^0900123456", "1000%evil.example"):
            leg = fs_model.dial_targets("sofia/gateway/agents/" + q)["groups"][0][0]
            self.assertEqual(leg["dest"], "1000", q)
            self.assertTrue(leg["to"] or leg["registered_host"], q)
        h, uuids = self.run_queues("bridge", template, ["care_1", "+33612345678"])
        self.assert_refused(h, uuids, "bridge")
        bridge = [e for e in h.executes(uuids["care_1"]) if e["app"] == "bridge"]
        self.assertEqual([e["target"] for e in bridge], [plain])
        bridge = [e for e in h.executes(uuids["+33612345678"]) if e["app"] == "bridge"]
        self.assertEqual([e["target"]["groups"][0][0]["user"] for e in bridge], ["+33612345678"])

    def test_transfer_and_callcenter_arguments(self):
        self.assertEqual(fs_model.transfer_target("-bleg XML default")["leg"], "bleg")
        self.assertEqual(fs_model.transfer_target("1000 XML public XML default")["context"],
                         "public")
        self.assertEqual(fs_model.callcenter_target("1000@evil.example@default")["domain"],
                         "evil.example@default")
        h, uuids = self.run_queues("transfer", "{queue} XML default", ["care_1", "sales.fr"])
        self.assert_refused(h, uuids, "transfer")
        for q in ("care_1", "sales.fr"):
            targets = [e["target"] for e in h.executes(uuids[q]) if e["app"] == "transfer"]
            self.assertEqual(targets, [{"leg": "self", "extension": q, "dialplan": "XML",
                                        "context": "default", "extra": []}])
        # mod_callcenter names queues NAME@DOMAIN: the domain is the operator's, in the
        # template.
        h, uuids = self.run_queues("callcenter", "{queue}@default", ["support"])
        self.assert_refused(h, uuids, "callcenter")
        targets = [e["target"] for e in h.executes(uuids["support"]) if e["app"] == "callcenter"]
        self.assertEqual(targets, [{"queue": "support@default", "name": "support",
                                    "domain": "default", "extra": []}])


class OptionsTest(unittest.TestCase):
    """Bad options and machines exit with status 2 and a message that names them."""

    def host(self, *args):
        return subprocess.run([HOST, *args], capture_output=True, text=True, timeout=20)

    def test_bad_options(self):
        base = ["--machine", str(SEED), "--backend", "http://127.0.0.1:9"]
        cases = [
            ([], "--machine FILE is required"),
            (["--machine", str(SEED)], "--backend URL is required"),
            (base + ["--filter-var", "ivrsm_app"], "--filter-var 'ivrsm_app': expected NAME=VALUE"),
            (base + ["--filter-var", "a=b c"], "name and value without spaces"),
            (base + ["--handoff-app", "queue"], "--handoff-app 'queue': expected transfer, bridge or callcenter"),
            (base + ["--handoff-arg", "user/1000"], "must name the queue as {queue}"),
            (base + ["--handoff-arg", "${x}/{queue}"], "may hold no '{', '}' or '$' but {queue}"),
            (base + ["--tts-voice", "kal|x"], "'kal|x': engine, voice and grammar names are single plain words"),
            (base + ["--tts-voice", "fr-FR=a b"], "--tts-voice: 'fr-FR=a b': expected LANGUAGE=VALUE"),
            (base + ["--tts-voice", "fr FR=kal"], "--tts-voice: 'fr FR=kal': expected LANGUAGE=VALUE"),
            (base + ["--tts-voice", "fr-FR=${x}"], "--tts-voice: 'fr-FR=${x}': expected LANGUAGE=VALUE"),
            (base + ["--tts-voice", ","], "--tts-voice: expected VALUE or LANGUAGE=VALUE"),
            (base + ["--asr-language", "fr-CA"], "--asr-language: expected LANGUAGE=VALUE entries only"),
            (base + ["--asr-language", "fr-FR=x|y"], "--asr-language: 'fr-FR=x|y': expected LANGUAGE=VALUE"),
            (base + ["--log-level", "loud"], "--log-level 'loud': expected error, warn, info or debug"),
            (base + ["--esl", "127.0.0.1"], "--esl '127.0.0.1': expected HOST:PORT"),
            (base + ["--esl", "127.0.0.1:99999"], "the port must be a number from 1 to 65535"),
            (base + ["--snapshot-dir", "/nonexistent/dir"], "--snapshot-dir '/nonexistent/dir' is not a directory"),
            (base + ["--reconnect-min-ms", "5000", "--reconnect-max-ms", "100"], "min <= max"),
            (base + ["--esl-reply-timeout-ms", "50"], "--esl-reply-timeout-ms '50'"),
            (base + ["--max-calls", "0"], "--max-calls '0': a number from 1 to 1000000"),
            (base + ["--max-calls", "1e9"], "--max-calls '1e9': a number from 1 to 1000000"),
            (base + ["--redis", "127.0.0.1"], "--redis '127.0.0.1': expected HOST:PORT"),
            (base + ["--redis", "127.0.0.1:6379", "--snapshot-dir", "/tmp"],
             "--snapshot-dir and --redis: one store or the other"),
            (base + ["--redis", "127.0.0.1:6379", "--lease-ms", "10"],
             "--lease-ms '10': milliseconds from 300 to 600000"),
            (base + ["--redis", "127.0.0.1:6379", "--lease-ms", "1000", "--redis-timeout-ms", "900"],
             "--redis-timeout-ms '900': milliseconds from 50 to half the lease"),
            (base + ["--redis", "127.0.0.1:6379", "--store-ttl", "5"], "--store-ttl '5'"),
            (base + ["--redis", "127.0.0.1:6379", "--host-id", "a b"], "--host-id 'a b': one word"),
            (base + ["--host-id", "a"], "need --redis"),
            (base + ["--store-write-behind", "-1"], "--store-write-behind '-1'"),
            (base + ["--backend"], "unknown option or missing value: --backend"),
            (["--machine", "/nonexistent.yaml", "--backend", "http://127.0.0.1:9"], "/nonexistent.yaml"),
            (["--machine", str(SEED), "--backend", "ftp://x"], "--backend 'ftp://x'"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = self.host(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(message, r.stderr)
        r = self.host("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--handoff-app APP", r.stdout)


def main():
    global HOST, MOCK_SERVER, FAKE
    if len(sys.argv) < 4:
        raise SystemExit("usage: test_esl_host.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH")
    HOST, MOCK_SERVER, FAKE = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
