#!/usr/bin/env python3
"""The machines that the documentation shows load as written.

Every ```yaml block of docs/format.md and README.md that is a whole machine
(top-level `machine:` and `states:` keys) is checked with `ivrsm validate`:
no error. The anchors example is also converted to JSON, to see that the
aliases and merge keys gave each state the blocks the page says they give.
usage: test_docs_examples.py IVRSM SOURCE_DIR
"""

import json
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

IVRSM = sys.argv[1] if len(sys.argv) > 1 else "ivrsm"
SOURCE = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else ".")
PAGES = ["docs/format.md", "README.md"]


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


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
