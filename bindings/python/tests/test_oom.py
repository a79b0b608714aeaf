"""The package when the library runs out of memory, at every allocation of a seed call.

Runs only with tests/failing_malloc.c preloaded (meson test python-bindings-oom,
LD_PRELOAD and IVRSM_FAIL_ALLOC_CALLERS set): it counts the allocations that
libivrsm, jansson and libfyaml ask for (not the interpreter's), and refuses the
chosen one. Each step of the call (a new session and its start, each event fed,
the commands pulled, a snapshot, a restore) is done again from the snapshot
before it with each of its allocations refused in turn, one at a time, and:

- an exception, if any, is ivrsm.OutOfMemory (code ENOMEM, also a MemoryError);
- after it, the session is as the docs say: after start() or a feed it can only
  be closed (a feed or a snapshot raises OutOfMemory again); after commands() the
  command is kept and the next commands() gives it;
- done again as a host does (restore the last snapshot, feed the same event),
  the step gives the same commands and the same snapshot as without failures;
- every block the library allocated while the test ran is freed once the
  sessions and machines are closed (failing_malloc_live()).

The load of a machine is swept the same way (bindings/testdata/menu.yaml, every
allocation; the seed's load is long, the C suite sweeps it: tests/test_oom.c).
"""

import ctypes
import gc
import json
import unittest

from support import MENU, NOW_MS, SEED

import ivrsm

try:
    _fm = ctypes.CDLL(None)
    _fm.failing_malloc_arm.argtypes = [ctypes.c_long]
    _fm.failing_malloc_disarm.restype = ctypes.c_long
    _fm.failing_malloc_counted.restype = ctypes.c_long
    _fm.failing_malloc_live.restype = ctypes.c_long
except AttributeError:
    _fm = None

OTP = "482913"


def clock():
    return NOW_MS


def steps():
    """The seed call through login, list and detail: (name, feed) pairs; feed(s, previous
    commands) feeds one event (None: start)."""

    def http(cmds):
        return next(c for c in cmds if c["type"] == "http")

    appointments = {
        "count": 2,
        "summary_voice": "deux rendez-vous",
        "appointments": [
            {"id": "a1", "date": "2025-03-12", "time": "09:30", "doctor": "Dr Martin",
             "site": "Lyon", "status": "confirmed"},
            {"id": "a2", "date": "2025-03-20", "time": "14:00", "doctor": "Dr Durand",
             "site": "Lyon", "status": "confirmed"},
        ],
    }
    return [
        ("start", lambda s, prev: s.start()),
        ("entry", lambda s, prev: s.feed_dtmf("1", event_id="e1")),
        ("phone", lambda s, prev: s.feed_dtmf("0612345678#", event_id="e2")),
        ("request_otp", lambda s, prev: s.feed_result(http(prev), 200, '{"challenge_id":"c"}',
                                                      event_id="e3")),
        ("otp", lambda s, prev: s.feed_speech("quatre huit deux neuf un trois", 0.9,
                                              event_id="e4")),
        ("verify_otp", lambda s, prev: s.feed_result(
            http(prev), 200, {"session_token": "t", "partner_id": 42}, event_id="e5")),
        ("consent", lambda s, prev: s.feed_dtmf("1", event_id="e6")),
        ("channel", lambda s, prev: s.feed_dtmf("2", event_id="e7")),
        ("me", lambda s, prev: s.feed_result(http(prev), 200, "{}", event_id="e8")),
        ("list", lambda s, prev: s.feed_result(http(prev), 200, appointments, event_id="e9")),
        ("choose", lambda s, prev: s.feed_speech("le premier", event_id="e10")),
        ("timeout", lambda s, prev: s.feed_result(http(prev), 0, error="timeout",
                                                  event_id="e11")),
        ("hangup", lambda s, prev: s.hangup(event_id="e12")),
    ]


