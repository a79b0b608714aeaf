#!/usr/bin/env python3
"""The machines that the documentation shows load as written.

Every ```yaml block of docs/format.md and README.md that is a whole machine
(top-level `machine:` and `states:` keys) is checked with `ivrsm validate`:
no error. The anchors example is also converted to JSON, to see that the
aliases and merge keys gave each state the blocks the page says they give.

Every transcript of the pages (a fenced block whose first line is
`$ ivrsm ...`, then what it prints) is run from the root of the tree, and
what it prints must be what the page shows, so a page cannot drift from the
tool.
usage: test_docs_examples.py IVRSM SOURCE_DIR
"""

import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

IVRSM = sys.argv[1] if len(sys.argv) > 1 else "ivrsm"
if "/" in IVRSM:  # the transcripts run from the source root
    IVRSM = os.path.abspath(IVRSM)
SOURCE = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else ".")
PAGES = ["docs/format.md", "README.md"]
TRANSCRIPT_PAGES = ["docs/cli.md", "docs/format.md", "README.md", "examples/pharmacy_refill/README.md",
                    "examples/utility_outage/README.md", "examples/parcel_tracking/README.md",
                    "examples/card_block_es/README.md"]


def machines(page):
    """(line, text) of each ```yaml block of the page that is a whole machine."""
    text = (SOURCE / page).read_text(encoding="utf-8")
    found = []
    for m in re.finditer(r"^```yaml\n(.*?)^```$", text, flags=re.S | re.M):
        block = m.group(1)
        if re.search(r"^machine:", block, flags=re.M) and re.search(r"^states:", block, flags=re.M):
            found.append((text.count("\n", 0, m.start()) + 1, block))
    return found


def ivrsm(*args):
    return subprocess.run([IVRSM, *args], capture_output=True, text=True, check=False)


class DocumentedMachines(unittest.TestCase):
    def test_every_documented_machine_loads(self):
        count = 0
        with tempfile.TemporaryDirectory() as tmp:
            for page in PAGES:
                for line, block in machines(page):
                    path = pathlib.Path(tmp) / f"{pathlib.Path(page).stem}-{line}.yaml"
                    path.write_text(block, encoding="utf-8")
                    r = ivrsm("validate", "--quiet", str(path))
                    with self.subTest(page=page, line=line):
                        self.assertEqual(r.returncode, 0, f"{page}:{line}:\n{r.stdout}{r.stderr}")
                        self.assertIn("0 errors", r.stdout)
                    count += 1
        self.assertGreaterEqual(count, 2)  # the first example and the anchors one, at least

    def test_the_anchors_example_shares_its_blocks(self):
        block = next(b for _, b in machines("docs/format.md") if "anchors_example" in b)
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "anchors.yaml"
            path.write_text(block, encoding="utf-8")
            r = ivrsm("convert", str(path), "--to", "json")
            self.assertEqual(r.returncode, 0, r.stderr)
        states = json.loads(r.stdout)["states"]
        patience = {"noinput": {"max": 2, "next": "goodbye"},
                    "nomatch": {"max": 2, "next": "goodbye"},
                    "fallback": {"next": "goodbye"}}
        for key, value in patience.items():
            self.assertEqual(states["menu"][key], value)
        self.assertEqual(states["confirm"]["noinput"], patience["noinput"])
        self.assertEqual(states["confirm"]["nomatch"], {"max": 3, "next": "agent"})  # its own wins
        for name in ("menu", "confirm"):
            self.assertEqual(states[name]["routes"][-1], {"when_intent": "operator", "next": "agent"})


