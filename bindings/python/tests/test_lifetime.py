"""Who frees what, and when: close(), context managers, the garbage collector."""

import gc
import threading
import unittest
import weakref

from support import MENU, MENU_CTX, NOW_MS, SEED, types

import ivrsm


class LifetimeTest(unittest.TestCase):
    def test_create_and_drop_a_thousand_sessions(self):
        m = ivrsm.Machine.load(SEED)
        records = []
        for i in range(1000):
            s = m.session(
                call_id=f"call-{i}",
                ctx={"n": i},
                clock=lambda: NOW_MS,
                trace=records.append,
            )
            s.start()
            if i % 2:
                s.feed_dtmf("1")
            # Dropped without close(): freed by reference counting at once.
            del s
        self.assertEqual(sum(1 for r in records if r["kind"] == "start"), 1000)
        gc.collect()
        m.close()

    def test_sessions_dropped_in_any_order_with_their_machine(self):
        sessions = []
        for _ in range(10):
            m = ivrsm.Machine.load(MENU)
            sessions += [m.session(ctx=MENU_CTX, trace=lambda r: None) for _ in range(100)]
            del m  # the sessions keep the C machine alive
        for s in sessions[::3]:
            s.start()
        for s in sessions[1::3]:
            s.close()
        gc.collect()
        for s in sessions[::3]:
            self.assertEqual(types(s.commands()), ["ask"])
        del sessions
        gc.collect()

    def test_closing_the_machine_does_not_disturb_a_call(self):
        m = ivrsm.Machine.load(MENU)
        s = m.session(ctx=MENU_CTX)
        m.close()
        s.start()
        s.feed_dtmf("1")
        self.assertEqual(s.state, "hours")
        s.close()

    def test_a_machine_closed_by_another_thread_while_a_session_starts(self):
        """A reload closes the old machine in one thread while a call arrives on it in another:
        the close waits for ivrsm_session_new() to take the session's own reference, instead
        of freeing the machine under it (a use after free, seen by ASan before the fix)."""
        from ivrsm import _native

        real_new, real_restore = _native.lib.ivrsm_session_new, _native.lib.ivrsm_session_restore
        m = ivrsm.Machine.load(MENU)
        first = m.session(ctx=MENU_CTX)
        first.start()
        snapshot = first.snapshot()
        first.close()
        seen, closers = [], []

        def racing(real):
            def call(handle, *args):
                closer = threading.Thread(target=m.close)
                closers.append(closer)
                closer.start()
                closer.join(0.2)  # long enough for a close() that does not wait
                seen.append(m.closed)
                if m.closed:  # freed under the call: do not touch it
                    return -1
                return real(handle, *args)

            return call

        try:
            _native.lib.ivrsm_session_new = racing(real_new)
            s = ivrsm.Session(m, ctx=MENU_CTX)
            m = ivrsm.Machine.load(MENU)
            _native.lib.ivrsm_session_restore = racing(real_restore)
            r = ivrsm.Session.restore(m, snapshot)
        finally:
            _native.lib.ivrsm_session_new = real_new
            _native.lib.ivrsm_session_restore = real_restore
            for closer in closers:
                closer.join()
        self.assertEqual(seen, [False, False])
        self.assertTrue(m.closed)
        s.start()
        for session in (s, r):
            session.feed_dtmf("1")
            self.assertEqual(session.state, "hours")
            session.close()
        with self.assertRaisesRegex(ValueError, "is closed"):
            m.session()

    def test_a_machine_closed_in_a_race_with_new_sessions(self):
        """The same race, free-running: sessions created in a loop while the machine closes."""
        text = MENU.read_text()
        for i in range(60):
            m = ivrsm.Machine.from_string(text)
            made = []

            def maker():
                while True:
                    try:
                        s = m.session(ctx=MENU_CTX)
                    except ValueError:
                        return
                    s.start()
                    made.append(types(s.commands()))
                    s.close()

            t = threading.Thread(target=maker)
            t.start()
            threading.Event().wait(0.0003 * (i % 5))
            m.close()
            t.join()
            self.assertTrue(all(kinds == ["ask"] for kinds in made))

    def test_a_closed_session_refuses_calls(self):
        with ivrsm.Machine.load(MENU) as m:
            with m.session() as s:
                s.start()
            self.assertTrue(s.closed)
            s.close()  # idempotent
            self.assertEqual(repr(s), "<ivrsm.Session closed>")
            for call in (s.start, s.commands, s.snapshot, s.feed_noinput, lambda: s.state):
                with self.assertRaisesRegex(ValueError, "the session is closed"):
                    call()

    def test_one_session_from_many_threads(self):
        """Threads feeding, reading and closing one session at once: each call waits for the
        one in progress (the library's session is single-threaded and ctypes lets threads run
        during a call), a call after close() raises ValueError, nothing crashes."""
        m = ivrsm.Machine.load(SEED)
        s = m.session(call_id="threads", clock=lambda: NOW_MS, trace=lambda record: None)
        s.start()
        outcomes = []
        start = threading.Barrier(5)

        def worker(n):
            start.wait()
            for i in range(300):
                try:
                    if n == 0 and i == 150:
                        s.close()
                    try:
                        s.feed_dtmf(str(i % 10))
                    except ivrsm.Error as e:  # e.g. input while a backend answer is awaited
                        outcomes.append(e.code_name)
                    s.commands()
                    s.state, s.ended, s.ctx
                    s.snapshot()
                    outcomes.append("ok")
                except ValueError as e:
                    self.assertIn("the session is closed", str(e))
                    outcomes.append("closed")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(s.closed)
        self.assertIn("closed", outcomes)
        self.assertIn("ok", outcomes)
        m.close()

    def test_callbacks_live_as_long_as_the_session(self):
        class Sink:
            def __init__(self):
                self.count = 0

            def __call__(self, record):
                self.count += 1

        sink = Sink()
        probe = weakref.ref(sink)
        s = ivrsm.Machine.load(MENU).session(trace=sink)
        del sink
        gc.collect()
        self.assertIsNotNone(probe())
        s.start()
        s.feed_noinput()
        self.assertGreater(probe().count, 3)
        del s
        gc.collect()
        self.assertIsNone(probe())

    def test_restored_sessions_are_freed_too(self):
        m = ivrsm.Machine.load(MENU)
        s = m.session()
        s.start()
        snapshot = s.snapshot()
        for _ in range(500):
            r = ivrsm.Session.restore(m, snapshot, trace=lambda rec: None)
            r.feed_noinput()
        gc.collect()


if __name__ == "__main__":
    unittest.main()
