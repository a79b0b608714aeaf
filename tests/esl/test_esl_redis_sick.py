#!/usr/bin/env python3
"""The ESL host's Redis store against a hostile or sick Redis: a real redis-server.

    test_esl_redis_sick.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH

Each test starts its own redis-server on 127.0.0.1 (tests/esl/redis_parts.py), the
appointment machine's mock backend and the fake FreeSWITCH, as test_esl_redis.py does, and
makes Redis refuse the host in one way a real one does (the reply texts are redis/redis's):

- a password: `requirepass` (server.c processCommand answers NOAUTH, acl.c authCommand
  WRONGPASS): the right one in $IVRSM_REDIS_PASSWORD works, a wrong or a missing one stops
  the host at start with exit status 3 and a message naming the variable, never the password;
- memory: `maxmemory` reached with `noeviction` (OOM: server.c processCommand, script.c
  scriptVerifyOOM): the leases live on (the scripts that renew, release and remove carry the
  allow-oom flag, script.c scriptPrepareForRun), a live call goes on from memory, its
  snapshot is put again until Redis takes it, a backend request waits for it (past its own
  timeout it fails unsent: the machine's failure path); a new call,
  whose claim Redis refuses, is hung up, not left in silence;
- another application's data at the host's keys (WRONGTYPE: t_string.c, t_zset.c): at the
  shared keys the host stops at start, saying which key; at one call's keys that call is
  hung up and the data left as it was;
- Redis standing still (CLIENT PAUSE ALL) longer than the lease: the host is fenced, then
  goes on;
- a call's snapshot garbled, cut short or taken on another version of the machine when
  another host takes the call over: the call is hung up (NORMAL_TEMPORARY_FAILURE) by the
  host that read it, its keys removed, and no other host tries it again.

Skipped, saying why, only where redis-server is not installed.
"""

import os
import re
import shutil
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_esl_host as base  # noqa: E402
import test_esl_redis as shared  # noqa: E402
from redis_parts import Monitor  # noqa: E402

PHONE, OTP = base.PHONE, base.OTP
BASE_KEY = "ivrsm:synergia_rdv_mvp_ivr:"
PASSWORD = "Tr0ub4dor-and-3"
STORE_WAIT = base.HERE / "store_wait_machine.yaml"


def host_exit(cluster, name, timeout=15):
    process, log = cluster.hosts[name]
    rc = process.wait(timeout=timeout)
    log.close()
    return rc


def hangups(report, uuid):
    return [e for e in report["calls"][uuid]["executes"] if e["app"] == "hangup"]


class SickRedisTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not shutil.which("redis-server"):
            if os.environ.get("CI"):
                self.fail("redis-server is not installed, and CI must test the Redis store")
            self.skipTest("redis-server is not installed (apt-get install redis-server)")

    def test_password(self):
        """requirepass: the password in $IVRSM_REDIS_PASSWORD is taken and a call runs; a
        wrong one, none, or one Redis does not want stop the host at start (exit status 3)
        with what to do, and the password is never written."""
        uuid = base.call_uuid(500)
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": uuid, "start_after_ms": 300, "inputs": base.seed_login_inputs()}]},
            redis_password=PASSWORD).start()
        env = dict(os.environ)
        env.pop("IVRSM_REDIS_PASSWORD", None)
        c.start_host("wrong", env=dict(env, IVRSM_REDIS_PASSWORD="not-" + PASSWORD), wait=False)
        c.start_host("none", env=env, wait=False)
        self.assertEqual(host_exit(c, "wrong"), 3, c.log("wrong"))
        self.assertEqual(host_exit(c, "none"), 3, c.log("none"))
        self.assertRegex(c.log("wrong"), r"error store: Redis refused the password: check "
                         r"\$IVRSM_REDIS_PASSWORD \(WRONGPASS [^)]*\): stopping \(exit status 3\)")
        self.assertRegex(c.log("none"), r"error store: Redis wants a password: set "
                         r"\$IVRSM_REDIS_PASSWORD \(NOAUTH Authentication required\.\): "
                         r"stopping \(exit status 3\)")
        c.start_host("a", env=dict(env, IVRSM_REDIS_PASSWORD=PASSWORD))
        c.finish()
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in c.h.report["calls"][uuid]["executes"] if e["app"] in base.ASKS][-1]))
        for name in ("wrong", "none", "a"):
            self.assertNotIn(PASSWORD, c.log(name), name)
        # A password given to a Redis that has none (another Redis than meant?) stops it too.
        plain = shared.RedisServer().start()
        self.addCleanup(plain.cleanup)
        c.redis.port, kept = plain.port, c.redis.port
        c.start_host("extra", env=dict(env, IVRSM_REDIS_PASSWORD=PASSWORD), wait=False)
        c.redis.port = kept
        self.assertEqual(host_exit(c, "extra"), 3, c.log("extra"))
        self.assertRegex(c.log("extra"), r"error store: Redis has no password, and "
                         r"\$IVRSM_REDIS_PASSWORD gives one: unset it, or set Redis's "
                         r"requirepass \(ERR AUTH <password> called without any password")
        self.assertNotIn(PASSWORD, c.log("extra"))

    def fill_redis(self, r):
        """maxmemory below what Redis uses, noeviction: every write that could grow it is
        refused with OOM from now on (server.c performEvictions cannot free anything)."""
        r.command("SET", "other-application:blob", "x" * 2_000_000)
        used = int(re.search(r"used_memory:(\d+)", r.command("INFO", "memory")).group(1))
        r.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        r.command("CONFIG", "SET", "maxmemory", str(used - 1_000_000))
        with self.assertRaisesRegex(RuntimeError, r"^OOM command not allowed when used memory > "
                                    r"'maxmemory'"):
            r.command("SET", "other-application:more", "y")

    def test_out_of_memory(self):
        """Redis at maxmemory with noeviction, for longer than two leases, while a caller is
        asked for the code and another call parks: the leases are renewed throughout (no
        fence); the live call's snapshots are refused, said once, and its backend request
        waits for one to be stored; the new call is hung up (its claim refused three times
        more). Memory freed, the snapshot is stored, the request goes, the call logs in."""
        live, late = base.call_uuid(510), base.call_uuid(511)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True, "for_ms": 1500},
                  {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": live, "inputs": inputs},
            {"uuid": late, "start_on_file": "PARK", "inputs": base.seed_login_inputs()}]})
        park_file = c.h.path / "park-late"
        c.h.script["calls"][1]["start_on_file"] = str(park_file)
        c.start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % live)
        r = c.redis.client()
        self.fill_redis(r)
        oom_at = time.monotonic()
        c.wait_log("a", r"call %s: the store refused its snapshot \(OOM command not allowed "
                   r"when used memory > 'maxmemory'" % live, timeout=20)
        c.wait_log("a", r"call %s: http PUT /auth/verify-otp waits until its snapshot is "
                   r"stored" % live, timeout=20)
        park_file.write_text("now")
        c.wait_log("a", r"call %s: cannot go on \(the store refuses to take it\): hanging up"
                   % late, timeout=30)
        while time.monotonic() - oom_at < 2 * shared.LEASE_MS / 1000.0:
            time.sleep(0.05)
        self.assertNotIn("in doubt", c.log("a"))
        self.assertEqual(len(re.findall(r"call %s: the store refused its snapshot" % live,
                                        c.log("a"))), 1)
        r.command("DEL", "other-application:blob")
        c.wait_log("a", r"call %s: its snapshot is stored again" % live)
        mock_log = c.finish()
        report = c.h.report
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in report["calls"][live]["executes"] if e["app"] in base.ASKS][-1]))
        self.assertEqual([h["arg"] for h in hangups(report, late)], ["NORMAL_TEMPORARY_FAILURE"])
        self.assertEqual([e["app"] for e in report["calls"][late]["executes"]], ["hangup"])
        self.assertEqual(len([x for x in mock_log if x["endpoint"] == "verify_otp"]), 1)
        self.assertNotIn("in doubt", c.log("a"))

    def test_out_of_memory_longer_than_a_request(self):
        """Redis at maxmemory for good while a call comes to a backend request: the request
        waits for its snapshot as long as its own timeout (1.5 s), then fails, never sent:
        the caller hears the machine's failure path instead of silence."""
        uuid = base.call_uuid(512)
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": uuid, "inputs": [{"hold": True, "for_ms": 1000}, {"digits": "1"}]}]},
            host_args=["--machine", str(STORE_WAIT)])
        c.start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in menu" % uuid)
        self.fill_redis(c.redis.client())
        c.wait_log("a", r"call %s: http GET /_mock/health not sent: the store refused its "
                   r"snapshot for \d+ ms \(its timeout 1500 ms\): taken as failed" % uuid,
                   timeout=20)
        c.finish()
        said = " ".join(e["arg"] for e in c.h.report["calls"][uuid]["executes"])
        self.assertIn("Échec du service.", said)
        self.assertNotIn("Réponse reçue.", said)
        self.assertNotRegex(c.log("a"), r"http GET /_mock/health ->")
        self.assertNotIn("in doubt", c.log("a"))

    def test_redis_paused_past_the_lease(self):
        """CLIENT PAUSE ALL for longer than the lease (Redis accepts connections but runs no
        command: server.c processCommand puts each client aside, blockPostponeClient, until
        the pause ends) while a caller is asked for the
        code: the host's requests time out, its connections are made again and go unanswered
        too, it is fenced (sends nothing); once the pause ends it renews, the call goes on
        at its question and logs in, nothing sent twice."""
        uuid = base.call_uuid(540)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True, "for_ms": 3500},
                  {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        c = shared.Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]})
        c.start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        c.redis.client().command("CLIENT", "PAUSE", "2500", "ALL")
        c.wait_log("a", r"store: connection to Redis .* lost \(no answer in 300 ms\)")
        c.wait_log("a", r"store: the leases of this host's calls are in doubt")
        c.wait_log("a", r"store: leases renewed; the calls go on", timeout=20)
        mock_log = c.finish()
        report = c.h.report
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in report["calls"][uuid]["executes"] if e["app"] in base.ASKS][-1]))
        self.assertEqual(len([r for r in mock_log if r["endpoint"] == "verify_otp"]), 1)

    def test_another_applications_keys(self):
        """Another application's hash at the host's leases key: the host stops at start (exit
        status 3) naming the key. At one call's owner key: that call's claim is refused on
        both hosts (WRONGTYPE), it is hung up, the hash left as it was; the next call runs."""
        squatted, fine = base.call_uuid(520), base.call_uuid(521)
        c = shared.Cluster(self, {"connections": 2, "calls": [
            {"uuid": squatted, "start_on_file": "PARK", "inputs": base.seed_login_inputs()},
            {"uuid": fine, "start_on_file": "PARK", "inputs": base.seed_login_inputs()}]})
        park_file = c.h.path / "park"
        for call in c.h.script["calls"]:
            call["start_on_file"] = str(park_file)
        c.start()
        r = c.redis.client()
        r.command("HSET", BASE_KEY + "leases", "owner", "someone else")
        c.start_host("early", wait=False)
        self.assertEqual(host_exit(c, "early"), 3, c.log("early"))
        self.assertRegex(c.log("early"), r"error store: Redis key %sleases holds a hash, not this "
                         r"host's zset \(another application's data under --redis-prefix ivrsm\?\): "
                         r"give the hosts another --redis-prefix, or remove the key: stopping "
                         r"\(exit status 3\)" % re.escape(BASE_KEY))
        r.command("DEL", BASE_KEY + "leases")
        r.command("HSET", BASE_KEY + "owner:" + squatted, "field", "value")
        c.start_host("a")
        c.start_host("b")
        park_file.write_text("now")
        mock_log = c.finish()
        report = c.h.report
        self.assertEqual([e["app"] for e in report["calls"][squatted]["executes"]],
                         ["hangup"] * len(report["calls"][squatted]["executes"]))
        self.assertEqual({e["arg"] for e in hangups(report, squatted)},
                         {"NORMAL_TEMPORARY_FAILURE"})
        both = c.log("a") + c.log("b")
        self.assertRegex(both, r"store: call %s: Redis refused its claim 4 times \(WRONGTYPE "
                         % squatted)
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in report["calls"][fine]["executes"] if e["app"] in base.ASKS][-1]))
        self.assertEqual(r.command("HGET", BASE_KEY + "owner:" + squatted, "field"), "value")
        self.assertNotIn("Redis answered an error", both)
        self.assertTrue(mock_log)

    def test_keys_removed_once_per_call(self):
        """Each call's keys are removed once, as Redis sees it (MONITOR): a call that ends
        with its caller's hangup, and one the host gives up on (its claim refused: another
        application's hash at its owner key), removed as it is given up and not again at the
        hangup that follows."""
        squatted, fine = base.call_uuid(525), base.call_uuid(526)
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": squatted, "start_on_file": "PARK", "inputs": base.seed_login_inputs()},
            {"uuid": fine, "start_on_file": "PARK", "inputs": base.seed_login_inputs()}]})
        park_file = c.h.path / "park"
        for call in c.h.script["calls"]:
            call["start_on_file"] = str(park_file)
        c.start()
        r = c.redis.client()
        r.command("HSET", BASE_KEY + "owner:" + squatted, "field", "value")
        monitor = Monitor(c.redis.port)
        self.addCleanup(monitor.close)
        c.start_host("a")
        park_file.write_text("now")
        c.finish()
        report = c.h.report
        self.assertEqual({e["arg"] for e in hangups(report, squatted)},
                         {"NORMAL_TEMPORARY_FAILURE"})
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in report["calls"][fine]["executes"] if e["app"] in base.ASKS][-1]))
        for uuid in (squatted, fine):
            # The removal script's keys: the call's document, owner, leases, host set, gen.
            removals = monitor.commands("EVALSHA", "5", BASE_KEY + "call:" + uuid,
                                        BASE_KEY + "owner:" + uuid)
            self.assertEqual(len(removals), 1, (uuid, removals, c.log("a")))
        self.assertEqual(r.command("HGET", BASE_KEY + "owner:" + squatted, "field"), "value")

    def test_another_applications_key_appears_mid_call(self):
        """Another application writes a hash at the leases key while a caller is silent at a
        question: the host's renewal is refused (WRONGTYPE), it connects again and says
        which key holds what (at every try, with the reconnection's backoff), and is fenced
        (sends nothing) since it cannot keep its leases. The key removed, the leases are
        renewed and the call goes on and logs in."""
        uuid = base.call_uuid(525)
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True, "for_ms": 3000},
                  {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        c = shared.Cluster(self, {"connections": 1, "calls": [{"uuid": uuid, "inputs": inputs}]})
        c.start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        r = c.redis.client()
        r.command("DEL", BASE_KEY + "leases")
        r.command("HSET", BASE_KEY + "leases", "owner", "someone else")
        c.wait_log("a", r"error store: Redis answered an error: WRONGTYPE")
        c.wait_log("a", r"error store: Redis key %sleases holds a hash, not this host's zset"
                   % re.escape(BASE_KEY))
        c.wait_log("a", r"store: the leases of this host's calls are in doubt")
        r.command("DEL", BASE_KEY + "leases")
        c.wait_log("a", r"store: leases renewed; the calls go on", timeout=20)
        mock_log = c.finish()
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in c.h.report["calls"][uuid]["executes"] if e["app"] in base.ASKS][-1]))
        self.assertEqual(len([x for x in mock_log if x["endpoint"] == "verify_otp"]), 1)
        self.assertNotIn("exit status 3", c.log("a"))

    def test_another_applications_key_at_one_live_call(self):
        """Another application writes a hash at the owner key of one of the host's live calls:
        the renewal (one script for all the host's calls) reads that call's keys with
        redis.pcall, so the WRONGTYPE concerns that call alone. It is hung up
        (NORMAL_TEMPORARY_FAILURE: no host can keep its lease, nor claim it), the hash left as
        it was; the host is never fenced and the other call logs in."""
        squatted, fine = base.call_uuid(527), base.call_uuid(528)
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": squatted, "inputs": [{"digits": "1"}, {"digits": PHONE}, {"hold": True}]},
            {"uuid": fine, "start_after_ms": 30,
             "inputs": [{"digits": "1"}, {"digits": PHONE}, {"hold": True, "for_ms": 3000},
                        {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]}]})
        c.start()
        c.start_host("a")
        for u in (squatted, fine):
            c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % u)
        r = c.redis.client()
        r.command("DEL", BASE_KEY + "owner:" + squatted)
        r.command("HSET", BASE_KEY + "owner:" + squatted, "field", "value")
        c.wait_log("a", r"error store: call %s: Redis key %sowner:%s or %sgen:%s holds another "
                   r"application's data: no host can keep the call's lease"
                   % (squatted, re.escape(BASE_KEY), squatted, re.escape(BASE_KEY), squatted))
        c.wait_log("a", r"call %s: cannot go on \(its lease cannot be kept: another "
                   r"application's data at its keys\): hanging up" % squatted)
        mock_log = c.finish()
        report = c.h.report
        self.assertEqual({e["arg"] for e in hangups(report, squatted)},
                         {"NORMAL_TEMPORARY_FAILURE"})
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in report["calls"][fine]["executes"] if e["app"] in base.ASKS][-1]))
        self.assertEqual(len([x for x in mock_log if x["endpoint"] == "verify_otp"]), 1)
        log = c.log("a")
        self.assertNotIn("in doubt", log)
        self.assertNotIn("store: connection to Redis", log)
        self.assertEqual(r.command("HGET", BASE_KEY + "owner:" + squatted, "field"), "value")
        # The call's own keys removed all the same, without an error: its document, its
        # lease, its place in the host's set (the owner key read with redis.pcall). Only the
        # other application's hash is left.
        self.assertNotIn("WRONGTYPE", log)
        self.assertNotIn("Redis answered an error", log)
        self.assertEqual(sorted(r.command("KEYS", BASE_KEY + "*")),
                         [BASE_KEY + "owner:" + squatted])

    def test_another_applications_key_as_the_host_stops(self):
        """Another application writes a hash at the owner key of a live call, and the host is
        stopped (SIGINT) at once: it releases its live calls (or, had its renewal come first,
        hangs that call up and removes it). Either way the owner key is read with
        redis.pcall: no error, the hash left as it was, the call out of the leases and the
        host's set. Before, the release's GET failed the whole script with WRONGTYPE."""
        uuid = base.call_uuid(529)
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": uuid, "inputs": [{"digits": "1"}, {"digits": PHONE}, {"hold": True}]}]})
        c.start()
        c.start_host("a")
        c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % uuid)
        r = c.redis.client()
        r.command("DEL", BASE_KEY + "owner:" + uuid)
        r.command("HSET", BASE_KEY + "owner:" + uuid, "field", "value")
        c.stop_host("a")
        log = c.log("a")
        self.assertNotIn("Redis answered an error", log)
        self.assertNotIn("WRONGTYPE", log)
        self.assertEqual(r.command("HGET", BASE_KEY + "owner:" + uuid, "field"), "value")
        self.assertIsNone(r.command("ZSCORE", BASE_KEY + "leases", uuid))
        self.assertEqual(r.command("SISMEMBER", BASE_KEY + "host:host-a", uuid), 0)
        c.h.stop()

    def test_unusable_snapshots_at_takeover(self):
        """Host a dies with three calls at the code; their snapshots are then garbled (bytes
        that are no JSON), cut short, and taken on another version of the machine. Host b
        takes each over, says why it cannot restore it, hangs it up (never leaving the caller
        in silence), removes its keys: no host tries it again. A fourth call, untouched,
        is taken over and logs in."""
        uuids = [base.call_uuid(530 + i) for i in range(4)]
        inputs = [{"digits": "1"}, {"digits": PHONE}, {"hold": True}, {"digits": OTP},
                  {"digits": "1"}, {"digits": "1"}]
        c = shared.Cluster(self, {"connections": 1, "calls": [
            {"uuid": u, "start_after_ms": 30 * i, "inputs": inputs}
            for i, u in enumerate(uuids)]}).start()
        c.start_host("a")
        for u in uuids:
            c.wait_log("a", r"call %s: ask in ivr.auth.verify_otp" % u)
        c.start_host("b")
        r = c.redis.client()
        for u in uuids:
            deadline = time.monotonic() + 15
            while "verify_otp" not in (r.command("GET", BASE_KEY + "call:" + u) or ""):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
        c.kill("a")
        docs = {u: r.command("GET", BASE_KEY + "call:" + u) for u in uuids}
        r.command("SET", BASE_KEY + "call:" + uuids[0], b"\x00\xff\xfe not a snapshot {")
        r.command("SET", BASE_KEY + "call:" + uuids[1], docs[uuids[1]][:len(docs[uuids[1]]) // 2])
        r.command("SET", BASE_KEY + "call:" + uuids[2],
                  docs[uuids[2]].replace('"version":"1.0.0"', '"version":"0.9.0"'))
        self.assertNotEqual(docs[uuids[2]], r.command("GET", BASE_KEY + "call:" + uuids[2]))
        c.wait_log("b", r"call %s: taken over" % uuids[3], timeout=20)
        for u in uuids[:3]:
            c.wait_log("b", r"call %s: cannot go on \(its snapshot cannot be restored\): "
                       r"hanging up" % u, timeout=20)
        mock_log = c.finish()
        report = c.h.report
        log = c.log("b")
        self.assertRegex(log, r"snapshot redis key %scall:%s cannot be restored: not JSON"
                         % (re.escape(BASE_KEY), uuids[0]))
        self.assertRegex(log, r"snapshot redis key %scall:%s cannot be restored: not JSON"
                         % (re.escape(BASE_KEY), uuids[1]))
        self.assertRegex(log, r"snapshot redis key %scall:%s cannot be restored: the session "
                         r"cannot be restored: .*taken on another machine or version"
                         % (re.escape(BASE_KEY), uuids[2]))
        for u in uuids[:3]:
            self.assertEqual(len(re.findall(r"call %s: cannot go on" % u, log)), 1, log)
            self.assertEqual(report["calls"][u]["executes"][-1]["app"], "hangup")
            self.assertEqual(report["calls"][u]["executes"][-1]["arg"],
                             "NORMAL_TEMPORARY_FAILURE")
        self.assertIn(base.LIST_PROMPT, base.prompt_of(
            [e for e in report["calls"][uuids[3]]["executes"] if e["app"] in base.ASKS][-1]))
        self.assertEqual(r.command("KEYS", BASE_KEY + "call:*"), [])
        self.assertEqual(r.command("KEYS", BASE_KEY + "owner:*"), [])
        self.assertTrue(mock_log)


def main():
    if len(sys.argv) < 4:
        raise SystemExit("usage: test_esl_redis_sick.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH")
    base.HOST, base.MOCK_SERVER, base.FAKE = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
