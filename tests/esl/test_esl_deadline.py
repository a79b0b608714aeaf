#!/usr/bin/env python3
"""The ESL host's own deadline on each backend request.

    test_esl_deadline.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH WITHHOLD_CURL

A call waiting for a backend answer must get one. The libcurl adapter gives
a "timeout" result when a request's timeout passes; but a transfer that
libcurl loses (its completion never reported, as libcurl 7.88 does under
refused allocations) would leave the caller in silence. The host keeps a
deadline of its own on every request (its timeout and 2 s): then the
transfer is stopped (ivrsm_http_cancel) and the call is fed the adapter's
timeout result. tests/withhold_curl.c, preloaded, makes libcurl lose the
chosen completion (curl_multi_info_read never reports it) in the host as
it ships.
"""

import os
import pathlib
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_esl_host as base  # noqa: E402
from test_esl_host import Harness, JsonBackend, call_uuid  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
MACHINE = HERE / "deadline_machine.yaml"  # one GET /lookup, timeout 400 ms
WITHHOLD = None


class SilentBackend:
    """Accepts every connection on 127.0.0.1, reads the request and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


class WithholdingHarness(Harness):
    """The host run with tests/withhold_curl.c preloaded: libcurl's N-th completion is lost."""

    def __init__(self, script, withhold, **kw):
        super().__init__(script, machine=MACHINE, backend=False, **kw)
        self.withhold = withhold
        self.withheld_report = self.path / "withheld.txt"

    def start_host(self, extra=()):
        self.host_err = open(self.path / "host.log", "a", encoding="utf-8")
        env = dict(os.environ)
        if self.withhold:
            env["LD_PRELOAD"] = " ".join(filter(None, [WITHHOLD, env.get("LD_PRELOAD")]))
            env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                         "verify_asan_link_order=0"]))
            env["IVRSM_WITHHOLD_CURL_DONE"] = str(self.withhold)
            env["IVRSM_WITHHOLD_CURL_REPORT"] = str(self.withheld_report)
        args = [base.HOST, "--machine", str(self.machine), "--backend", self.backend_url,
                "--esl", self.esl, "--reconnect-min-ms", "100", "--reconnect-max-ms", "400",
                "--log-level", "info", *self.host_args, *extra]
        self.host = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.host_err,
                                     env=env)

    def withheld(self):
        text = self.withheld_report.read_text() if self.withheld_report.exists() else ""
        m = re.match(r"completions (\d+) withheld (\d+)", text)
        if not m:
            raise AssertionError("withhold_curl wrote no report; host log:\n" + self.log())
        return int(m.group(1)), int(m.group(2))


def heard(h, uuid):
    return [e.get("heard", "") for e in h.executes(uuid) if e["app"] in ("speak", "playback")]


class DeadlineTest(unittest.TestCase):
    maxDiff = None

    def run_calls(self, backend_url, withhold, n_calls=1, spacing_ms=0, host_args=()):
        uuids = [call_uuid(400 + i) for i in range(n_calls)]
        script = {"calls": [{"uuid": u, "inputs": [], "start_after_ms": i * spacing_ms}
                            for i, u in enumerate(uuids)]}
        h = WithholdingHarness(script, withhold, backend_url=backend_url, host_args=host_args)
        self.addCleanup(h.cleanup)
        t0 = time.monotonic()
        h.start()
        h.wait_done(20)
        h.wait_ended()
        elapsed = time.monotonic() - t0
        h.stop_host()
        h.stop()
        self.assertEqual(h.host_rc, 0, h.host_log)
        return h, uuids, elapsed

    def test_backend_that_never_answers(self):
        """The backend takes the connection and says nothing: the adapter's own timeout
        (400 ms) answers, the machine's on_timeout is said; the host's deadline, later,
        finds nothing left to do."""
        backend = SilentBackend()
        self.addCleanup(backend.close)
        h, (uuid,), _ = self.run_calls(backend.url, withhold=0)
        self.assertEqual(heard(h, uuid), ["Le service ne répond pas. Au revoir."])
        self.assertIn("call %s: http GET /lookup failed: timeout" % uuid, h.host_log)
        self.assertNotIn("taken as a timeout", h.host_log)

    def test_lost_transfer_of_a_silent_backend(self):
        """The same, with the timeout's completion lost inside libcurl: the call would wait
        for ever; the host's deadline (400 ms + 2 s) stops the transfer and feeds the same
        timeout result, and the call goes on to its goodbye."""
        backend = SilentBackend()
        self.addCleanup(backend.close)
        h, (uuid,), elapsed = self.run_calls(backend.url, withhold=1)
        self.assertEqual(h.withheld(), (1, 1))
        self.assertRegex(h.host_log, r"call %s: http GET /lookup: no result \d+ ms after it was "
                         r"sent \(its timeout 400 ms and 2000 ms\): taken as a timeout, the "
                         r"transfer is stopped" % uuid)
        self.assertIn("call %s: http GET /lookup failed: timeout" % uuid, h.host_log)
        self.assertEqual(heard(h, uuid), ["Le service ne répond pas. Au revoir."])
        self.assertGreater(elapsed, 2.4)

    def test_lost_answer_and_the_other_calls(self):
        """A backend that answers at once, the first answer lost inside libcurl: that call
        gets a timeout at its deadline (never the lost answer, which cannot come late); the
        calls after it, answered normally meanwhile, hear the answer."""
        backend = JsonBackend({"ok": True})
        self.addCleanup(backend.close)
        h, uuids, _ = self.run_calls(backend.url, withhold=1, n_calls=3, spacing_ms=300)
        completions, withheld = h.withheld()
        self.assertEqual((completions, withheld), (3, 1))
        self.assertIn("call %s: http GET /lookup: no result" % uuids[0], h.host_log)
        self.assertEqual(heard(h, uuids[0]), ["Le service ne répond pas. Au revoir."])
        for uuid in uuids[1:]:
            self.assertEqual(heard(h, uuid), ["Réponse reçue. Au revoir."])
            self.assertIn("call %s: http GET /lookup -> 200" % uuid, h.host_log)
        self.assertEqual(h.host_log.count("taken as a timeout"), 1)

    def test_a_request_waiting_for_a_slot_gets_its_whole_time(self):
        """One slot (--http-max-in-flight 1): the second call's request waits in the
        adapter's queue behind the first, whose answer libcurl loses. The host's deadline
        of the second counts from the moment it takes the slot (when the first is stopped,
        2.4 s on), not from its hand-over: it is answered at once and its caller hears the
        answer. Counted from the hand-over, both deadlines would pass together and the
        second call would hear a timeout its backend never caused."""
        backend = JsonBackend({"ok": True})
        self.addCleanup(backend.close)
        h, uuids, elapsed = self.run_calls(backend.url, withhold=1, n_calls=2,
                                           host_args=["--http-max-in-flight", "1"])
        self.assertEqual(h.withheld(), (2, 1))
        heard_by = sorted(heard(h, u)[0] for u in uuids)
        self.assertEqual(heard_by, ["Le service ne répond pas. Au revoir.",
                                    "Réponse reçue. Au revoir."])
        self.assertEqual(h.host_log.count("taken as a timeout"), 1)
        self.assertGreater(elapsed, 2.4)


def main():
    global WITHHOLD
    if len(sys.argv) < 5:
        raise SystemExit("usage: test_esl_deadline.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH "
                         "WITHHOLD_CURL")
    base.HOST, base.MOCK_SERVER, base.FAKE, WITHHOLD = sys.argv[1:5]
    del sys.argv[1:5]
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