def transcripts(page):
    """(line, argv, expected stdout) of each fenced block of the page that starts
    with "$ ivrsm ": the command as typed, then its output."""
    text = (SOURCE / page).read_text(encoding="utf-8")
    found = []
    # A block may be indented (inside a list item): its lines then carry the indent.
    for m in re.finditer(r"^( *)```[a-z]*\n\1\$ (ivrsm [^\n]*)\n(.*?)^\1```$", text,
                         flags=re.S | re.M):
        indent = len(m.group(1))
        output = "".join(line[indent:] for line in m.group(3).splitlines(keepends=True))
        found.append((text.count("\n", 0, m.start()) + 1, shlex.split(m.group(2)), output))
    return found


def elapsed(text):
    """The text with the time each HTTP call took ("→ 200 (3 ms)") left out: it varies."""
    return re.sub(r"\(\d+ ms\)", "(… ms)", text)


class DocumentedTranscripts(unittest.TestCase):
    def test_every_transcript_prints_what_the_page_shows(self):
        count = 0
        for page in TRANSCRIPT_PAGES:
            for line, argv, expected in transcripts(page):
                with self.subTest(page=page, line=line, command=" ".join(argv)):
                    stdin = ""
                    if "<" in argv:  # `ivrsm sim ... < caller.txt`: the caller's lines
                        at = argv.index("<")
                        stdin = (SOURCE / argv[at + 1]).read_text(encoding="utf-8")
                        argv = argv[:at] + argv[at + 2:]
                    r = subprocess.run([IVRSM, *argv[1:]], input=stdin, capture_output=True,
                                       text=True, check=False, cwd=SOURCE,
                                       env=dict(os.environ, NO_COLOR="1"))
                    self.assertEqual(elapsed(r.stdout), elapsed(expected), f"{page}:{line}: {r.stderr}")
                count += 1
        self.assertGreaterEqual(count, 6)  # validate --explain twice, graph, convert, the examples'


# The pages a user reads name the example machines by what they are; "the seed"
# was what the appointment machine was called while the library was written.
# File and test names (seed-machine.svg, run_seed_scenarios.sh) stay as they are.
PRODUCT_PAGES = ["README.md", "docs/cli.md", "docs/format.md", "docs/runtime.md",
                 "docs/architecture.md", "docs/deploy.md", "docs/locales.md",
                 "examples/synergia_rdv/README.md", "examples/synergia_rdv_en/README.md",
                 "examples/bank_card/README.md", "examples/pharmacy_refill/README.md",
                 "examples/utility_outage/README.md", "examples/parcel_tracking/README.md",
                 "examples/parcel_redirect_de/README.md", "examples/tyre_change_ch/README.md",
                 "examples/card_block_es/README.md",
                 "examples/esl_host/README.md", "bindings/README.md"]


class MockDay(unittest.TestCase):
    def test_the_pages_start_the_mock_on_the_scenarios_day(self):
        # The appointment machine's scenarios expect the appointments and slots
        # of one day (tests/scenarios/run_seed_scenarios.sh: TODAY); a page that
        # starts the mock on another day shows a command whose scenarios fail.
        script = (SOURCE / "tests/scenarios/run_seed_scenarios.sh").read_text(encoding="utf-8")
        today = re.search(r"^readonly TODAY=(\S+)$", script, flags=re.M)[1]
        for page in ["README.md", "docs/cli.md", "examples/synergia_rdv/README.md",
                     "examples/synergia_rdv_en/README.md"]:
            text = (SOURCE / page).read_text(encoding="utf-8")
            days = re.findall(r"--today (\d{4}-\d\d-\d\d)", text)
            with self.subTest(page=page):
                self.assertTrue(days, f"{page} no longer starts the mock")
                self.assertEqual(set(days), {today}, page)


class ProductWording(unittest.TestCase):
    def test_pages_do_not_speak_of_the_seed(self):
        for page in PRODUCT_PAGES:
            text = (SOURCE / page).read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines(), 1):
                prose = re.sub(r"[\w./-]*seed[\w./-]*\.(svg|sh|py|c)|seed-scenarios", "", line)
                with self.subTest(page=page, line=number):
                    self.assertNotRegex(prose, r"(?i)\bseed\b", f"{page}:{number}: {line}")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
