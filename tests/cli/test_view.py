#!/usr/bin/env python3
"""ivrsm view from the command line: a self-contained page, its data, secrets, errors.

The page in a browser is tested by tests/view/test_view_browser.mjs.
"""

import json
import os
import pathlib
import re
import tempfile
import unittest

import clitest
from clitest import MACHINE, ROOT, run

DATA = re.compile(r'<script type="application/json" id="ivrsm-data">(.*?)</script>', re.S)


def page_data(html: str) -> dict:
    m = DATA.search(html)
    if not m:
        raise AssertionError("no data in the page")
    return json.loads(m[1])


def state_line(machine: pathlib.Path, name: str) -> int:
    lines = machine.read_text(encoding="utf-8").splitlines()
    return lines.index(f"  {name}:") + 1


class Page(unittest.TestCase):
    def view(self, *args, machine=MACHINE):
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "page.html"
            r = run(["view", machine, *args, "-o", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            return out.read_text(encoding="utf-8")

    def test_self_contained(self):
        html = self.view()
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertIn("default-src 'none'", html)  # nothing may be fetched
        self.assertNotRegex(html, r"<script[^>]*\bsrc=|<link\b|<img\b|@import|url\(")
        # The only addresses are the SVG namespaces, which are names, not fetches.
        for url in re.findall(r"https?://[^\s\"'<>]+", html):
            self.assertTrue(url.startswith("http://www.w3.org/"), url)
        self.assertIn("<svg", html)
        self.assertNotIn("@@", html.split("<svg")[0])  # every marker of the template replaced

    def test_data_follows_the_machine_graph(self):
        html = self.view()
        data = page_data(html)
        self.assertEqual(data["format"], "ivrsm-view/1")
        self.assertEqual(data["machine"]["name"], "synergia_rdv_mvp_ivr")
        self.assertEqual(len(data["states"]), 37)
        # Every state where it is written, and drawn with its id.
        for i, s in enumerate(data["states"]):
            self.assertEqual(s["line"], state_line(MACHINE, s["name"]), s["name"])
            self.assertIn(f'id="s{i}"', html)
        # The edges are those of `ivrsm graph` (one per pair of states), each drawn with its id.
        dot = run(["graph", MACHINE]).stdout
        drawn = len(re.findall(r"^  \".*\" -> \".*\" \[label=", dot, re.M)) - 0
        edges = {t["edge"] for t in data["transitions"]}
        self.assertEqual(len(edges), drawn)
        for e in edges:
            self.assertIn(f'id="{e}"', html)
        # A transition names where it is declared: the route of intent yes in consent.
        consent = [s["name"] for s in data["states"]].index("ivr.auth.consent")
        yes = next(t for t in data["transitions"] if t["from"] == consent and t.get("intent") == "yes")
        text = MACHINE.read_text(encoding="utf-8").splitlines()
        self.assertEqual(text[yes["line"] - 1].strip(), "- when_intent: yes")
        self.assertEqual(data["lines"]["/states/ivr.auth.consent/routes/0"], yes["line"])

    def test_json_machine(self):
        machine = ROOT / "examples" / "synergia_rdv" / "machine.json"
        data = page_data(self.view(machine=machine))
        self.assertEqual(len(data["states"]), 37)
        self.assertTrue(all(s["line"] > 0 for s in data["states"]))

    def test_texts_cannot_break_out_of_the_page(self):
        with tempfile.TemporaryDirectory() as tmp:
            machine = pathlib.Path(tmp) / "m.yaml"
            machine.write_text(
                'machine: "<b>x</b>"\nversion: "1"\nstates:\n'
                '  "a</script><script>alert(1)</script>":\n'
                "    type: prompt_end\n"
                '    prompt: "<!-- </script><script>alert(2)</script>"\n', encoding="utf-8")
            html = self.view(machine=machine)
        self.assertNotIn("<script>alert", html)
        self.assertIn("<title>&lt;b&gt;x&lt;/b&gt; 1", html)
        data = page_data(html)
        self.assertEqual(data["states"][0]["name"], "a</script><script>alert(1)</script>")

    def test_traces_are_redacted_again(self):
        # A host's trace that forgot to mask a token and a code: the page shows neither.
        with tempfile.TemporaryDirectory() as tmp:
            trace = pathlib.Path(tmp) / "host.jsonl"
            trace.write_text(
                '{"kind":"transition","from":null,"to":"ivr.entry","reason":"start","seq":1}\n'
                '{"kind":"event","type":"action_result","state":"ivr.auth.verify_otp","status":200,'
                '"body":{"session_token":"tok-visible-1","otp":"424242"},"seq":2}\n\n', encoding="utf-8")
            html = self.view("--trace", trace)
        self.assertNotIn("tok-visible-1", html)
        self.assertNotIn("424242", html)
        (t,) = page_data(html)["traces"]
        self.assertIsNone(t["header"])
        self.assertEqual(t["records"][1]["body"], {"session_token": "***", "otp": "***"})

    def test_sensitive_keys_named_like_record_members(self):
        # A machine whose ctx keys "reason" and "state" are secrets: the records' own members
        # of those names (a transition's reason, an event's state) stay readable; the data
        # members (a body, whatever a host added) are masked by them.
        with tempfile.TemporaryDirectory() as tmp:
            machine = pathlib.Path(tmp) / "absence.yaml"
            machine.write_text(
                "machine: absence\nversion: '1'\n"
                "globals: {sensitive_keys: [reason, state]}\n"
                "states:\n  ask: {type: prompt_end, prompt: 'Au revoir.'}\n", encoding="utf-8")
            trace = pathlib.Path(tmp) / "host.jsonl"
            trace.write_text(
                '{"kind":"transition","from":null,"to":"ask","reason":"start","seq":1}\n'
                '{"kind":"event","type":"action_result","state":"ask","status":200,'
                '"body":{"reason":"grippe","state":"malade"},"seq":2}\n'
                '{"kind":"note","reason":"x","ctx":{"reason":"grippe"},"seq":3}\n', encoding="utf-8")
            html = self.view("--trace", trace, machine=machine)
        self.assertNotIn("grippe", html)
        self.assertNotIn("malade", html)
        (t,) = page_data(html)["traces"]
        first, second, third = t["records"]
        self.assertEqual(first["reason"], "start")
        self.assertEqual(second["state"], "ask")
        self.assertEqual(second["body"], {"reason": "***", "state": "***"})
        self.assertEqual(third["ctx"], {"reason": "***"})

    def test_the_esl_host_log_gives_one_call_per_uuid(self):
        # The ESL host at --log-level debug writes "TIME debug call UUID: trace RECORD"
        # (examples/esl_host/calls.c, on_trace; log.c, log_at) among its other lines.
        log = (
            "2026-03-10T09:30:00.101Z info  esl: ready on 127.0.0.1:8021\n"
            '2026-03-10T09:30:02.410Z debug call aaa-1: trace {"kind":"transition","from":null,'
            '"to":"ivr.entry","reason":"start","seq":2}\n'
            '2026-03-10T09:30:02.411Z debug call bbb-2: trace {"kind":"transition","from":null,'
            '"to":"ivr.entry","reason":"start","seq":2}\n'
            "2026-03-10T09:30:04.002Z info  call aaa-1: dtmf 1 in ivr.entry\n"
            '2026-03-10T09:30:04.003Z debug call aaa-1: trace {"kind":"event","type":"dtmf",'
            '"state":"ivr.entry","text":"1","seq":4}\n'
            '2026-03-10T09:30:04.004Z debug call aaa-1: trace {"kind":"transition","from":"ivr.entry",'
            '"to":"ivr.auth.phone_capture","reason":"dtmf:take_appointment","seq":5}\n'
            '2026-03-10T09:30:09.733Z debug call bbb-2: trace {"kind":"event","type":"action_result",'
            '"state":"ivr.auth.verify_otp","status":200,"body":{"session_token":"leaked-tok"},"seq":9}\n')
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "host.log"
            path.write_text(log, encoding="utf-8")
            html = self.view("--trace", path)
            empty = pathlib.Path(tmp) / "quiet.log"
            empty.write_text("2026-03-10T09:30:00.101Z info  esl: ready\n")
            r = run(["view", MACHINE, "--trace", empty])
        first, second = page_data(html)["traces"]
        self.assertEqual(first["file"], f"{path} (call aaa-1)")
        self.assertEqual([r["kind"] for r in first["records"]], ["transition", "event", "transition"])
        self.assertEqual(first["records"][2]["to"], "ivr.auth.phone_capture")
        self.assertEqual(second["file"], f"{path} (call bbb-2)")
        self.assertNotIn("leaked-tok", html)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no trace record in the file (the ESL host writes them at --log-level debug)",
                      r.stderr)

    def test_coverage_is_matched_to_the_machine_transitions(self):
        with tempfile.TemporaryDirectory() as tmp:
            cov = run(["test", *sorted((ROOT / "tests" / "view" / "scenarios").glob("*.yaml")),
                       "--coverage", "--json"])
            self.assertEqual(cov.returncode, 0, cov.stderr)
            path = pathlib.Path(tmp) / "cov.json"
            path.write_text(cov.stdout, encoding="utf-8")
            data = page_data(self.view("--coverage", path))
        report = json.loads(cov.stdout)["coverage"][0]
        c = data["coverage"]
        self.assertEqual(c["states"], [s["visits"] for s in report["states"]])
        names = [s["name"] for s in data["states"]]
        for t, hits in zip(data["transitions"], c["transitions"]):
            entry = next(e for e in report["transitions"]
                         if e["from"] == names[t["from"]] and e["to"] == names[t["to"]]
                         and e["kind"] == t["kind"]
                         and e.get("label") == (t.get("intent") or t.get("text")))
            self.assertEqual(hits, entry["hits"])
        self.assertEqual(sum(1 for h in c["transitions"] if h), report["summary"]["transitions_exercised"])


class Errors(unittest.TestCase):
    def test_usage(self):
        self.assertEqual(run(["view"]).returncode, 2)
        r = run(["view", MACHINE, "--bogus"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--bogus'", r.stderr)
        self.assertEqual(run(["view", MACHINE, MACHINE]).returncode, 2)
        self.assertEqual(run(["view", "--help"]).returncode, 0)

    def test_a_machine_that_does_not_load(self):
        with tempfile.TemporaryDirectory() as tmp:
            machine = pathlib.Path(tmp) / "bad.yaml"
            machine.write_text('machine: x\nversion: "1"\nstates:\n  a: {type: prompt_end, next: nowhere}\n')
            r = run(["view", machine])
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.yaml:4:", r.stderr)

    def test_bad_trace_and_coverage_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            trace = pathlib.Path(tmp) / "t.jsonl"
            trace.write_text('{"kind":"start"}\nnot json\n')
            r = run(["view", MACHINE, "--trace", trace])
            self.assertEqual(r.returncode, 2)
            self.assertIn(f"{trace}:2: not a trace record (one JSON object per line", r.stderr)
            # JSON objects that are no trace records: refused, not drawn as an empty call
            for text in ('{"machine":"m"}\n', '{"kind":"start"}\n{"kind": 3}\n', '{"kind":"start"}\n[1]\n'):
                trace.write_text(text)
                r = run(["view", MACHINE, "--trace", trace])
                self.assertEqual(r.returncode, 2, text)
                line = text.count("\n")
                self.assertIn(f"{trace}:{line}: not a trace record", r.stderr)
                self.assertIn('each with its "kind"', r.stderr)
            empty = pathlib.Path(tmp) / "empty.jsonl"
            empty.write_text("\n")
            r = run(["view", MACHINE, "--trace", empty])
            self.assertIn("no trace record in the file", r.stderr)
            r = run(["view", MACHINE, "--trace", pathlib.Path(tmp) / "missing.jsonl"])
            self.assertIn("missing.jsonl: cannot open", r.stderr)
            cov = pathlib.Path(tmp) / "cov.json"
            cov.write_text('{"format":"ivrsm-test/1","coverage":[{"name":"other","states":[]}]}')
            r = run(["view", MACHINE, "--coverage", cov])
            self.assertEqual(r.returncode, 2)
            self.assertIn("no coverage of machine synergia_rdv_mvp_ivr in it", r.stderr)
            cov.write_text("{")
            r = run(["view", MACHINE, "--coverage", cov])
            self.assertEqual(r.returncode, 2)
            self.assertIn(f"{cov}:1:", r.stderr)

    def test_without_graphviz(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PATH=tmp, NO_COLOR="1")
            import subprocess
            r = subprocess.run([clitest.ivrsm_path(), "view", str(MACHINE), "-o", str(pathlib.Path(tmp) / "p.html")],
                               capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(r.returncode, 2)
            self.assertIn("cannot run Graphviz's dot", r.stderr)
            self.assertIn("apt-get install graphviz", r.stderr)
            self.assertFalse((pathlib.Path(tmp) / "p.html").exists())


if __name__ == "__main__":
    clitest.main()
