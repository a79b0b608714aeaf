#!/usr/bin/env python3
"""What the backend, a trace or a machine sends cannot drive the developer's terminal.

`ivrsm sim`, `test`, `replay` and `validate` print texts they did not write:
a backend's answer said in a prompt, the ctx, a trace file, a machine's keys.
Each run below feeds them escape sequences (a window title set by OSC, the
screen cleared, the cursor moved, the 8-bit CSI U+009B, a bell, a carriage
return, DEL, a right-to-left override) and checks that the readable output
holds none of them raw, only their escapes ("\\u001b").
"""

import json
import pathlib
import re
import shutil
import tempfile
import unittest

import clitest
from clitest import run

# What a hostile backend puts in a name it knows will be said.
HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x9b31mX\r\x1b[1A\x7f\u202eevil"
# Bytes and code points a terminal acts on: C0 but the line break, DEL, C1, bidi controls.
ACTING = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

MACHINE = """\
machine: hostile_text
version: "1.0.0"
locale: en-US
intents:
  one: { dtmf: ["1"] }
globals:
  endpoints:
    lookup: "GET /lookup"
states:
  start:
    type: action_then_prompt
    action: { call: lookup }
    on_success:
      set: { name: "{{resp.name}}" }
      prompt_template: "Hello {{resp.name}}"
      next: menu
    on_fail:
      next: bye
  menu:
    type: prompt_and_listen
    prompt: "Press 1."
    routes:
      - when_intent: one
        next: bye
  bye:
    type: prompt_end
    prompt: "Bye"
"""


class HostileText(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)
        self.machine = self.tmp / "machine.yaml"
        self.machine.write_text(MACHINE)
        self.answers = self.tmp / "answers.json"
        self.answers.write_text(json.dumps({"lookup": {"status": 200, "body": {"name": HOSTILE}}}))

    def assert_inert(self, text):
        found = ACTING.search(text)
        self.assertIsNone(found, f"a raw {found.group()!r} reaches the terminal:\n{text!r}"
                          if found else "")

    def test_sim_shows_a_backend_text_escaped(self):
        r = run(["sim", self.machine, "--responses", self.answers], ":ctx\n:state\n1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_inert(r.stdout)
        self.assert_inert(r.stderr)
        self.assertIn("IVR  › Hello \\u001b]0;PWNED\\u0007\\u001b[2J\\u009b31mX", r.stdout)
        self.assertIn("\\u202eevil", r.stdout)
        # :ctx is JSON, and stays JSON once escaped.
        ctx = r.stdout[r.stdout.index("CTX  ") + 5:r.stdout.index("\n}\n") + 2]
        self.assertEqual(json.loads(ctx)["name"], HOSTILE)

    def test_sim_json_lines_keep_the_text_exact(self):
        """--json is for programs: escaped as JSON, the text read back is the backend's."""
        r = run(["sim", self.machine, "--responses", self.answers, "--json"], ":ctx\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_inert(r.stdout)
        lines = clitest.json_lines(r.stdout)
        http = next(o for o in lines if o["type"] == "http")
        self.assertEqual(http["response"]["name"], HOSTILE)
        ctx = next(o for o in lines if o["type"] == "ctx")
        self.assertEqual(ctx["ctx"]["name"], HOSTILE)

    def test_a_failing_scenario_quotes_the_text_escaped(self):
        scenario = self.tmp / "s.yaml"
        scenario.write_text(json.dumps({
            "machine": "machine.yaml",
            "responses": {"lookup": {"status": 200, "body": {"name": HOSTILE}}},
            "steps": [{"expect": {"says": "Goodbye", "ctx": {"name": "x"}, "state": "nowhere"}},
                      {"dtmf": "1"}],
        }))
        r = run(["test", scenario])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assert_inert(r.stdout)
        self.assert_inert(r.stderr)
        self.assertIn('"Hello \\u001b]0;PWNED', r.stdout)

    def test_replay_quotes_a_hostile_trace_escaped(self):
        trace = self.tmp / "call.jsonl"
        r = run(["sim", self.machine, "--responses", self.answers, "--trace", trace], "1\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        records = [json.loads(line) for line in trace.read_text().splitlines()]
        for rec in records:
            if rec.get("type") == "say":
                rec["text"] = "Hi " + HOSTILE
        trace.write_text("".join(json.dumps(rec) + "\n" for rec in records))
        r = run(["replay", trace])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("divergence", r.stdout)
        self.assert_inert(r.stdout)
        self.assert_inert(r.stderr)

    def test_validate_messages_quote_a_machine_key_printable(self):
        """The library's diagnostics are one printable line: hosts log them too."""
        bad = self.tmp / "bad.yaml"
        bad.write_text(MACHINE.replace('    prompt: "Bye"\n',
                                       '    prompt: "Bye"\n    "k\\e]0;T\\a\\nforged: x\\u009b": 1\n'))
        for fmt in ("text", "json"):
            r = run(["validate", "--format", fmt, bad])
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assert_inert(r.stdout)
            self.assertNotIn("\\u001b", r.stdout)
        r = run(["validate", bad])
        self.assertIn("unknown key 'k?]0;T? forged: x?'", r.stdout)
        self.assertIn("the key 'k?]0;T? forged: x?' holds U+001B", r.stdout)
        self.assertEqual(len([l for l in r.stdout.splitlines() if "error:" in l]), 2, r.stdout)

    def test_graph_and_explain_draw_a_machine_texts_escaped(self):
        """A machine's input defaults and descriptions (texts, which may hold any character)
        reach the terminal through `graph` (DOT and Mermaid, before any pipe to dot) and
        `validate --explain`; its names may not hold such characters at all."""
        named = self.tmp / "named.yaml"
        named.write_text(
            'machine: m\nversion: "1"\ndescription: "d\\e[2J"\n'
            'inputs:\n  caller: { type: string, default: "\\e[5m", description: "d\\u009b1A" }\n'
            'states:\n  s:\n    type: prompt_end\n    prompt: "hi"\n')
        for args in (["graph", named], ["graph", named, "--format", "mermaid"],
                     ["validate", "--explain", named]):
            r = run(args)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assert_inert(r.stdout)
        self.assertIn("d\\u009b1A", run(["validate", "--explain", named]).stdout)
        hostile = self.tmp / "hostile.yaml"
        hostile.write_text(
            'machine: "m\\e]0;T\\a"\nversion: "1\\e[2J"\n'
            'inputs:\n  "in\\e[31m": string\n'
            'states:\n  "s\\e[2J":\n    type: prompt_end\n    prompt: "hi"\n')
        for args in (["graph", hostile], ["validate", "--explain", hostile]):
            r = run(args)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assert_inert(r.stdout)
            self.assert_inert(r.stderr)
            self.assertIn("the machine name 'm?]0;T?' holds U+001B", r.stdout + r.stderr)


if __name__ == "__main__":
    clitest.main()
