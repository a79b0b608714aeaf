#!/usr/bin/env python3
"""ivrsm replay: a trace written by `ivrsm sim --trace` replays identically; changes are reported."""

import json
import pathlib
import shutil
import tempfile

import clitest
from clitest import MACHINE, BackendTestCase, run

CALL = """\
dtmf 1
dtmf 0612345678#
dtmf 123456
say oui
dtmf 2
say le premier
say pouvez-vous me rappeler
"""


def read_records(path: pathlib.Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_records(path: pathlib.Path, records: list) -> None:
    path.write_text("".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records))


class Replay(BackendTestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)
        self.trace = self.tmp / "call.jsonl"
        r = run(["sim", MACHINE, "--backend", self.backend, "--trace", self.trace], CALL)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_an_untouched_trace_replays_identically(self):
        r = run(["replay", self.trace])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^replay: identical: 13 events, \d+ records\n$")
        # The OTP was replaced by a checked stand-in, never written.
        text = self.trace.read_text()
        self.assertNotIn("dtmf 123456", text)
        stand_in = [rec for rec in read_records(self.trace) if rec.get("stand_in")]
        self.assertEqual([rec["line"] for rec in stand_in], ["dtmf 000000"])

    def test_a_changed_backend_answer_is_a_divergence(self):
        records = read_records(self.trace)
        answer = next(rec for rec in records
                      if rec.get("type") == "action_result" and rec["status"] == 200)
        answer["status"] = 503
        write_records(self.trace, records)
        r = run(["replay", self.trace])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("replay: divergence at event 3 (", r.stdout)
        self.assertIn("  expected: transition ivr.auth.request_otp → ivr.auth.verify_otp (success)",
                      r.stdout)
        self.assertIn("  actual:   action_failed status 503", r.stdout)

    def test_a_changed_prompt_is_a_divergence_on_that_command(self):
        records = read_records(self.trace)
        command = next(rec for rec in records
                       if rec["kind"] == "command" and rec["state"] == "ivr.auth.consent")
        command["text"] = "Acceptez-vous ?"
        write_records(self.trace, records)
        r = run(["replay", self.trace])
        self.assertEqual(r.returncode, 1)
        self.assertIn("  expected: IVR  › Acceptez-vous ?\n"
                      "            ASK  [dtmf 1 digit | speech] · ivr.auth.consent\n", r.stdout)
        self.assertIn("  actual:   IVR  › Pour gérer vos rendez-vous", r.stdout)
        self.assertIn("  differs in: text\n", r.stdout)

    def test_a_truncated_trace_shows_the_extra_records(self):
        records = read_records(self.trace)
        write_records(self.trace, records[:-3])
        r = run(["replay", self.trace])
        self.assertEqual(r.returncode, 1)
        self.assertIn("replay: divergence after the last recorded event: the replay goes on",
                      r.stdout)

    def test_another_machine_version_is_replayed_and_compared(self):
        changed = self.tmp / "machine.yaml"
        text = MACHINE.read_text().replace('prompt: "Merci. Au revoir."',
                                           'prompt: "Merci, et au revoir."')
        changed.write_text(text.replace('version: "1.0.0"', 'version: "1.0.1"'))
        r = run(["replay", self.trace, "--machine", changed])
        self.assertEqual(r.returncode, 1)
        self.assertIn("note: the call was recorded on synergia_rdv_mvp_ivr 1.0.0, replayed on "
                      "synergia_rdv_mvp_ivr 1.0.1", r.stderr)
        self.assertIn("Merci, et au revoir.", r.stdout)

    def test_bad_traces_exit_2(self):
        broken = self.tmp / "broken.jsonl"
        lines = self.trace.read_text().splitlines()
        lines[4] = "{not json"
        broken.write_text("\n".join(lines) + "\n")
        r = run(["replay", broken])
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, rf"^{broken}:5:\d+: not a trace record: ")
        headless = self.tmp / "headless.jsonl"
        headless.write_text("\n".join(self.trace.read_text().splitlines()[1:]) + "\n")
        r = run(["replay", headless])
        self.assertEqual(r.returncode, 2)
        self.assertIn("has no sim header record: give the machine with --machine", r.stderr)
        # Without its header a trace replays under its records' session id (the call id and
        # the initial ctx are unknown then, so whether it is identical depends on the machine).
        r = run(["replay", headless, "--machine", MACHINE])
        self.assertIn(r.returncode, (0, 1), r.stderr)
        self.assertTrue(r.stdout.startswith("replay: "), r.stdout)
        self.assertEqual(run(["replay"]).returncode, 2)
        r = run(["replay", self.tmp / "missing.jsonl"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot open", r.stderr)


class ReplayWithoutBackend(BackendTestCase):
    def test_a_handoff_call_replays(self):
        with tempfile.TemporaryDirectory() as tmp:
            trace = pathlib.Path(tmp) / "handoff.jsonl"
            r = run(["sim", MACHINE, "--handoff", "fail", "--now", "2025-03-10T10:00:00Z",
                     "--trace", trace], "noinput\nnomatch\ndtmf 0\n")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(["replay", trace])
            self.assertEqual(r.returncode, 0, r.stdout)
            records = read_records(trace)
            handoff = next(rec for rec in records if rec.get("type") == "handoff_result")
            handoff["ok"] = True
            write_records(trace, records)
            r = run(["replay", trace])
            self.assertEqual(r.returncode, 1)
            self.assertIn("handoff_done", r.stdout)


if __name__ == "__main__":
    clitest.main()
