#!/usr/bin/env python3
"""Instructions per unit of bench_runtime's figures, counted by callgrind.

Wall-clock figures move with the machine's load; instruction counts do not,
so changes to the runtime are compared with these. Each figure runs alone in
bench_runtime --quick under valgrind --tool=callgrind, counting only inside
its measure_* loop, and the count is divided by the units the loop ran.

usage: bench_instructions.py BENCH_RUNTIME [FIGURE...]   (dtmf speech speech-en call list)
Prints "SKIP" and exits 0 when valgrind is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

LOOPS = {
    "dtmf": ("measure_hops", "event"),
    "speech": ("measure_hops", "event"),
    "speech-en": ("measure_hops", "event"),
    "call": ("measure_calls", "call"),
    "list": ("measure_list", "event"),
}


def instructions(bench, figure):
    loop, unit = LOOPS[figure]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             f"--toggle-collect={loop}", bench, "--quick", figure],
            capture_output=True, text=True, check=True)
        units = int(re.search(r"\[units (\d+)\]", run.stdout).group(1))
        allocs = re.search(r"([\d.]+) allocations", run.stdout)
        with open(out, encoding="utf-8") as f:
            total = next(int(line.split()[1]) for line in f
                         if line.startswith(("summary:", "totals:")))
    return total / units, unit, allocs.group(1) if allocs else "?"


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not shutil.which("valgrind"):
        print("SKIP: valgrind is not installed")
        return 0
    bench = sys.argv[1]
    figures = sys.argv[2:] or list(LOOPS)
    unknown = [f for f in figures if f not in LOOPS]
    if unknown:
        print(f"bench_instructions.py: no instruction count for {', '.join(unknown)} "
              f"(figures: {' '.join(LOOPS)}; memory and scale are not counted in "
              "instructions)", file=sys.stderr)
        return 2
    print("instructions per unit (callgrind, bench_runtime --quick)")
    for figure in figures:
        ir, unit, allocs = instructions(bench, figure)
        print(f"  {figure:<8} {ir:12,.0f} instructions per {unit:<6} {allocs:>6} allocations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
