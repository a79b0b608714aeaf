#!/usr/bin/env python3
"""Several ESL hosts, one fake FreeSWITCH, one Redis: calls outlive their host.

    test_esl_redis.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH

Each test starts its own redis-server on 127.0.0.1 (a free port; no
persistence, --save '' --appendonly no, or an append-only file where the
test says so), the seed's mock backend and the fake FreeSWITCH (which
gives each event-socket connection its own copy of every event), runs two
hosts with --redis against them, breaks something (kill -9 a host
mid-question or mid-request, restart or kill Redis, freeze Redis or a host
with SIGSTOP, cut a host off from Redis with a proxy) and checks from the
fake's report, the backend's request log, Redis's keys and the hosts' logs
and metrics that every call went on at the same state with its ctx, that
no backend action was applied twice and that no call had two owners at a
time (the applications of a call come from one connection, then only from
the one that took it over). Every wait is on a condition (a log line, a
key, a request), never a fixed sleep, so a loaded machine only slows it.

Skipped, saying why, only where redis-server is not installed; CI installs
it (.ci/run, scripts/deps.sh).
"""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_esl_host as base  # noqa: E402
from redis_parts import Proxy, RedisServer  # noqa: E402

PHONE, OTP = base.PHONE, base.OTP
PHONE2 = "0698765418"  # another caller of the mock's with three appointments (ends in 8)
LEASE_MS = 1500
HOST_ARGS = ["--lease-ms", str(LEASE_MS), "--redis-timeout-ms", "300", "--store-ttl", "60"]


def login_inputs(hold_at_otp=True, otp_after_ms=3):
    """Menu 1, the phone, [a caller who says nothing for 4 s when asked for the code (or
    until another host breaks the question and asks again)], the code, consent, channel."""
    inputs = [{"digits": "1"}, {"digits": PHONE}]
    if hold_at_otp:
        inputs.append({"hold": True, "for_ms": 4000})
    inputs += [{"digits": OTP, "after_ms": otp_after_ms}, {"digits": "1"}, {"digits": "1"}]
    return inputs


