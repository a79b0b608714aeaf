#!/usr/bin/env python3
"""The cache lines one event touches, by block (docs/performance.md, "The method").

usage: bench_lines.py BUILD/tests/bench_lines [dtmf|speech]

Runs the program under valgrind's lackey (--trace-mem=yes), keeps the data
loads and stores between its two stores to bench_lines_marker, and counts
the distinct 64-byte lines: those of the session's block (each with the
fields read or written there), of its ctx's block, of the stack, and the
rest (the machine's data, the library's and the C library's). Valgrind's
allocator honours posix_memalign, so the lines are those of a native run.
"""
import os
import subprocess
import sys
import tempfile

LINE = 64


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    prog = sys.argv[1]
    kind = sys.argv[2] if len(sys.argv) > 2 else "dtmf"
    env = dict(os.environ)
    env.setdefault("IVRSM_SOURCE_ROOT",
                   os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.NamedTemporaryFile("r", suffix=".lackey") as log:
        out = subprocess.run(
            ["valgrind", "--tool=lackey", "--trace-mem=yes", "--log-file=" + log.name, prog,
             kind], env=env, check=True, capture_output=True, text=True).stdout
        trace = log.read().splitlines()
    blocks, fields = {}, []
    for line in out.splitlines():
        w = line.split()
        if w[0] == "field":
            fields.append((w[1], int(w[2]), int(w[3])))
        elif w[0] in ("session", "ctx", "ids"):
            blocks[w[0]] = (int(w[1], 16), int(w[2]))
        elif w[0] in ("stack", "marker"):
            blocks[w[0]] = (int(w[1], 16), 0)
    marker = blocks["marker"][0]
    inside, touched = False, {}
    for t in trace:
        if len(t) < 3 or t[0] == "I" or t[1] not in "LSM":
            continue
        op = t[1]
        addr_s, size_s = t[3:].split(",")
        addr, size = int(addr_s, 16), int(size_s)
        if op == "S" and addr == marker:
            if inside:
                break
            inside = True
            continue
        if not inside:
            continue
        for a in range(addr, addr + max(size, 1)):
            touched.setdefault(a // LINE, set()).add(a)

    def block_of(line):
        for name in ("session", "ctx", "ids"):
            start, size = blocks[name]
            if start // LINE <= line <= (start + size - 1) // LINE:
                return name
        if abs(line * LINE - blocks["stack"][0]) < 64 * 1024:
            return "stack"
        return "rest"

    by_block = {}
    for line in touched:
        by_block.setdefault(block_of(line), []).append(line)
    start, size = blocks["session"]
    print(f"{kind}: lines touched by one event, by block")
    for name in ("session", "ctx", "ids", "stack", "rest"):
        lines = sorted(by_block.get(name, []))
        extra = ""
        if name == "session":
            extra = f" of its {(start + size - 1) // LINE - start // LINE + 1}" \
                    f" ({size} bytes from line offset {start % LINE})"
        print(f"  {name:8} {len(lines):3}{extra}")
    for line in sorted(by_block.get("session", [])):
        lo = line * LINE - start
        hit = sorted(a - start for a in touched[line])
        names = []
        for name, off, fsize in fields:
            if any(off <= h < off + fsize for h in hit):
                names.append(name)
        print(f"  session bytes {lo:5}-{lo + LINE - 1:5}: {', '.join(names) or '?'}")


if __name__ == "__main__":
    main()
