"""Shared helpers of the ivrsm CLI tests: find the tool, run it, start the mock backend.

The tests are plain unittest modules run as scripts:

    python3 tests/cli/test_sim.py BUILD/tools/ivrsm/ivrsm

The mock backend of the seed machine is started on an ephemeral port for
each test class and always stopped, even when a test fails.
"""

import json
import os
import pathlib
import subprocess
import sys
import unittest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = pathlib.Path(os.environ.get("IVRSM_SOURCE_ROOT", HERE.parent.parent)).resolve()
MACHINE = ROOT / "examples" / "synergia_rdv" / "machine.yaml"
MOCK_SERVER = ROOT / "examples" / "synergia_rdv" / "mock_backend" / "server.py"
SCENARIOS = HERE / "scenarios"
TODAY = "2025-03-10"  # the mock's fixed "today", for reproducible wording
RUN_TIMEOUT = 60


def ivrsm_path() -> str:
    """The ivrsm executable: first argument, else $IVRSM_CLI."""
    path = os.environ.get("IVRSM_CLI")
    if not path:
        raise SystemExit("usage: test_*.py PATH/TO/ivrsm (or set IVRSM_CLI)")
    return path


def run(args, stdin: str = "", cwd=None) -> subprocess.CompletedProcess:
    """Run ivrsm with args, stdin piped in; no colours."""
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([ivrsm_path(), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, env=env, cwd=cwd)


def json_lines(text: str) -> list:
    """Every line of text parsed as one JSON object (fails on anything else)."""
    objects = []
    for line in text.splitlines():
        value = json.loads(line)
        if not isinstance(value, dict):
            raise AssertionError(f"not a JSON object: {line!r}")
        objects.append(value)
    return objects


class MockBackend:
    """The seed's mock backend on 127.0.0.1, an ephemeral port."""

    def __init__(self, *extra_args: str) -> None:
        self.extra_args = extra_args
        self.process = None
        self.url = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(MOCK_SERVER), "--port", "0", "--quiet", "--today", TODAY,
             *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        prefix = "listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"the mock backend did not start: {line!r}")
        self.url = line[len(prefix):]
        return self.url

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()
        self.process = None


class BackendTestCase(unittest.TestCase):
    """A test class with one mock backend for all its tests (self.backend is its URL)."""

    mock = None
    backend = None

    @classmethod
    def setUpClass(cls) -> None:
        cls.mock = MockBackend()
        cls.addClassCleanup(cls.mock.stop)
        cls.backend = cls.mock.start()


def main() -> None:
    """Take the ivrsm path from argv[1] and run the tests of the calling module."""
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        os.environ["IVRSM_CLI"] = sys.argv.pop(1)
    ivrsm_path()
    unittest.main(verbosity=2)
