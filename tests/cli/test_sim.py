#!/usr/bin/env python3
"""ivrsm sim: piped caller lines against the mock backend, readable and JSON output, exit codes."""

import json
import pathlib
import tempfile

import clitest
from clitest import MACHINE, BackendTestCase, json_lines, run

# Log in with the mock's test code, then pick the first appointment and ask for a callback.
LOGIN_AND_CALLBACK = """\
# the caller's side
dtmf 1
dtmf 0612345678#
dtmf 123456
say oui
dtmf 2
say le premier
say pouvez-vous me rappeler
"""

LOGIN_ONLY = "dtmf 1\ndtmf 0612345678#\ndtmf 123456\n"

NOW = "2025-03-10T09:30:00+01:00"


class ReadableOutput(BackendTestCase):
    def test_a_whole_call_reads_as_a_dialogue(self):
        r = run(["sim", MACHINE, "--backend", self.backend, "--now", NOW], LOGIN_AND_CALLBACK)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("IVR  › Bonjour et bienvenue."), lines[0])
        self.assertEqual(lines[1], "ASK  [dtmf 1 digit | speech] · ivr.entry")
        self.assertEqual(lines[2], "YOU  ‹ dtmf 1")
        self.assertIn("ASK  [dtmf 1-20 digits # | speech | collect phone] · ivr.auth.phone_capture",
                      lines)
        http = [line for line in lines if line.startswith("HTTP ")]
        self.assertRegex(http[0], r"^HTTP PUT /auth/request-otp → 200 \(\d+ ms\)$")
        self.assertRegex(http[1], r"^HTTP PUT /auth/verify-otp → 200 \(\d+ ms\)$")
        self.assertIn("HTTP GET /appointments?scope=upcoming → 200", "\n".join(http))
        self.assertRegex(http[-1], r"^HTTP PUT /appointments/apt-42-1/callback → 200")
        self.assertIn("IVR  › Très bien. Un conseiller vous rappellera dès que possible. "
                      "Merci. Au revoir.", lines)
        self.assertEqual(lines[-1], "HANGUP goodbye")
        self.assertEqual(r.stderr, "")

    def test_the_otp_is_masked_in_the_echo(self):
        r = run(["sim", MACHINE, "--backend", self.backend], LOGIN_ONLY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("YOU  ‹ dtmf ******\n", r.stdout)
        self.assertNotIn("dtmf 123456", r.stdout)

    def test_keys_are_read_as_a_phone_reads_them(self):
        """The question's bounds and terminator, as a phone on the ESL host: keys after
        the entry do not answer anything, a lone terminator is a wrong answer, and the
        code typed again in the retry state is taken whole."""
        caller = ("dtmf 12\n"                 # the menu takes one key: '2' goes nowhere
                  "dtmf 0612345678#\n"
                  "dtmf 505050#\n"            # a wrong code: the retry state asks again
                  "dtmf 123456#9\n"           # the code again, then a stray key
                  "dtmf #\n")                 # consent: '#' alone is no answer
        r = run(["sim", MACHINE, "--backend", self.backend, "--now", NOW], caller)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[3], "(keypad: the question takes at most 1 key: 1 key after the "
                                   "entry is not part of this answer)")
        self.assertIn("Pour sécuriser votre accès", lines[4])
        retry = [i for i, line in enumerate(lines) if "Code incorrect" in line]
        self.assertEqual(len(retry), 1)
        self.assertEqual(lines[retry[0] + 1],
                         "ASK  [dtmf 1-6 digits # | speech] · ivr.auth.verify_otp.retry")
        self.assertEqual(lines[retry[0] + 3], "(keypad: the terminator ended the entry: 1 key "
                                              "after it is not part of this answer)")
        verify = [line for line in lines if line.startswith("HTTP PUT /auth/verify-otp")]
        self.assertEqual([v.split(" → ")[1].split(" ")[0] for v in verify], ["401", "200"])
        consent = [i for i, line in enumerate(lines) if "acceptez-vous" in line]
        self.assertEqual(len(consent), 2)  # asked again after the lone '#'

    def test_keypad_notes_in_json(self):
        r = run(["sim", MACHINE, "--json"], "dtmf 123\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        notes = [o for o in json_lines(r.stdout) if o.get("type") == "keypad"]
        self.assertEqual(notes, [{"type": "keypad", "note": "the question takes at most 1 key: "
                                  "2 keys after the entry are not part of this answer"}])

    def test_the_masked_otp_has_a_star_per_digit_not_for_the_hash(self):
        # Keyed: one star per digit, the '#' that ends the entry as typed.
        r = run(["sim", MACHINE, "--backend", self.backend], "dtmf 1\ndtmf 0612345678#\ndtmf 123456#\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("YOU  ‹ dtmf ******#\n", r.stdout)
        # Spoken in words, a length would tell the digits ("quatre", "cinq"): three stars.
        r = run(["sim", MACHINE, "--backend", self.backend],
                "dtmf 1\ndtmf 0612345678#\nsay un deux trois quatre cinq six\n")
        self.assertIn("YOU  ‹ say ***\n", r.stdout)
        self.assertNotIn("quatre", r.stdout)
        # Spoken in digits: one star per digit.
        r = run(["sim", MACHINE, "--backend", self.backend],
                "dtmf 1\ndtmf 0612345678#\nsay 123 456\n")
        self.assertIn("YOU  ‹ say ******\n", r.stdout)

    def test_the_code_typed_again_in_the_retry_state_is_masked_too(self):
        # ivr.auth.verify_otp.retry hands its input on to the OTP collect: a secret there too,
        # in the echo and in the trace file.
        with tempfile.TemporaryDirectory() as tmp:
            trace = pathlib.Path(tmp) / "call.trace"
            r = run(["sim", MACHINE, "--backend", self.backend, "--trace", trace],
                    "dtmf 1\ndtmf 0612345678#\ndtmf 999999#\nsay un deux trois quatre cinq six\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("ASK  [dtmf 1-6 digits # | speech] · ivr.auth.verify_otp.retry", r.stdout)
            self.assertEqual([line for line in r.stdout.splitlines() if line.startswith("YOU")][-2:],
                             ["YOU  ‹ dtmf ******#", "YOU  ‹ say ***"])
            written = trace.read_text()
            self.assertNotIn("999999", written)
            self.assertNotIn("quatre", written)
            replay = run(["replay", trace])
            self.assertEqual(replay.returncode, 0, replay.stdout + replay.stderr)

    def test_an_unreachable_backend_is_a_failed_action_not_a_crash(self):
        r = run(["sim", MACHINE, "--backend", "http://127.0.0.1:1"], "dtmf 1\ndtmf 0612345678#\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"HTTP PUT /auth/request-otp → connection refused \(\d+ ms\)")
        self.assertIn("Je n'ai pas pu envoyer le code.", r.stdout)

    def test_a_failed_handoff_takes_on_fail(self):
        r = run(["sim", MACHINE, "--handoff", "fail"], "dtmf 0\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("HANDOFF care_queue_1 → failed", r.stdout)
        self.assertIn("Tous nos conseillers sont indisponibles.", r.stdout)

    def test_a_successful_handoff_ends_the_call(self):
        r = run(["sim", MACHINE], "dtmf 0\ndtmf 1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[-1], "HANDOFF care_queue_1 → ok")
        self.assertNotIn("dtmf 1", r.stdout.split("HANDOFF")[1])

    def test_bad_lines_are_reported_and_skipped(self):
        r = run(["sim", MACHINE], "dtmf 1x\nwhistle\nsay@1.5 oui\nnoinput now\n\n# note\ndtmf 0\n")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr.splitlines(), [
            "ivrsm sim: stdin:1: 'x' is not a DTMF key (keys are 0-9 * # A-D)",
            "ivrsm sim: stdin:2: unknown input 'whistle': to say it, write \"say whistle\" "
            "(expected dtmf DIGITS (or the keys alone: 1) | say TEXT | "
            "say@CONFIDENCE TEXT | intent NAME | noinput | nomatch | hangup   (# starts a comment))",
            "ivrsm sim: stdin:3: confidence '1.5' is not a number from 0 to 1",
            "ivrsm sim: stdin:4: 'noinput' takes no argument",
        ])
        self.assertIn("HANDOFF care_queue_1 → ok", r.stdout)

    def test_a_line_without_end_is_skipped_not_kept(self):
        """A line past 64 KiB (piped from /dev/zero, say) is reported as it comes; the call goes on."""
        r = run(["sim", MACHINE], "say " + "x" * 200000 + "\ndtmf 0\n")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr.splitlines(), [
            "ivrsm sim: stdin:1: a line longer than 65536 bytes (no input is): skipped"])
        self.assertIn("HANDOFF care_queue_1 → ok", r.stdout)

    def test_keys_alone_are_keyed_digits(self):
        """"1" at a keypad question is what a caller types: it reads as "dtmf 1"; a line
        of words that is no input says how to speak it."""
        r = run(["sim", MACHINE, "--now", NOW], "1\n12 3\nrendez vous\n0\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[2], "YOU  ‹ dtmf 1")
        self.assertIn("Pour sécuriser votre accès", lines[3])
        self.assertIn("YOU  ‹ dtmf 0", lines)
        self.assertEqual(lines[-1], "HANDOFF care_queue_1 → ok")
        self.assertEqual([e.split(": to say it")[0] for e in r.stderr.splitlines()], [
            "ivrsm sim: stdin:2: unknown input '12'",
            "ivrsm sim: stdin:3: unknown input 'rendez'",
        ])
        self.assertIn('write "say rendez vous"', r.stderr)

    def test_noinput_nomatch_and_hangup(self):
        r = run(["sim", MACHINE], "noinput\nnomatch\nhangup\ndtmf 1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        asks = [line for line in r.stdout.splitlines() if line.startswith("ASK")]
        self.assertEqual(len(asks), 3)  # the first ask and two re-prompts
        self.assertNotIn("YOU  ‹ dtmf 1", r.stdout)  # the call ended with the hangup


class WhereTheCallStands(BackendTestCase):
    def test_ctx_shows_the_context_with_secrets_masked(self):
        r = run(["sim", MACHINE, "--backend", self.backend, "--call-id", "c-ctx"],
                LOGIN_ONLY + ":ctx\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        shown = r.stdout.split("CTX  ", 1)[1]
        ctx = json.loads(shown[:shown.index("\n}") + 2])
        self.assertEqual(ctx["call_id"], "c-ctx")
        self.assertEqual(ctx["phone_e164"], "+33612345678")
        self.assertEqual(ctx["portal_session_token"], "***")  # the mock's token, masked
        self.assertNotIn("otp", ctx)  # verified: forgotten, as it is in snapshots
        self.assertNotIn('"123456"', r.stdout)  # the code (the phone number holds those digits)
        self.assertEqual(r.stderr, "")

    def test_state_shows_the_state_its_counters_and_the_path(self):
        r = run(["sim", MACHINE, "--backend", self.backend],
                "dtmf 1\ndtmf 0612345678#\ndtmf 111111#\n:state\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("STATE "))
        self.assertEqual(lines[at], "STATE ivr.auth.verify_otp.retry (entered 1 time), "
                                    "waits for the caller")
        self.assertEqual(lines[at + 1], "      noinput 0 · nomatch 0 · collect retries 0 · "
                                        "failures in a row 1 · OTP failures 1 · escalations 0")
        self.assertEqual(lines[at + 2], "      path: ivr.entry → ivr.auth.phone_capture → "
                                        "ivr.auth.request_otp → ivr.auth.verify_otp → "
                                        "ivr.auth.verify_otp.retry")

    def test_in_json_they_are_json_objects(self):
        r = run(["sim", MACHINE, "--json", "--set", "session_token=s3cret", "--call-id", "c-j"],
                "dtmf 1\n:state\n:ctx\n:help\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        records = json_lines(r.stdout)
        state = next(rec for rec in records if rec["type"] == "state")
        self.assertEqual(state["state"], "ivr.auth.phone_capture")
        self.assertEqual(state["phase"], "input")
        self.assertEqual(state["visits"], 1)
        self.assertEqual(state["counters"]["nomatch"], 0)
        self.assertEqual(state["path"], ["ivr.entry", "ivr.auth.phone_capture"])
        ctx = next(rec for rec in records if rec["type"] == "ctx")["ctx"]
        self.assertEqual(ctx, {"session_token": "***", "call_id": "c-j", "session_id": "s-c-j",
                               "language": "fr-FR"})
        self.assertNotIn("s3cret", r.stdout)
        self.assertIn(":ctx the context", r.stderr)  # help stays off the JSON

    def test_unknown_commands_are_reported_and_skipped(self):
        r = run(["sim", MACHINE], ":stat\n:ctx now\ndtmf 0\n")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr.splitlines(), [
            "ivrsm sim: stdin:1: unknown command ':stat' (expected :ctx | :state | :help)",
            "ivrsm sim: stdin:2: ':ctx' takes no argument",
        ])
        self.assertIn("HANDOFF care_queue_1", r.stdout)


class JsonOutput(BackendTestCase):
    def test_one_json_object_per_command(self):
        r = run(["sim", MACHINE, "--backend", self.backend, "--json", "--call-id", "c-json"],
                LOGIN_AND_CALLBACK)
        self.assertEqual(r.returncode, 0, r.stderr)
        records = json_lines(r.stdout)
        types = [rec["type"] for rec in records]
        self.assertEqual(types[0], "ask")
        self.assertEqual(types[-1], "hangup")
        self.assertEqual(set(types), {"ask", "http", "say", "hangup"})
        for rec in records:
            self.assertIn("state", rec)
            self.assertIn("id", rec)
            if rec["type"] in ("say", "ask"):
                self.assertIsInstance(rec["text"], str)
            if rec["type"] == "http":
                self.assertIn(rec["method"], ("GET", "PUT"))
                self.assertTrue(rec["path"].startswith("/"))
                self.assertEqual(rec["status"], 200)
        verify = next(rec for rec in records if rec.get("endpoint") == "verify_otp")
        self.assertEqual(verify["body"]["otp"], "***")  # secrets never printed
        self.assertEqual(verify["state"], "ivr.auth.verify_otp")
        listing = next(rec for rec in records if rec.get("endpoint") == "list_appointments")
        self.assertEqual(listing["query"], "scope=upcoming")
        self.assertEqual(listing["headers"]["Authorization"], "***")
        self.assertEqual(listing["response"]["count"], 3)
        self.assertEqual(records[-1]["reason"], "goodbye")
        self.assertEqual(len(set(rec["id"] for rec in records)), len(records))

    def test_handoff_line_names_the_queue(self):
        r = run(["sim", MACHINE, "--json"], "dtmf 0\n")
        handoff = json_lines(r.stdout)[-1]
        self.assertEqual(handoff["type"], "handoff")
        self.assertEqual(handoff["queue"], "care_queue_1")
        self.assertEqual(handoff["state"], "ivr.handoff.to_agent")
        self.assertIs(handoff["ok"], True)

    def test_bad_lines_become_error_objects(self):
        r = run(["sim", MACHINE, "--json"], "dtmf\nintent\n")
        self.assertEqual(r.returncode, 0)
        errors = [rec for rec in json_lines(r.stdout) if rec["type"] == "error"]
        self.assertEqual(errors, [
            {"type": "error", "message": "'dtmf' needs digits, e.g. \"dtmf 1\"", "line": 1},
            {"type": "error", "message": "'intent' needs an intent name, e.g. \"intent operator\"",
             "line": 2},
        ])

    def test_set_gives_the_initial_ctx(self):
        r = run(["sim", MACHINE, "--json", "--set", "patient.name=Ana", "--set", "visits=3",
                 "--set", "vip=true", "--set", "note=rappel demain", "--call-id", "c-42"],
                "dtmf 0\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        context = json_lines(r.stdout)[-1]["context"]
        self.assertEqual(context["call_id"], "c-42")
        self.assertEqual(context["session_id"], "s-c-42")
        self.assertEqual(context["ctx"]["patient"], {"name": "Ana"})
        self.assertEqual(context["ctx"]["visits"], 3)
        self.assertIs(context["ctx"]["vip"], True)
        self.assertEqual(context["ctx"]["note"], "rappel demain")

    def test_set_follows_the_librarys_rule_for_dotted_keys(self):
        # --set writes ctx as a machine's `set:` does (ivrsm_ctx_set_json): a
        # value on the way of a dotted key is replaced by an object (the tool
        # used to refuse it), and an empty part is refused.
        r = run(["sim", MACHINE, "--json", "--set", "patient=Ana", "--set", "patient.age=40"],
                "dtmf 0\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json_lines(r.stdout)[-1]["context"]["ctx"]["patient"], {"age": 40})
        r = run(["sim", MACHINE, "--set", "patient..age=40"], "")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--set 'patient..age': a part of the key is empty or too long", r.stderr)

    def test_an_answer_for_no_endpoint_of_the_machine_is_reported(self):
        # A typo in a key ("verify_opt") would only show when the call gets
        # there, as a call without an answer: it is said before the call.
        answers = {"request_otp": {"status": 200}, "verify_opt": {"status": 200},
                   "GET /portal/me": {"status": 200}}
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "answers.json"
            path.write_text(json.dumps(answers))
            r = run(["sim", MACHINE, "--responses", path], "dtmf 0\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        warnings = r.stderr.splitlines()
        self.assertEqual(len(warnings), 1, r.stderr)
        self.assertTrue(warnings[0].startswith(
            f"ivrsm sim: {path}: warning: 'verify_opt' is no endpoint of {MACHINE} (its endpoints: "
            "send_magic_link, request_otp, verify_otp,"), warnings[0])
        self.assertTrue(warnings[0].endswith(
            '; a call that names no endpoint is answered by "METHOD /path"'), warnings[0])
        self.assertIn("HANDOFF care_queue_1 → ok", r.stdout)

    def test_a_clock_without_offset_is_utc_and_a_warning_says_so(self):
        # The seed speaks Europe/Paris time: 09:00 without an offset is 10:00 there.
        r = run(["sim", MACHINE, "--now", "2026-11-25T09:00"], "dtmf 0\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.splitlines(), [
            "ivrsm sim: --now: warning: '2026-11-25T09:00' has no UTC offset, so it is a UTC "
            "time, not a time in Europe/Paris (the machine's timezone): add the offset to mean a "
            "time there (2026-11-25T10:00:00+01:00 is 10:00 one hour ahead of UTC)"])
        for now in ("2026-11-25T09:00+01:00", "2026-11-25T08:00Z", "2026-11-25T09:00:00-05:00"):
            r = run(["sim", MACHINE, "--now", now], "dtmf 0\n")
            self.assertEqual(r.stderr, "", now)

    def test_canned_responses_without_a_backend(self):
        answers = {
            "request_otp": {"status": 200, "body": {"challenge_id": "c1"}},
            "verify_otp": [{"status": 401, "body": {"error": "invalid_code"}},
                           {"status": 200, "body": {"session_token": "t", "partner_id": 7}}],
            "GET /portal/me": {"error": "timeout"},
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "answers.json"
            path.write_text(json.dumps(answers))
            r = run(["sim", MACHINE, "--json", "--responses", path],
                    "dtmf 1\ndtmf 0612345678#\ndtmf 111111\ndtmf 123456\ndtmf 1\ndtmf 1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        http = [(rec["endpoint"], rec["status"], rec.get("error"))
                for rec in json_lines(r.stdout) if rec["type"] == "http"]
        self.assertEqual(http, [("request_otp", 200, None), ("verify_otp", 401, None),
                                ("verify_otp", 200, None), ("get_me", 0, "timeout")])


    def test_answers_made_up_from_the_machine(self):
        # --made-up-answers: a call without a backend nor a responses file goes on with the
        # successes ivrsm paths makes up: the customer's id in the next request's path, a list
        # of cards read by index, each card's digits said with | digits; --responses still
        # answers where it has an answer.
        machine = clitest.ROOT / "examples" / "card_block_es" / "machine.yaml"
        lines = ("dtmf 1\nsay uno dos tres cuatro cinco seis siete ocho zeta\ndtmf 14031985\n"
                 "dtmf 123456\ndtmf 2\n")
        now = "2026-11-25T10:00:00+01:00"
        r = run(["sim", machine, "--made-up-answers", "--now", now], lines)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("HTTP POST /customers/customer_id/codes → 200", r.stdout)
        self.assertIn("La kind-2 acabada en 4 8 2 1 2: diga la segunda o pulse 2.", r.stdout)
        self.assertIn("Va a bloquear la tarjeta acabada en 4 8 2 1 2.", r.stdout)
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "answers.json"
            path.write_text('{"verify_identity": {"status": 404, "body": {}}}')
            r = run(["sim", machine, "--made-up-answers", "--responses", path, "--now", now],
                    lines[:lines.index("dtmf 123456")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("HTTP POST /identity/verify → 404", r.stdout)
        self.assertIn("Los datos no coinciden con ningún cliente.", r.stdout)

    def test_canned_amounts_are_sent_as_written(self):
        # The file's text, not the double jansson reads it into: 1250.50 stays 1250.50.
        machine = clitest.ROOT / "tests" / "format" / "values.yaml"
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "answers.json"
            path.write_text('{"balance": [{"status": 200, "body": {"balance": 1250.50, '
                            '"nickname": null}}]}')
            r = run(["sim", machine, "--responses", path], "")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Votre solde est de 1250.50 euros.", r.stdout)
        self.assertNotIn("null", r.stdout)

class ExitCodes(BackendTestCase):
    def test_usage_errors_exit_2(self):
        for args, message in [
            (["sim"], "a MACHINE file is required"),
            (["sim", MACHINE, "--bogus"], "unknown option '--bogus'"),
            (["sim", MACHINE, "--handoff", "maybe"], "--handoff takes ok or fail"),
            (["sim", MACHINE, "--now", "tomorrow"], "--now takes an ISO 8601 time"),
            (["sim", MACHINE, "--set", "novalue"], "--set takes KEY=VALUE"),
            (["sim", MACHINE, "--timeout-ms", "-5"], "--timeout-ms takes a positive number"),
            (["sim", MACHINE, "--backend", "ftp://x"], "backend URL 'ftp://x'"),
            (["sim", MACHINE, "--trace"], "--trace needs a value"),
            (["sim", MACHINE, "--backend", "http://127.0.0.1:9", "--made-up-answers"],
             "--backend excludes --responses and --made-up-answers"),
        ]:
            with self.subTest(args=args):
                r = run(args)
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout, "")

    def test_a_machine_that_does_not_load_exits_2_with_its_position(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = pathlib.Path(tmp) / "bad.yaml"
            bad.write_text('machine: m\nversion: "1"\nstates:\n  a:\n    type: prompt_and_listen\n'
                           "    prompt: hi\n    routes:\n      - when_intent: nope\n"
                           "        next: a\n")
            r = run(["sim", bad], "dtmf 1\n")
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"bad\.yaml:8:\d+: .*nope")
        r = run(["sim", "/no/such/machine.yaml"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("/no/such/machine.yaml: ", r.stderr)

    def test_an_http_command_without_a_backend_exits_1(self):
        r = run(["sim", MACHINE], "dtmf 1\ndtmf 0612345678#\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("state ivr.auth.request_otp calls PUT /auth/request-otp (endpoint "
                      "request_otp) but no backend was given (use --backend URL, --responses "
                      "FILE.json or --made-up-answers)", r.stderr)

    def test_the_end_of_stdin_exits_0(self):
        r = run(["sim", MACHINE, "--backend", self.backend], "dtmf 1\n")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.splitlines()[-1].startswith("ASK"))

    def test_a_trace_file_that_cannot_be_written_exits_2(self):
        r = run(["sim", MACHINE, "--trace", "/no/such/dir/trace.jsonl"], "")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot create /no/such/dir/trace.jsonl", r.stderr)


class Trace(BackendTestCase):
    def test_the_trace_holds_the_header_and_no_secret(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "call.jsonl"
            r = run(["sim", MACHINE, "--backend", self.backend, "--now", NOW, "--call-id", "c-t",
                     "--set", "token=abc-secret", "--trace", path], LOGIN_ONLY)
            self.assertEqual(r.returncode, 0, r.stderr)
            text = path.read_text()
        records = json_lines(text)
        header = records[0]
        self.assertEqual(header["kind"], "sim")
        self.assertEqual(header["format"], "ivrsm-sim-trace/1")
        self.assertEqual(header["machine"], str(MACHINE))
        self.assertEqual(header["machine_name"], "synergia_rdv_mvp_ivr")
        self.assertEqual(header["now"], 1741595400000)
        self.assertEqual(header["call_id"], "c-t")
        self.assertEqual(header["ctx"], {"token": "***"})
        inputs = [rec for rec in records if rec["kind"] == "input"]
        # The entry as the keypad read it: the terminator ended it and is not part of it.
        self.assertEqual([rec["line"] for rec in inputs[:2]], ["dtmf 1", "dtmf 0612345678"])
        self.assertEqual(inputs[2].get("stand_in"), True)
        self.assertNotIn("dtmf 123456", text)
        self.assertNotIn("abc-secret", text)
        kinds = {rec["kind"] for rec in records}
        self.assertTrue({"event", "transition", "command"} <= kinds)
        self.assertTrue(all(rec["t"] == 1741595400000 for rec in records[1:]))


DATE_OF_BIRTH = """\
machine: dob
version: "1"
languages: [fr-FR, en-US]
timezone: Europe/Paris
states:
  dob:
    type: prompt_and_listen
    prompt: {fr-FR: "Votre date de naissance ?", en-US: "Your date of birth?"}
    collect: {mode: date_past, target: birth}
    nomatch: {max: 3, next: bye}
    next: bye
  bye:
    type: prompt_end
    prompt: {fr-FR: "Né le {{ctx.birth | date}}.", en-US: "Born on {{ctx.birth | date}}."}
"""


class DateOfBirth(BackendTestCase):
    """A date_past collect fed typed lines: keys in the locale's order, words said."""

    def call(self, lines, *extra):
        with tempfile.TemporaryDirectory() as tmp:
            machine = pathlib.Path(tmp) / "dob.yaml"
            machine.write_text(DATE_OF_BIRTH, encoding="utf-8")
            return run(["sim", machine, "--json", "--now", "2026-11-25T10:00:00+01:00", *extra], lines)

    def test_keyed_and_said(self):
        for lines, extra, said in [
            ("14031985\n", [], "Né le jeudi 14 mars 1985."),
            ("say le trois mars quatre-vingt-cinq\n", [], "Né le dimanche 3 mars 1985."),
            ("03141985\n", ["--set", "language=en-US"], "Born on Thursday, March 14th, 1985."),
            ("say March third, nineteen eighty-five\n", ["--set", "language=en-US"],
             "Born on Sunday, March 3rd, 1985."),
        ]:
            r = self.call(lines, *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            says = [o["text"] for o in json_lines(r.stdout) if o.get("type") == "say"]
            self.assertEqual(says, [said], lines)

    def test_not_a_date_of_birth_is_misunderstood(self):
        # 31 February, a date to come, then nothing that is a date: a no-match each time.
        r = self.call("31021985\nsay le 3 mars 2030\nsay bonjour\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        asks = [o for o in json_lines(r.stdout) if o.get("type") == "ask"]
        self.assertEqual(len(asks), 3)
        self.assertEqual(asks[0]["collect"], "date_past")
        self.assertEqual((asks[0]["min_digits"], asks[0]["max_digits"]), (6, 8))
        self.assertEqual([o["text"] for o in json_lines(r.stdout) if o.get("type") == "say"],
                         ["Né le ."])


if __name__ == "__main__":
    clitest.main()