class Cluster:
    """Redis, the mock backend, the fake FreeSWITCH and hosts named a, b..."""

    def __init__(self, test, script, mock_args=(), host_args=(), persist=False, redis_args=(),
                 redis_password=None):
        self.test = test
        self.host_args = list(host_args)
        self.redis = RedisServer(persist=persist, extra_args=redis_args,
                                 password=redis_password).start()
        test.addCleanup(self.redis.cleanup)
        self.h = base.Harness(script, mock_args=mock_args)
        test.addCleanup(self.cleanup)
        self.hosts = {}
        self.proxies = {}
        self.metrics = {}

    def start(self):
        h = self.h
        h.host_args = []
        # The backend and the fake, as the single-host tests start them (no host yet).
        start_host = h.start_host
        h.start_host = lambda extra=(): None
        h.start()
        h.start_host = start_host
        h.host_err = open(os.devnull, "w", encoding="utf-8")  # Harness.stop closes it
        return self

    def start_host(self, name, via_proxy=False, log_level="info", env=None, wait=True):
        """Start host `name`; env: its environment (the Redis password); wait: until it is
        connected to FreeSWITCH and Redis."""
        port = self.redis.port
        if via_proxy:
            self.proxies[name] = Proxy(self.redis.port)
            port = self.proxies[name].port
        log = open(self.h.path / ("host-%s.log" % name), "a", encoding="utf-8")
        args = [base.HOST, "--machine", str(base.SEED), "--backend", self.h.backend_url,
                "--esl", self.h.esl, "--reconnect-min-ms", "100", "--reconnect-max-ms", "400",
                "--log-level", log_level, "--redis", "127.0.0.1:%d" % port, "--host-id",
                "host-" + name, "--metrics", "127.0.0.1:0", *HOST_ARGS, *self.host_args]
        self.hosts[name] = (subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log,
                                             env=env), log)
        if not wait:
            return
        self.wait_log(name, r"esl: ready on")
        self.wait_log(name, r"store: Redis .* ready")
        m = re.search(r"metrics on (http://\S+/metrics)", self.log(name))
        self.metrics[name] = m.group(1)

    def log(self, name):
        p = self.h.path / ("host-%s.log" % name)
        return p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""

    def wait_log(self, name, pattern, timeout=15, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.log(name))) >= count:
                return
            time.sleep(0.02)
        raise AssertionError("no %r in host %s's log:\n%s" % (pattern, name, self.log(name)))

    def wait_ask_sent(self, name, uuid, state, timeout=15):
        """Until host `name` (started with log_level="debug") has written the question's
        application to the event socket: an ask is a few applications, each sent when the
        one before completes, and a host stopped in between never asks (the scripted
        caller's answers would then go to other questions)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log(name)
            at = text.rfind("call %s: ask in %s" % (uuid, state))
            if at >= 0 and re.search(r"call %s: execute play_and_get_digits" % uuid, text[at:]):
                return
            if time.monotonic() > deadline:
                raise AssertionError("host %s did not ask %s:\n%s" % (name, state, text))
            time.sleep(0.02)

    def owner(self, uuid):
        """The host that started (or took over) the call last, from the logs."""
        found = [n for n in self.hosts if re.search(
            r"call %s: (parked; session|taken over)" % uuid, self.log(n))]
        return found

    def kill(self, name):
        process, log = self.hosts[name]
        process.send_signal(signal.SIGKILL)
        process.wait()
        log.close()
        return time.monotonic()

    def pause(self, name):
        """SIGSTOP: the host's process stands still (a long pause, a frozen VM) while its
        sockets stay open and what FreeSWITCH sends it waits in them."""
        self.hosts[name][0].send_signal(signal.SIGSTOP)

    def resume(self, name):
        self.hosts[name][0].send_signal(signal.SIGCONT)

    def stop_host(self, name):
        process, log = self.hosts[name]
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            rc = process.wait(timeout=10)
            self.test.assertEqual(rc, 0, self.log(name))
        log.close()

    def finish(self):
        """Every call done: stop the live hosts, read the backend's log and the fake's report."""
        try:
            self.h.wait_done(30)
        except AssertionError:
            raise AssertionError("the calls did not end in time; the hosts' logs:\n" + "\n".join(
                "== %s\n%s" % (n, self.log(n)) for n in self.hosts)) from None
        for call in self.h.script["calls"]:
            live = [n for n, (p, _) in self.hosts.items() if p.poll() is None]
            deadline = time.monotonic() + 10
            while not any("call %s: ended" % call["uuid"] in self.log(n) for n in live):
                if time.monotonic() > deadline:
                    raise AssertionError("no host ended call %s" % call["uuid"])
                time.sleep(0.02)
        mock_log = self.h.mock_requests()
        for name, (process, _) in self.hosts.items():
            if process.poll() is None:
                self.stop_host(name)
        self.h.stop()
        return mock_log

    def cleanup(self):
        for process, log in self.hosts.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
                process.wait()
            log.close()
        for p in self.proxies.values():
            p.close()
        self.h.cleanup()


class RedisStoreTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not shutil.which("redis-server"):
            if os.environ.get("CI"):
                self.fail("redis-server is not installed, and CI must test the Redis store "
                          "(.ci/run installs redis-server)")
            self.skipTest("redis-server is not installed (apt-get install redis-server): "
                          "the Redis store is not tested here")

    # -- checks shared by the tests ----------------------------------------------

    def assert_logged_in(self, report, uuid):
        """The call went from the code to the list of appointments: state and ctx intact."""
        asks = [e for e in report["calls"][uuid]["executes"] if e["app"] in base.ASKS]
        self.assertIn("Vous avez 3 rendez-vous à venir.", base.prompt_of(asks[-1]), uuid)
        self.assertTrue(report["calls"][uuid]["ended"])

    def assert_once_per_key(self, mock_log):
        """No backend action applied twice: each Idempotency-Key ran once, the others replayed."""
        ran = {}
        for r in mock_log:
            key = r["headers"].get("Idempotency-Key")
            if key and not r.get("replayed"):
                ran[key] = ran.get(key, 0) + 1
        self.assertTrue(ran)
        self.assertEqual({k: n for k, n in ran.items() if n > 1}, {})

    def assert_one_owner_at_a_time(self, report, uuid, first, then):
        """Applications of the call came from connection `first`, then only from `then`."""
        conns = [e["connection"] for e in report["calls"][uuid]["executes"]]
        switch = conns.index(then) if then in conns else len(conns)
        self.assertTrue(all(c == first for c in conns[:switch]), (uuid, conns))
        self.assertTrue(all(c == then for c in conns[switch:]), (uuid, conns))

    def assert_no_keys(self, cluster, dead=None):
        """Every call's keys are gone; only the set of a host killed with calls may stay,
        and the generation of a call taken over (so that the host it was taken from, if
        it comes back, does not take it again), until their time to live ends."""
        r = cluster.redis.client()
        left = r.command("KEYS", "ivrsm:*")
        dead_set = "ivrsm:synergia_rdv_mvp_ivr:host:host-%s" % dead
        kept = [k for k in left if k == dead_set or (
            k.split(":")[2] == "gen" and int(r.command("GET", k)) > 1)]
        self.assertEqual([k for k in left if k not in kept], [], "\n".join(
            "== %s\n%s" % (n, cluster.log(n)) for n in cluster.hosts))
        for k in left:
            self.assertGreater(r.command("PTTL", k), 0, k)

    # -- the tests -------------------------------------------------------------------

    def test_two_hosts_share_the_calls(self):
        """Every park reaches both hosts; each call is claimed by exactly one and runs there."""
        uuids = [base.call_uuid(300 + i) for i in range(6)]
        script = {"connections": 2, "calls": [
            {"uuid": u, "start_after_ms": 40 * i, "inputs": login_inputs(hold_at_otp=False)}
            for i, u in enumerate(uuids)]}
        c = Cluster(self, script).start()
        c.start_host("a")
        c.start_host("b")
        mock_log = c.finish()
        report = c.h.report
        for u in uuids:
            self.assertEqual(len(c.owner(u)), 1, (u, c.owner(u)))
            conns = {e["connection"] for e in report["calls"][u]["executes"]}
            self.assertEqual(len(conns), 1, (u, conns))
            self.assert_logged_in(report, u)
        self.assertEqual(len(re.findall(r"parked; another host took it", c.log("a") + c.log("b"))),
                         len(uuids))
        # Nothing Redis refused: each call's keys removed as it ended, without an error.
        self.assertNotIn("Redis answered an error", c.log("a") + c.log("b"))
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)

    def test_kill_mid_question(self):
        """kill -9 the host of some calls while their callers are being asked for the code:
        the other host takes every one over, asks again and the calls log in."""
        uuids = [base.call_uuid(310 + i) for i in range(4)]
        script = {"connections": 2, "calls": [
            {"uuid": u, "start_after_ms": 30 * i, "inputs": login_inputs()}
            for i, u in enumerate(uuids)]}
        c = Cluster(self, script).start()
        c.start_host("a")
        c.start_host("b")
        for u in uuids:
            for _ in range(300):
                if any(re.search(r"call %s: ask in ivr.auth.verify_otp" % u, c.log(n))
                       for n in "ab"):
                    break
                time.sleep(0.02)
        owners = {u: c.owner(u)[0] for u in uuids}
        # Mid-call, every key has a time to live: the calls', their owners', the leases' set,
        # each host's set.
        r = c.redis.client()
        keys = r.command("KEYS", "ivrsm:synergia_rdv_mvp_ivr:*")
        self.assertEqual({k.split(":")[2] for k in keys},
                         {"call", "owner", "gen", "leases", "host"})
        self.assertEqual({k: r.command("PTTL", k) > 0 for k in keys}, {k: True for k in keys})
        victim = max("ab", key=lambda n: list(owners.values()).count(n))
        survivor = "b" if victim == "a" else "a"
        victims = [u for u in uuids if owners[u] == victim]
        killed_at = c.kill(victim)
        for u in victims:
            c.wait_log(survivor, r"call %s: taken over" % u, timeout=20)
        resumed_in = time.monotonic() - killed_at
        mock_log = c.finish()
        report = c.h.report
        conn = {"a": 1, "b": 2}
        for u in uuids:
            self.assert_logged_in(report, u)
        for u in victims:
            self.assertIn("call %s: resumed in ivr.auth.verify_otp" % u, c.log(survivor))
            self.assertEqual(len(re.findall(r"call %s: taken over" % u, c.log(survivor))), 1)
            self.assert_one_owner_at_a_time(report, u, conn[victim], conn[survivor])
            apis = [(a["api"], a["connection"]) for a in report["calls"][u]["apis"]]
            self.assertEqual(apis[:2], [("uuid_exists", conn[survivor]),
                                        ("uuid_break", conn[survivor])])
        # ctx intact: the code was checked against the phone given to the dead host.
        verified = [r for r in mock_log if r["endpoint"] == "verify_otp"]
        self.assertEqual(len(verified), len(uuids))
        self.assertTrue(all(r["status"] == 200 for r in verified))
        self.assert_once_per_key(mock_log)
        self.assertLess(resumed_in, 20)
        self.assert_no_keys(c, dead=victim)

    def test_kill_mid_http(self):
        """kill -9 while the backend works on request_otp: the survivor sends it again with
        the same idempotency key and the backend replays its answer."""
        uuids = [base.call_uuid(320 + i) for i in range(2)]
        script = {"connections": 2, "calls": [
            {"uuid": u, "start_after_ms": 30 * i, "inputs": login_inputs(hold_at_otp=False)}
            for i, u in enumerate(uuids)]}
        c = Cluster(self, script, mock_args=["--fail", "request_otp=slow:1200"]).start()
        c.start_host("a")
        c.start_host("b")
        deadline = time.monotonic() + 15
        while sum(r["endpoint"] == "request_otp" for r in c.h.mock_requests()) < len(uuids):
            self.assertLess(time.monotonic(), deadline, "request_otp never reached the backend")
            time.sleep(0.02)
        owners = {u: c.owner(u)[0] for u in uuids}
        victim = owners[uuids[0]]
        survivor = "b" if victim == "a" else "a"
        c.kill(victim)
        victims = [u for u in uuids if owners[u] == victim]
        for u in victims:
            c.wait_log(survivor, r"call %s: taken over" % u, timeout=20)
        mock_log = c.finish()
        for u in uuids:
            self.assert_logged_in(c.h.report, u)
        for u in victims:
            sent = [r for r in mock_log if r["endpoint"] == "request_otp"
                    and r["body"].get("call_id") == u]
            self.assertEqual(len(sent), 2, sent)
            self.assertEqual(sent[0]["headers"]["Idempotency-Key"],
                             sent[1]["headers"]["Idempotency-Key"])
            self.assertTrue(sent[1].get("replayed"), sent[1])
            self.assertIn("call %s: resumed in ivr.auth.request_otp" % u, c.log(survivor))
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c, dead=victim)

    def test_write_behind_kill_mid_question(self):
        """With --store-write-behind the snapshots go at most every 100 ms; a host killed
        while its caller is silent at a question (well past that bound) is resumed there."""
        uuid = base.call_uuid(350)
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": login_inputs()}]},
                    host_args=["--store-write-behind", "100"]).start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.start_host("b")
        self.wait_stored(c, uuid, "ivr.auth.verify_otp")  # the write-behind flush came
        c.kill("a")
        c.wait_log("b", r"call %s: taken over" % uuid, timeout=20)
        mock_log = c.finish()
        self.assertIn("call %s: resumed in ivr.auth.verify_otp" % uuid, c.log("b"))
        self.assert_logged_in(c.h.report, uuid)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c, dead="a")

    def test_scripts_flushed_mid_call(self):
        """SCRIPT FLUSH while a caller is silent: the host's next script is refused
        (NOSCRIPT), it connects again, loads its scripts, stores the call again, and the
        call goes on."""
        uuid = base.call_uuid(360)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True, "for_ms": 1500},
                  {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]}).start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.redis.client().command("SCRIPT", "FLUSH")
        c.wait_log("a", r"store: connection to Redis .* lost \(scripts flushed\)")
        c.wait_log("a", r"store: 1 live call stored again")
        mock_log = c.finish()
        self.assert_logged_in(c.h.report, uuid)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)

    def test_redis_restarted_mid_call(self):
        """Redis restarts (empty) while a caller answers: the call goes on, the host stores it
        again once Redis is back (counted in its metrics), and a kill -9 after that is
        survived by the other host from the snapshot written after the restart."""
        uuid = base.call_uuid(330)
        inputs = [{"digits": "1"}, {"digits": PHONE, "after_ms": 60}, {"hold": True},
                  {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]}).start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.phone_capture" % uuid)
        c.redis.restart(down_s=0.3)
        c.start_host("b")
        c.wait_log("a", r"store: Redis .* back after")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.wait_log("a", r"store: \d+ live call stored again")
        key = "ivrsm:synergia_rdv_mvp_ivr:call:%s" % uuid
        deadline = time.monotonic() + 10
        while "verify_otp" not in (c.redis.client().command("GET", key) or ""):
            self.assertLess(time.monotonic(), deadline, "the snapshot was not stored again")
            time.sleep(0.05)
        self.assertGreater(c.redis.client().command("PTTL", key), 0)
        self.assertGreater(c.redis.client().command("PTTL", "ivrsm:synergia_rdv_mvp_ivr:owner:" + uuid), 0)
        samples = base.scrape(c.metrics["a"])
        self.assertGreaterEqual(samples["ivrsm_esl_store_disconnects_total"], 1)
        self.assertGreater(samples["ivrsm_esl_store_disconnected_seconds_total"], 0)
        self.assertEqual(samples["ivrsm_esl_store_connected"], 1)
        self.assertIn("store: connection to Redis", c.log("a"))
        c.kill("a")
        c.wait_log("b", r"call %s: taken over" % uuid, timeout=20)
        mock_log = c.finish()
        self.assert_logged_in(c.h.report, uuid)
        self.assert_once_per_key(mock_log)
        self.assertEqual([r["endpoint"] for r in mock_log if r["status"] == 200][:2],
                         ["request_otp", "verify_otp"])

    def test_host_cut_off_from_redis(self):
        """A host cut off from Redis (its connections open, nothing passing) stops acting on
        its calls before its lease ends; the other host takes them over; once the cut heals
        the first host finds the call is another's and lets it go, sending nothing."""
        uuid = base.call_uuid(340)
        # At the code: silent until the other host breaks the question, then for 2.5 s more
        # (the cut heals meanwhile), then the code.
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True},
                  {"hold": True, "for_ms": 2500}, {"digits": OTP}, {"digits": "1"},
                  {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]}).start()
        c.start_host("a", via_proxy=True)
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.start_host("b")
        cut_at = time.monotonic()
        c.proxies["a"].cut()
        c.wait_log("a", r"store: the leases of this host's calls are in doubt")
        cut_off = base.scrape(c.metrics["a"])
        self.assertEqual((cut_off["ivrsm_esl_store_fenced"], cut_off["ivrsm_esl_store_connected"]),
                         (1, 0))
        c.wait_log("b", r"call %s: taken over" % uuid, timeout=20)
        c.wait_log("b", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.proxies["a"].heal()
        c.wait_log("a", r"call %s: another host owns it now" % uuid, timeout=20)
        c.wait_log("a", r"store: leases renewed; the calls go on")
        healed = base.scrape(c.metrics["a"])
        self.assertEqual((healed["ivrsm_esl_store_fenced"], healed["ivrsm_esl_store_connected"],
                          healed["ivrsm_esl_calls_lost_total"]), (0, 1, 1))
        self.assertGreaterEqual(healed["ivrsm_esl_store_disconnects_total"], 1)
        self.assertGreater(healed["ivrsm_esl_store_disconnected_seconds_total"], 0)
        self.assertEqual(base.scrape(c.metrics["b"])["ivrsm_esl_calls_taken_over_total"], 1)
        mock_log = c.finish()
        report = c.h.report
        self.assert_logged_in(report, uuid)
        self.assert_one_owner_at_a_time(report, uuid, 1, 2)
        self.assertIn("store: connection to Redis", c.log("a"))
        self.assert_once_per_key(mock_log)
        self.assertLess(time.monotonic() - cut_at, 60)
        self.assert_no_keys(c)


    def wait_stored(self, c, uuid, text, timeout=15):
        """Until the call's document in Redis holds text (a state's name)."""
        key = "ivrsm:synergia_rdv_mvp_ivr:call:%s" % uuid
        deadline = time.monotonic() + timeout
        while text not in (c.redis.client().command("GET", key) or ""):
            self.assertLess(time.monotonic(), deadline, "no %r in the stored snapshot" % text)
            time.sleep(0.02)

    def owner_of(self, c, uuid, timeout=15):
        """The host that claimed the call, once one has."""
        deadline = time.monotonic() + timeout
        while not c.owner(uuid):
            self.assertLess(time.monotonic(), deadline, "no host took call %s" % uuid)
            time.sleep(0.02)
        return c.owner(uuid)[0]

    def test_paused_host_acts_on_nothing_once_its_lease_ended(self):
        """A host frozen (SIGSTOP) for longer than its lease while its caller is asked for the
        code: the other host takes the call over, and its uuid_break ends the frozen host's
        question, whose completion waits in the frozen host's socket. Woken up, the first
        host reads that completion before any timer of its own runs: it checks its lease
        before it acts, sends nothing more for the call, and lets it go."""
        uuid = base.call_uuid(370)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True},
                  {"hold": True, "for_ms": 2500}, {"digits": OTP}, {"digits": "1"},
                  {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]}).start()
        c.start_host("a", log_level="debug")
        c.wait_ask_sent("a", uuid, "ivr.auth.verify_otp")
        c.start_host("b")
        c.pause("a")
        c.wait_log("b", r"call %s: taken over" % uuid, timeout=20)
        c.wait_log("b", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.resume("a")
        c.wait_log("a", r"call %s: another host owns it now" % uuid, timeout=20)
        self.assertEqual(base.scrape(c.metrics["a"])["ivrsm_esl_calls_lost_total"], 1)
        self.assertEqual(base.scrape(c.metrics["b"])["ivrsm_esl_calls_taken_over_total"], 1)
        mock_log = c.finish()
        report = c.h.report
        self.assert_logged_in(report, uuid)
        self.assert_one_owner_at_a_time(report, uuid, 1, 2)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)

    def test_request_waits_for_its_snapshot(self):
        """The caller gives a phone number while their host is cut off from Redis: the host
        does not send request_otp before the snapshot naming it in flight is stored (its
        idempotency key would then be in use where no other host can know it). The host is
        killed; the one that takes the call over asks for the number again and sends
        request_otp, under the same key, with the number it hears, once."""
        uuid = base.call_uuid(380)
        inputs = [{"digits": "1"}, {"keys": PHONE + "#", "after_ms": 1500},
                  {"keys": PHONE2 + "#"}, {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        # Real timeouts (time_scale 1): the caller takes 1.5 s to key the number in.
        script = {"connections": 2, "time_scale": 1.0,
                  "calls": [{"uuid": uuid, "inputs": inputs}]}
        # A long lease: the number comes well before the cut host's fence (0.9 lease).
        c = Cluster(self, script, host_args=["--lease-ms", "5000"]).start()
        c.start_host("a", via_proxy=True)
        c.start_host("b", via_proxy=True)
        victim = self.owner_of(c, uuid)
        survivor = "b" if victim == "a" else "a"
        c.wait_log(victim, r"call %s: ask in ivr.auth.phone_capture" % uuid)
        self.wait_stored(c, uuid, "ivr.auth.phone_capture")  # the question is in Redis
        c.proxies[victim].cut()
        deadline = time.monotonic() + 15
        while not (re.search(r"call %s: http PUT /auth/request-otp waits" % uuid, c.log(victim))
                   or any(r["endpoint"] == "request_otp" for r in c.h.mock_requests())):
            self.assertLess(time.monotonic(), deadline, c.log(victim))
            time.sleep(0.02)
        c.kill(victim)
        c.wait_log(survivor, r"call %s: taken over" % uuid, timeout=30)
        mock_log = c.finish()
        self.assertIn("call %s: resumed in ivr.auth.phone_capture" % uuid, c.log(survivor))
        self.assert_logged_in(c.h.report, uuid)
        sent = [r for r in mock_log if r["endpoint"] == "request_otp"]
        self.assertEqual([(r["status"], r["body"]["phone_e164"]) for r in sent],
                         [(200, "+33" + PHONE2[1:])], sent)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c, dead=victim)

    def test_redis_crashed_with_its_data_and_host_killed_meanwhile(self):
        """Redis with persistence (an append-only file) is killed while a caller is asked
        for the code; the host of the call is killed while Redis is down (fenced since
        its renewals went unanswered). Redis starts again from its file: the other host finds
        the call's lease ended, takes it over from the stored snapshot and the call logs in.
        (Without persistence the call would be lost: docs/deploy.md.)"""
        uuid = base.call_uuid(390)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True}, {"digits": OTP},
                  {"digits": "1"}, {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]},
                    persist=True).start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.start_host("b")
        self.wait_stored(c, uuid, "ivr.auth.verify_otp")
        c.redis.crash()
        c.wait_log("a", r"store: the leases of this host's calls are in doubt")
        c.kill("a")
        # Time must pass, not an event: Redis stays down past the lease, whose end it keeps.
        time.sleep(LEASE_MS / 1000.0)
        c.redis.start()
        c.wait_log("b", r"call %s: taken over" % uuid, timeout=30)
        mock_log = c.finish()
        self.assertIn("call %s: resumed in ivr.auth.verify_otp" % uuid, c.log("b"))
        self.assert_logged_in(c.h.report, uuid)
        self.assert_one_owner_at_a_time(c.h.report, uuid, 1, 2)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c, dead="a")

    def test_redis_away_longer_than_the_lease_with_its_data(self):
        """Redis (with persistence) is stopped for longer than the lease while calls run on
        both hosts: every host is fenced, every call waits; Redis comes back with the leases
        ended, so each call's old host (renewing) and the other (seeing an orphan) race for
        it. One wins each call: it goes on from there, the other lets it go, nothing is
        sent twice."""
        uuids = [base.call_uuid(395 + i) for i in range(4)]
        # Silent at the code for 4 s (or until another host breaks the question), then the
        # question's timeouts run and it is asked again.
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True, "for_ms": 4000},
                  {"digits": OTP},
                  {"digits": "1"}, {"digits": "1"}]
        script = {"connections": 2, "calls": [
            {"uuid": u, "start_after_ms": 30 * i, "inputs": inputs} for i, u in enumerate(uuids)]}
        c = Cluster(self, script, persist=True).start()
        c.start_host("a")
        c.start_host("b")
        for u in uuids:
            c.wait_log(self.owner_of(c, u), r"call %s: ask in ivr.auth.verify_otp" % u)
        first = {u: self.owner_of(c, u) for u in uuids}
        c.redis.stop()
        for n in "ab":
            c.wait_log(n, r"store: the leases of this host's calls are in doubt")
        time.sleep(LEASE_MS / 1000.0)  # past the lease, as above
        c.redis.start()
        for n in "ab":
            c.wait_log(n, r"store: leases renewed; the calls go on", count=1)
        mock_log = c.finish()
        conn = {"a": 1, "b": 2}
        for u in uuids:
            self.assert_logged_in(c.h.report, u)
            other = "b" if first[u] == "a" else "a"
            self.assert_one_owner_at_a_time(c.h.report, u, conn[first[u]], conn[other])
            moved = re.search(r"call %s: taken over" % u, c.log(other))
            self.assertEqual(bool(moved), bool(re.search(
                r"call %s: another host owns it now" % u, c.log(first[u]))), u)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)


    def test_host_back_with_its_id_keeps_its_calls(self):
        """kill -9 a host and start it again at once with the same --host-id: it finds its
        calls in Redis, claims them again (its leases go on being renewed) and resumes them;
        the other host, watching for orphans all along, takes none of them over, however
        long the caller then stays silent."""
        uuid = base.call_uuid(400)
        # Silent at the code (until the restarted host breaks the question), then for 3 s
        # (two leases) at the question asked again, then the code.
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True},
                  {"hold": True, "for_ms": 3000}, {"digits": OTP}, {"digits": "1"},
                  {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]}).start()
        c.start_host("a", log_level="debug")
        c.wait_ask_sent("a", uuid, "ivr.auth.verify_otp")
        c.start_host("b")
        c.kill("a")
        c.start_host("a")
        c.wait_log("a", r"call %s: saved session \S+ loaded in ivr.auth.verify_otp" % uuid)
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid, count=2)
        mock_log = c.finish()
        self.assertNotIn(uuid, c.log("b"))
        report = c.h.report
        self.assert_logged_in(report, uuid)
        # Connections: 1 the first run of a, 2 b, 3 a again.
        self.assert_one_owner_at_a_time(report, uuid, 1, 3)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)

    def test_claims_wait_for_redis(self):
        """Redis stands still (SIGSTOP) as a call is parked: both hosts' claims go
        unanswered and their connections time out. The claims are made again on the next
        connection (a claim Redis ran before the connection went answers the same to its
        host), so one host takes the call once Redis answers, and the call goes on."""
        uuid = base.call_uuid(410)
        script = {"connections": 2, "calls": [
            {"uuid": uuid, "start_after_ms": 1000, "inputs": login_inputs(hold_at_otp=False)}]}
        c = Cluster(self, script).start()
        c.start_host("a")
        c.start_host("b")
        c.redis.pause()
        for n in "ab":
            c.wait_log(n, r"store: call %s: its claim (went unanswered; it )?waits for Redis" % uuid)
        c.redis.resume()
        mock_log = c.finish()
        self.assertEqual(len(c.owner(uuid)), 1, (c.owner(uuid), c.log("a"), c.log("b")))
        self.assert_logged_in(c.h.report, uuid)
        self.assertEqual(len({e["connection"] for e in c.h.report["calls"][uuid]["executes"]}), 1)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)


    def test_host_cut_off_finds_its_call_moved_on(self):
        """A host is cut off from Redis past its lease; the other takes its call over, takes
        it further (the code checked, the next question asked) and then stops (SIGINT: the
        call released, its document kept). When the cut heals, the first host finds the
        call's owner key gone: it must not take the call back from its own, older, memory
        (its claim is of an older generation), but take it over from the stored document,
        at the question the other host asked."""
        uuid = base.call_uuid(420)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True}, {"digits": OTP},
                  {"hold": True}, {"digits": "1"}, {"digits": "1"}]
        c = Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]}).start()
        c.start_host("a", via_proxy=True)
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.start_host("b", log_level="debug")
        c.proxies["a"].cut()
        c.wait_log("b", r"call %s: taken over" % uuid, timeout=20)
        c.wait_ask_sent("b", uuid, "ivr.auth.consent")
        self.wait_stored(c, uuid, "ivr.auth.consent")
        c.stop_host("b")
        c.proxies["a"].heal()
        c.wait_log("a", r"call %s: taken over from a host whose lease expired; session \S+ in "
                   r"ivr.auth.consent" % uuid, timeout=20)
        mock_log = c.finish()
        report = c.h.report
        self.assert_logged_in(report, uuid)
        conns = [e["connection"] for e in report["calls"][uuid]["executes"]]
        runs = [n for i, n in enumerate(conns) if i == 0 or conns[i - 1] != n]
        self.assertEqual(runs, [1, 2, 1], conns)
        self.assertEqual(len([r for r in mock_log if r["endpoint"] == "verify_otp"]), 1)
        self.assert_once_per_key(mock_log)
        self.assert_no_keys(c)


def main():
    if len(sys.argv) < 4:
        raise SystemExit("usage: test_esl_redis.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH")
    base.HOST, base.MOCK_SERVER, base.FAKE = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