@unittest.skipIf(_fm is None, "needs tests/failing_malloc.c preloaded (python-bindings-oom)")
class OutOfMemoryTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        _fm.failing_malloc_track()
        cls.machine = ivrsm.Machine.load(SEED)
        cls.traces = []

    @classmethod
    def tearDownClass(cls):
        cls.machine.close()
        gc.collect()
        live = _fm.failing_malloc_live()
        if live:
            raise AssertionError(f"{live} blocks of the library were never freed")

    def session(self, snapshot):
        if snapshot is None:
            return self.machine.session(call_id="oom-1", session_id="s-oom-1", clock=clock,
                                        trace=self.traces.append)
        return ivrsm.Session.restore(self.machine, snapshot, clock=clock,
                                     trace=self.traces.append)

    def run_step(self, snapshot, feed, prev):
        """The step without failures: (commands, snapshot after)."""
        with self.session(snapshot) as s:
            feed(s, prev)
            return s.commands(), s.snapshot()

    def assert_oom(self, e):
        self.assertIsInstance(e, ivrsm.OutOfMemory)
        self.assertIsInstance(e, MemoryError)
        self.assertEqual(e.code, ivrsm.ENOMEM)
        self.assertEqual(e.code_name, "ENOMEM")
        self.assertTrue(str(e))

    def refused_in(self, n, fn):
        """fn() with the n-th allocation of the library refused: (result or None, the
        OutOfMemory raised or None, whether an allocation was refused)."""
        _fm.failing_malloc_arm(n)
        try:
            return fn(), None, _fm.failing_malloc_disarm() > 0
        except ivrsm.OutOfMemory as e:
            refused = _fm.failing_malloc_disarm() > 0
            self.assertTrue(refused, f"OutOfMemory with nothing refused: {e}")
            return None, e, refused
        except BaseException:
            _fm.failing_malloc_disarm()
            raise

    def test_every_allocation_of_a_seed_call(self):
        reference = []
        snapshot, prev = None, []
        for name, feed in steps():
            prev, snapshot_after = self.run_step(snapshot, feed, prev)
            reference.append((name, feed, snapshot, prev, snapshot_after))
            snapshot = snapshot_after
        self.assertEqual(reference[-1][3], [])  # hung up: nothing more to do
        tried = 0
        previous_commands = []
        for name, feed, before, want, want_snapshot in reference:
            for n in range(100000):
                s = self.session(before)
                _, e, refused = self.refused_in(n, lambda: feed(s, previous_commands))
                if not refused:
                    s.close()
                    break
                tried += 1
                where = f"step {name}, allocation {n} refused"
                if e is not None:
                    # The feed (or start) failed: the session can only be closed.
                    self.assert_oom(e)
                    with self.assertRaises(ivrsm.OutOfMemory, msg=where):
                        s.snapshot()
                    s.close()
                    with self.assertRaises(ValueError, msg=where):
                        s.feed_dtmf("1")  # closed: a clear error, no crash
                    got, got_snapshot = self.run_step(before, feed, previous_commands)
                else:
                    got, got_snapshot = s.commands(), s.snapshot()
                    s.close()
                self.assertEqual(got, want, where)
                self.assertEqual(json.loads(got_snapshot), json.loads(want_snapshot), where)
            # The commands pulled, each allocation refused.
            for n in range(100000):
                s = self.session(before)
                feed(s, previous_commands)
                got, e, refused = self.refused_in(n, s.commands)
                if not refused:
                    s.close()
                    break
                tried += 1
                where = f"commands of step {name}, allocation {n} refused"
                if e is not None:
                    self.assert_oom(e)
                    got = []
                got = got + s.commands()  # the one that could not be copied comes now
                self.assertEqual(got, want, where)
                s.close()
            # A snapshot and a restore, each allocation refused.
            with self.session(before) as s:
                feed(s, previous_commands)
                s.commands()
                for n in range(100000):
                    text, e, refused = self.refused_in(n, s.snapshot)
                    if not refused:
                        break
                    tried += 1
                    if e is not None:
                        self.assert_oom(e)
                    else:
                        self.assertEqual(json.loads(text), json.loads(want_snapshot))
                self.assertEqual(json.loads(s.snapshot()), json.loads(want_snapshot))
            for n in range(100000):
                restored, e, refused = self.refused_in(
                    n, lambda: ivrsm.Session.restore(self.machine, want_snapshot, clock=clock))
                if restored is not None:
                    self.assertEqual(json.loads(restored.snapshot()), json.loads(want_snapshot))
                    restored.close()
                if not refused:
                    break
                tried += 1
                if e is not None:
                    self.assert_oom(e)
            previous_commands = want
        print(f"\n{tried} allocations refused in turn over the seed call", flush=True)
        self.assertGreater(tried, 100)

    def test_every_allocation_of_a_load(self):
        text = MENU.read_text(encoding="utf-8")
        want = ivrsm.Machine.from_string(text, name="menu.yaml")
        states = want.states
        want.close()
        for n in range(1000000):
            m, e, refused = self.refused_in(n, lambda: ivrsm.Machine.from_string(text,
                                                                                 name="menu.yaml"))
            if m is not None:
                self.assertEqual(m.states, states)
                m.close()
            if not refused:
                break
            if e is not None:
                self.assert_oom(e)
        self.assertGreater(n, 20)


if __name__ == "__main__":
    unittest.main()
