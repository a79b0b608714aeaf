#!/usr/bin/env python3
"""Benchmark of the ESL host: many concurrent calls through the fake FreeSWITCH.

    bench_esl_host.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH [--calls N] [--backend-ms MS]

N calls (1,000 by default) park within two seconds and each logs in on the
seed machine (menu key, phone number, one-time code, consent, channel, the
list of appointments) with a caller who thinks 0.8 s before each answer, so
they all run at once; the seed's mock backend answers every request after
MS milliseconds (50 by default). The host runs with --metrics; at the end
the benchmark prints calls per second, the host's CPU per call, its peak
RSS, the peak of live calls and the host's own delay from an answer
received to the next application sent (the metrics' summary, exact over
the last 65,536 answers). Figures are printed, never asserted: the run
fails only when calls do not reach the list of appointments.
"""

import argparse
import json
import os
import pathlib
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = pathlib.Path(os.environ.get("IVRSM_SOURCE_ROOT", HERE.parent.parent)).resolve()
SEED = ROOT / "examples" / "synergia_rdv" / "machine.yaml"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def first_line(process, what, timeout=20):
    sel = selectors.DefaultSelector()
    sel.register(process.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        raise SystemExit("%s did not start" % what)
    return process.stdout.readline().strip()


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid, encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def script(calls):
    """N callers logging in, each with its own phone number (the mock's callers end in 8:
    three upcoming appointments)."""
    out = []
    for i in range(calls):
        phone = "06%07d8" % i
        think = 800
        out.append({"uuid": "be0c5a10-0000-4000-8000-%012d" % i,
                    "start_after_ms": int(2000 * i / calls),
                    "inputs": [{"keys": "1", "after_ms": think},
                               {"keys": phone + "#", "after_ms": think, "gap_ms": 20},
                               {"keys": "123456#", "after_ms": think, "gap_ms": 20},
                               {"keys": "1", "after_ms": think},
                               {"keys": "1", "after_ms": think}]})
    return {"split": {"mode": "none"}, "time_scale": 1.0, "calls": out}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host")
    parser.add_argument("mock")
    parser.add_argument("fake")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--backend-ms", type=int, default=50)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="esl-bench-"))
    processes = []
    try:
        # The backend and the fake switch run at a lower priority: the host is what
        # is measured, and on a small machine they would otherwise take its CPU
        # in the middle of an event.
        nice = ["nice", "-n", "10"]
        mock = subprocess.Popen(
            nice + [sys.executable, args.mock, "--port", "0", "--quiet", "--today", "2025-03-10",
             "--fail", "*=slow:%d" % args.backend_ms],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        processes.append(mock)
        backend = first_line(mock, "the mock backend").replace("listening on ", "")
        (work / "script.json").write_text(json.dumps(script(args.calls)), encoding="utf-8")
        fake = subprocess.Popen(
            nice + [sys.executable, args.fake, "--script", str(work / "script.json"),
             "--report", str(work / "report.json")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        processes.append(fake)
        esl = first_line(fake, "the fake FreeSWITCH").replace("listening on ", "")
        log = open(work / "host.log", "w", encoding="utf-8")
        host = subprocess.Popen(
            [args.host, "--machine", str(SEED), "--backend", backend, "--esl", esl,
             "--metrics", "127.0.0.1:0", "--log-level", "info"],
            stdout=subprocess.DEVNULL, stderr=log)
        processes.append(host)
        url = None
        deadline = time.monotonic() + 20
        while url is None and time.monotonic() < deadline:
            time.sleep(0.05)
            m = re.search(r"metrics on (http://\S+/metrics)",
                          (work / "host.log").read_text(encoding="utf-8"))
            url = m.group(1) if m else None
        if url is None:
            raise SystemExit("the host did not say where its metrics are")
        cpu0 = cpu_seconds(host.pid)
        started = time.monotonic()
        sel = selectors.DefaultSelector()
        sel.register(fake.stdout, selectors.EVENT_READ)
        peak = 0
        done = False
        while not done and time.monotonic() - started < 300:
            if sel.select(1.0):
                line = fake.stdout.readline()
                done = not line or line.strip() == "all calls done"
            peak = max(peak, int(scrape(url).get("ivrsm_esl_calls_active", 0)))
        elapsed = time.monotonic() - started
        if not done:
            raise SystemExit("the calls did not end in 300 s")
        metrics = scrape(url)
        cpu = cpu_seconds(host.pid) - cpu0
        rss = peak_rss_mb(host.pid)
        host.send_signal(signal.SIGINT)
        host.wait(timeout=30)
        fake.send_signal(signal.SIGTERM)
        fake.wait(timeout=30)
        report = json.loads((work / "report.json").read_text(encoding="utf-8"))
        reached = sum(1 for c in report["calls"].values()
                      if any("rendez-vous à venir" in e.get("heard", "") for e in c["executes"]))
        n = args.calls
        print("esl-host benchmark: %d calls (%d live at the peak), backend answering in %d ms"
              % (n, peak, args.backend_ms))
        print("  calls per second        : %.1f (all calls in %.1f s, 2 s of arrivals, "
              "~5 s per call)" % (n / elapsed, elapsed))
        print("  host CPU per call       : %.3f ms (user + system, %.2f s in all)"
              % (cpu * 1000.0 / n, cpu))
        print("  host RSS (peak)         : %.1f MB" % rss)
        print("  answer -> application   : p50 %.3f ms, p99 %.3f ms, max %.3f ms (%d answers)"
              % (metrics['ivrsm_esl_answer_delay_seconds{quantile="0.5"}'] * 1000,
                 metrics['ivrsm_esl_answer_delay_seconds{quantile="0.99"}'] * 1000,
                 metrics['ivrsm_esl_answer_delay_seconds{quantile="1"}'] * 1000,
                 metrics["ivrsm_esl_answer_delay_seconds_count"]))
        held = metrics["ivrsm_esl_commands_held_total"]
        print("  held for earlier replies: %d commands, %.3f ms on average, %.3f ms at most"
              % (held, metrics["ivrsm_esl_command_hold_seconds_total"] * 1000 / max(held, 1),
                 metrics["ivrsm_esl_command_hold_max_seconds"] * 1000))
        print("  backend requests        : %d (2xx %d)"
              % (metrics["ivrsm_esl_http_request_duration_seconds_count"],
                 metrics['ivrsm_esl_http_requests_total{class="2xx"}']))
        print("  calls that reached the list of appointments: %d/%d" % (reached, n))
        if reached != n:
            print((work / "host.log").read_text(encoding="utf-8")[-4000:])
            return 1
        return 0
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
