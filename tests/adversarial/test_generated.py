"""Random valid machines (gen_machine.py) through the CLI and the library.

    test_generated.py IVRSM DRIVE_MACHINE [--seeds A:B] [--calls N]

For each seed: the machine is written as YAML and as JSON, and
- `ivrsm validate` accepts both without an error, with the same rules
  reported (warnings included) in both formats;
- `ivrsm convert --to json` of the YAML gives the very value the generator
  made, and `--to yaml` of that JSON loads back to it too;
- `ivrsm graph` draws it (exit 0, output);
- drive_machine runs the same random calls on the YAML, on the JSON and on
  the converted JSON (tests/adversarial/drive_machine.c checks each event),
  and the three print the same lines: the format never changes a call.
Fixed seeds, so a failure replays: `gen_machine.py SEED > m.yaml`, then
`ADV_VERBOSE=1 drive_machine m.yaml SEED CALLS`.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_machine  # noqa: E402

RULE = re.compile(r": (error|warning): .*\[([a-z-]+)\]$")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def rules(out):
    found = collections.Counter()
    for line in out.splitlines():
        m = RULE.search(line)
        if m:
            found[(m.group(1), m.group(2))] += 1
    return found


def check_seed(ivrsm, drive, seed, calls, tmp):
    problems = []
    machine = gen_machine.generate(seed)
    yml = os.path.join(tmp, "m%d.yaml" % seed)
    jsn = os.path.join(tmp, "m%d.json" % seed)
    conv = os.path.join(tmp, "m%d.conv.json" % seed)
    back = os.path.join(tmp, "m%d.back.yaml" % seed)
    with open(yml, "w", encoding="utf-8") as f:
        f.write(gen_machine.to_yaml(machine))
    with open(jsn, "w", encoding="utf-8") as f:
        f.write(gen_machine.to_json(machine))

    vy, vj = run([ivrsm, "validate", yml]), run([ivrsm, "validate", jsn])
    for v, name in ((vy, "YAML"), (vj, "JSON")):
        if v.returncode != 0 or ": error:" in v.stdout + v.stderr:
            problems.append("validate %s: exit %d\n%s" % (name, v.returncode, (v.stdout + v.stderr)[:2000]))
        if "Traceback" in v.stderr or v.returncode < 0:
            problems.append("validate %s crashed" % name)
    if rules(vy.stdout + vy.stderr) != rules(vj.stdout + vj.stderr):
        problems.append("validate reports other rules in YAML and JSON: %s / %s"
                        % (rules(vy.stdout + vy.stderr), rules(vj.stdout + vj.stderr)))

    c = run([ivrsm, "convert", yml, "--to", "json", "-o", conv])
    if c.returncode != 0:
        problems.append("convert --to json: exit %d %s" % (c.returncode, c.stderr[:500]))
    else:
        with open(conv, encoding="utf-8") as f:
            got = json.load(f)
        if got != json.loads(gen_machine.to_json(machine)):
            problems.append("convert --to json changed the machine")
        c2 = run([ivrsm, "convert", conv, "--to", "yaml", "-o", back])
        if c2.returncode != 0:
            problems.append("convert --to yaml: exit %d %s" % (c2.returncode, c2.stderr[:500]))
        else:
            c3 = run([ivrsm, "convert", back, "--to", "json"])
            if c3.returncode != 0 or json.loads(c3.stdout) != got:
                problems.append("YAML written by convert does not read back as the same machine")

    g = run([ivrsm, "graph", yml])
    if g.returncode != 0 or not g.stdout:
        problems.append("graph: exit %d %s" % (g.returncode, g.stderr[:300]))

    outs = []
    for path in (yml, jsn, conv):
        if not os.path.exists(path):
            continue
        d = run([drive, path, str(seed), str(calls)])
        if d.returncode != 0:
            problems.append("drive_machine %s: exit %d\n%s" % (os.path.basename(path), d.returncode,
                                                                 d.stderr[-3000:]))
        outs.append(d.stdout)
    if len(set(outs)) > 1:
        problems.append("the same calls differ between YAML and JSON:\n%s" % "\n---\n".join(o[:400] for o in outs))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ivrsm")
    ap.add_argument("drive")
    ap.add_argument("--seeds", default=os.environ.get("ADV_SEEDS", "1:81"))
    ap.add_argument("--calls", type=int, default=8)
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split(":"))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(lo, hi):
            problems = check_seed(a.ivrsm, a.drive, seed, a.calls, tmp)
            if problems:
                failed += 1
                print("seed %d:" % seed)
                for p in problems:
                    print("  " + p.replace("\n", "\n  "))
    print("%d machines, %d failed" % (hi - lo, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
