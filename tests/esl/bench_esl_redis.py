#!/usr/bin/env python3
"""Benchmark of the ESL host's Redis store, with a local redis-server.

    bench_esl_redis.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH [--calls N] [--takeover-calls M]

1. N calls (200 by default) log in on the seed machine through one host,
   three times: without a store, with Redis after every event, and with
   Redis write-behind (100 ms). For each: the host's delay from an answer
   to the next application (its metrics' summary), the host's CPU per
   event, Redis requests per call, snapshot bytes written per call, and the
   bytes a call holds in Redis (its document, measured mid-call with STRLEN
   and MEMORY USAGE).
2. M calls (100 by default) held at a question on host a; host b runs
   beside it; a is killed (-9): the time from the kill to the first and to
   the last of its calls resumed by b.

Figures are printed, never asserted; the run fails only when calls do not
get through.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_esl_host as base  # noqa: E402
import test_esl_redis as rt  # noqa: E402
from bench_esl_host import cpu_seconds  # noqa: E402


class Cleanups:
    """What the test harness expects of a unittest.TestCase."""

    def __init__(self):
        self.fns = []

    def addCleanup(self, fn, *args):
        self.fns.append((fn, args))

    def assertEqual(self, a, b, msg=None):
        if a != b:
            raise SystemExit(msg or "%r != %r" % (a, b))

    def run(self):
        for fn, args in reversed(self.fns):
            try:
                fn(*args)
            except Exception as err:  # a cleanup that fails must not hide the figures
                print("cleanup: %s" % err, file=sys.stderr)


def login_script(n, hold=False):
    calls = []
    for i in range(n):
        inputs = [{"digits": "1", "after_ms": 20}, {"digits": "06%07d8" % i, "after_ms": 20}]
        if hold:
            inputs.append({"hold": True})
        inputs += [{"digits": base.OTP, "after_ms": 20}, {"digits": "1", "after_ms": 20},
                   {"digits": "1", "after_ms": 20}]
        calls.append({"uuid": "be0c5a10-0000-4000-9000-%012d" % i,
                      "start_after_ms": int(1000 * i / n), "inputs": inputs})
    return {"connections": 1, "time_scale": 0.05, "calls": calls}


def run_mode(name, n, store_args):
    env = Cleanups()
    try:
        c = rt.Cluster(env, login_script(n), host_args=store_args or []).start()
        if store_args is None:
            start_plain(c)
        else:
            c.start_host("a")
        pid = c.hosts["a"][0].pid
        sizes, memory = [], []
        deadline = time.monotonic() + 120
        done = False
        while time.monotonic() < deadline:
            if store_args is not None and not sizes:
                keys = c.redis.client().command("KEYS", "ivrsm:*:call:*")
                if len(keys) >= max(1, n // 4):
                    r = c.redis.client()
                    sizes = [r.command("STRLEN", k) for k in keys]
                    memory = [r.command("MEMORY", "USAGE", k) for k in keys[:50]]
            if len(re.findall(r": ended \(", c.log("a"))) >= n:
                done = True
                break
            time.sleep(0.05)
        if not done:
            raise SystemExit("%s: the calls did not end in time" % name)
        samples = base.scrape(c.metrics["a"])
        cpu = cpu_seconds(pid)
        events = samples["ivrsm_esl_events_fed_total"]
        out = {
            "p50": samples['ivrsm_esl_answer_delay_seconds{quantile="0.5"}'] * 1000,
            "p99": samples['ivrsm_esl_answer_delay_seconds{quantile="0.99"}'] * 1000,
            "cpu_per_event_us": cpu / events * 1e6 if events else 0,
            "events_per_call": events / n,
            "requests_per_call": samples.get("ivrsm_esl_store_requests_total", 0) / n,
            "bytes_per_call": samples.get("ivrsm_esl_store_bytes_written_total", 0) / n,
            "doc_bytes": (sum(sizes) / len(sizes), max(sizes)) if sizes else None,
            "memory": sum(memory) / len(memory) if memory else None,
            "puts": samples.get('ivrsm_esl_store_puts_total{result="ok"}', 0) / n,
        }
        return out
    finally:
        env.run()


def start_plain(c):
    """The host without a store (the baseline)."""
    log = open(c.h.path / "host-a.log", "a", encoding="utf-8")
    args = [base.HOST, "--machine", str(base.SEED), "--backend", c.h.backend_url, "--esl", c.h.esl,
            "--log-level", "info", "--metrics", "127.0.0.1:0"]
    c.hosts["a"] = (subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log), log)
    c.wait_log("a", r"esl: ready on")
    c.metrics["a"] = re.search(r"metrics on (http://\S+/metrics)", c.log("a")).group(1)


def takeover(m):
    env = Cleanups()
    try:
        c = rt.Cluster(env, login_script(m, hold=True)).start()
        c.start_host("a")
        c.wait_log("a", r"ask in ivr.auth.verify_otp", timeout=60, count=m)
        c.start_host("b")
        time.sleep(0.5)
        killed = c.kill("a")
        first = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = len(re.findall(r": resumed in ivr.auth.verify_otp", c.log("b")))
            if n and first is None:
                first = time.monotonic() - killed
            if n >= m:
                return first, time.monotonic() - killed
            time.sleep(0.005)
        raise SystemExit("takeover: %d of %d calls resumed" % (n, m))
    finally:
        env.run()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("mock")
    parser.add_argument("fake")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--takeover-calls", type=int, default=100)
    args = parser.parse_args()
    base.HOST, base.MOCK_SERVER, base.FAKE = args.host, args.mock, args.fake
    if not shutil.which("redis-server"):
        print("esl-redis benchmark: redis-server is not installed; nothing measured")
        return
    lease = rt.LEASE_MS
    modes = [("no store", None), ("Redis, every event", []),
             ("Redis, write-behind 100 ms", ["--store-write-behind", "100"])]
    print("esl-redis benchmark: %d calls through one host, local redis-server (lease %d ms)"
          % (args.calls, lease))
    results = {}
    for name, store_args in modes:
        results[name] = r = run_mode(name, args.calls, store_args)
        line = "  %-27s: answer -> application p50 %.3f ms, p99 %.3f ms; host CPU %.0f us/event" % (
            name, r["p50"], r["p99"], r["cpu_per_event_us"])
        print(line)
        if store_args is not None:
            print("  %-27s  Redis requests %.1f per call (%.1f events, %.1f snapshots stored); "
                  "%.0f bytes written per call" % ("", r["requests_per_call"], r["events_per_call"],
                                                   r["puts"], r["bytes_per_call"]))
            if r["doc_bytes"]:
                print("  %-27s  a call in Redis: document %.0f bytes (max %d), %.0f bytes of "
                      "Redis memory" % ("", r["doc_bytes"][0], r["doc_bytes"][1], r["memory"]))
    base_p50 = results["no store"]["p50"]
    for name, _ in modes[1:]:
        print("  added delay per answer (%s): p50 %+.3f ms, CPU %+.0f us/event" % (
            name, results[name]["p50"] - base_p50,
            results[name]["cpu_per_event_us"] - results["no store"]["cpu_per_event_us"]))
    first, last = takeover(args.takeover_calls)
    print("  takeover: host killed with %d calls; the other resumed the first in %.2f s, all in "
          "%.2f s (lease %d ms)" % (args.takeover_calls, first, last, lease))


if __name__ == "__main__":
    main()
