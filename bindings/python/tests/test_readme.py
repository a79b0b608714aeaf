"""The examples of bindings/README.md, run exactly as printed, and one command
encoding for C, Python and Node (ivrsm_command_to_json)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from support import ROOT, SEED

import ivrsm

README = ROOT / "bindings" / "README.md"
ADDON = os.environ.get("IVRSM_NODE_ADDON")
NODE = shutil.which("node")


def example(language):
    """The first fenced block of `language` in the README, as printed."""
    text = README.read_text(encoding="utf-8")
    return re.search(rf"^```{language}\n(.*?)^```$", text, re.S | re.M)[1]


# What the seed's backend answers (examples/synergia_rdv/mock_backend): enough
# for a login, the caller's preferences and the list of appointments.
ANSWERS = {
    "/auth/request-otp": (200, {"challenge_id": "c-1"}),
    "/auth/verify-otp": (200, {"session_token": "t", "partner_id": 42}),
    "/portal/me": (200, {"first_name": "Ana"}),
    "/appointments": (200, {"items": [{"id": "a1", "label": "lundi 9 heures"}]}),
}


class Caller:
    """The keys a caller types when asked, then "0" (an agent) until the end."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.asked = []

    def __call__(self, prompt=""):
        self.asked.append(prompt)
        if len(self.asked) > 40:
            raise AssertionError("the example does not end")
        return self.keys.pop(0) if self.keys else "0"


class PythonExampleTest(unittest.TestCase):
    def test_the_python_example_runs_as_printed(self):
        calls, said = [], []

        def my_backend(method, path, query, headers, body, idempotency_key):
            calls.append((method, path))
            return ANSWERS.get(path.split("?")[0], (200, {}))

        caller = Caller(["1", "0612345678#", "482913#", "1", "2"])
        code = compile(example("python"), str(README), "exec")
        old_cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            exec(code, {  # noqa: S102 - the README's own code
                "__name__": "__readme__",
                "my_backend": my_backend,
                "transfer": lambda queue, context: True,
                "input": caller,
                "print": lambda *args: said.append(" ".join(str(a) for a in args)),
            })
        finally:
            os.chdir(old_cwd)
        self.assertEqual(calls[:2], [("PUT", "/auth/request-otp"), ("PUT", "/auth/verify-otp")])
        # Two backend calls in a row (the caller's preferences, then the list)
        # are answered before the caller is asked anything again.
        self.assertGreaterEqual(len(calls), 4, calls)
        # Every key is asked for after what the IVR said since the last one.
        self.assertTrue(any(line.startswith("IVR: Un code à six chiffres") for line in said), said)
        self.assertTrue(said[-1].startswith("IVR: Vous avez rendez-vous à venir"), said)


    def test_the_python_example_says_the_last_words_of_a_call(self):
        # A call that ends with a goodbye (a prompt_end state): its words come
        # with the hangup, after the session has ended, and must still be said.
        said = []
        code = compile(example("python").replace("examples/synergia_rdv/machine.yaml",
                                                 "examples/hello/machine.yaml"),
                       str(README), "exec")
        old_cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            exec(code, {  # noqa: S102 - the README's own code
                "__name__": "__readme__",
                "my_backend": lambda *args: (500, None),
                "transfer": lambda queue, context: True,
                "input": Caller(["1"]),
                "print": lambda *args: said.append(" ".join(str(a) for a in args)),
            })
        finally:
            os.chdir(old_cwd)
        self.assertEqual(said[-1], "IVR: Nous sommes ouverts du lundi au vendredi, "
                                   "de 9 heures à 18 heures.")


@unittest.skipUnless(NODE and ADDON, "node or IVRSM_NODE_ADDON missing (meson test sets it)")
class NodeExampleTest(unittest.TestCase):
    def run_node(self, source):
        """Run `source` as a script for which require('ivrsm') is this tree's package."""
        with tempfile.TemporaryDirectory() as tmp:
            modules = Path(tmp) / "node_modules"
            modules.mkdir()
            (modules / "ivrsm").symlink_to(ROOT / "bindings" / "node")
            script = Path(tmp) / "example.js"
            script.write_text(source, encoding="utf-8")
            return subprocess.run([NODE, str(script)], cwd=ROOT, capture_output=True, text=True,
                                  timeout=60, env=dict(os.environ))

    def test_the_node_example_runs_as_printed(self):
        r = self.run_node(example("js"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("IVR: Bonjour et bienvenue.", r.stdout)
        self.assertEqual(r.stdout.splitlines()[-1], "ESTALE")

    def test_one_command_encoding_for_c_python_and_node(self):
        # The same call in both languages: every command equal, and equal to
        # the library's JSON (ivrsm_command_to_json) that both parse.
        script = [("dtmf", "1"), ("dtmf", "0612345678#"), ("result", '{"challenge_id":"c"}'),
                  ("dtmf", "482913#"), ("result", '{"session_token":"t","partner_id":42}'),
                  ("speech", "je veux parler à un conseiller")]
        s = ivrsm.Machine.load(SEED).session(call_id="c-7")
        s.start()
        python = [s.commands()]
        for kind, value in script:
            if kind == "dtmf":
                s.feed_dtmf(value)
            elif kind == "speech":
                s.feed_speech(value, confidence=0.9)
            else:
                pending = [c for c in python[-1] if c["type"] == "http"][-1]
                s.feed_result(pending, 200, value)
            python.append(s.commands())
        source = f"""
const ivrsm = require('ivrsm');
const s = ivrsm.Machine.load({json.dumps(str(SEED))}).session({{ callId: 'c-7' }});
s.start();
const seen = [s.commands()];
for (const [kind, value] of {json.dumps(script)}) {{
  if (kind === 'dtmf') s.feed({{ type: 'dtmf', text: value }});
  else if (kind === 'speech') s.feed({{ type: 'speech', text: value, confidence: 0.9 }});
  else s.feed({{ type: 'result', commandId: seen[seen.length - 1].filter((c) => c.type === 'http').pop(), status: 200, body: value }});
  seen.push(s.commands());
}}
console.log(JSON.stringify(seen));
"""
        r = self.run_node(source)
        self.assertEqual(r.returncode, 0, r.stderr)
        node = json.loads(r.stdout)
        self.assertEqual(node, python)
        kinds = {c["type"] for step in python for c in step}
        self.assertTrue({"ask", "http"} <= kinds, kinds)


if __name__ == "__main__":
    unittest.main()
