#!/usr/bin/env python3
"""libivrsm beside XState v5 on the same work, figure by figure.

Runs tests/bench_runtime, tests/bench_load and bench/xstate/run.sh in turns
(ROUNDS rounds, each program printing medians of its own runs), takes the
median of each figure over the rounds and prints one table with the ratio
XState / libivrsm (above 1: libivrsm is ahead). Turns rather than one program
after the other, so that a change of the machine's load falls on both sides.
The load average is printed before and after: wall-clock figures are only
comparable on a quiet machine. Nothing is asserted about time.

usage: bench_compare.py BENCH_RUNTIME BENCH_LOAD IVRSM XSTATE_RUN_SH [ROUNDS]
Prints "SKIP" and exits 77 when Node is missing (as bench/xstate/run.sh).
"""
import os
import re
import statistics
import subprocess
import sys

# figure: (label, unit, libivrsm pattern, XState pattern). XState's load builds
# the machine from an already parsed JSON object; libivrsm's warm load parses
# the JSON text too, and its cold load is the first load of a process, of the
# YAML text.
FIGURES = [
    ("call", "whole call (12 inputs, 9 HTTP answers)", "us",
     r"^call\s+([\d.]+) us", r"^call\s+([\d.]+) us"),
    ("list", "list-menu cycle (4 events, 2 HTTP answers)", "ns/event",
     r"^list\s+([\d.]+) ns", r"^list\s+([\d.]+) ns"),
    ("dtmf", "DTMF hop", "ns", r"^dtmf\s+([\d.]+) ns", r"^dtmf\s+([\d.]+) ns"),
    ("speech", "speech hop", "ns", r"^speech\s+([\d.]+) ns", r"^speech\s+([\d.]+) ns"),
    ("memory", "heap per session parked in the list menu after login", "B",
     r"^memory\s+([\d.]+) B", r"^memory\s+([\d.]+) B"),
    ("warm", "load, warm", "ms",
     r"load JSON\s+\(parse, compile, check errors\):\s+([\d.]+) us",
     r"^load\s+([\d.]+) ms warm"),
    ("cold", "load, cold (first of the process)", "ms",
     r"load YAML, cold \(the process's first load\):\s+([\d.]+) us",
     r"ms warm, ([\d.]+) ms cold"),
]
US_TO_MS = {"warm", "cold"}  # bench_load prints microseconds


def load_average():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def run(cmd, env):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"{cmd[0]} exited with {out.returncode}")
    return out.stdout


def pick(text, pattern):
    m = re.search(pattern, text, re.MULTILINE)
    return float(m.group(1)) if m else None


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    bench_runtime, bench_load, ivrsm, xstate = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env.setdefault("IVRSM_SOURCE_ROOT", root)

    print(f"load average before: {load_average()}", flush=True)
    ours = {k[0]: [] for k in FIGURES}
    theirs = {k[0]: [] for k in FIGURES}
    header = ""
    for _ in range(rounds):
        c = run([bench_runtime, "dtmf", "speech", "call", "list", "memory"], env)
        c += run([bench_load, "100"], env)
        x = subprocess.run(["bash", xstate, ivrsm], capture_output=True, text=True, env=env)
        if x.returncode == 77:
            print(x.stdout.strip())
            return 77
        if x.returncode != 0:
            sys.stderr.write(x.stdout + x.stderr)
            return 1
        header = x.stdout.splitlines()[0]
        for key, _, _, mine, other in FIGURES:
            a, b = pick(c, mine), pick(x.stdout, other)
            if a is None or b is None:
                raise SystemExit(f"figure {key} missing from the output")
            ours[key].append(a / 1000 if key in US_TO_MS else a)
            theirs[key].append(b)
    print(f"load average after:  {load_average()}")
    print(f"{header}; libivrsm on the same call; medians of {rounds} rounds")
    print(f"| {'figure':<56} | {'XState':>10} | {'libivrsm':>10} | {'ratio':>6} |")
    print(f"|{'-' * 58}|{'-' * 12}|{'-' * 12}|{'-' * 8}|")
    for key, label, unit, _, _ in FIGURES:
        a, b = statistics.median(ours[key]), statistics.median(theirs[key])
        digits = 0 if unit == "B" else 2 if unit in ("us", "ms") else 1
        print(f"| {label + ' (' + unit + ')':<56} | {b:>10,.{digits}f} | {a:>10,.{digits}f} "
              f"| {b / a:>5.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
