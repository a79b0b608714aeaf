"""Every `ivrsm` command given bad files of every kind: a clear message, the
documented exit status (1: the thing checked failed, 2: usage or I/O), never
a crash, a sanitizer report or a hang. And each whose report goes to stdout,
with stdout on a full disk: exit 2, never a lost report and a 0.

    test_cli_bad_files.py IVRSM
"""

import os
import subprocess
import sys
import tempfile
import time

GOOD = 'machine: m\nversion: "1"\nstates:\n  a: {type: prompt_end, prompt: "x"}\n'

# name -> bytes (None: made specially)
FILES = {
    "empty.yaml": b"",
    "blank.yaml": b"   \n\n\t\n",
    "bom-only.yaml": b"\xef\xbb\xbf",
    "binary.yaml": b"\xff\xfe\x00\x01\x02",
    "nul.yaml": b"machine: m\x00\n",
    "latin1.yaml": "machine: café\n".encode("latin-1"),
    "syntax.yaml": b"machine: [\n",
    "tabs.yaml": b"machine: m\n\tversion: 1\n",
    "truncated.json": b'{"machine":',
    "list-root.yaml": b"- 1\n- 2\n",
    "scalar-root.json": b"42",
    "alias-loop.yaml": b"a: &a [*a]\n",
    "billion-laughs.yaml": b"a: &a [x,x,x,x,x,x,x,x,x,x]\n" + b"".join(
        b"%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n" % ((ord("b") + i,) * 2 + (ord("a") + i,) * 10)
        for i in range(9)),
    "deep.json": b'{"machine":' + b"[" * 10000 + b"]" * 10000 + b"}",
    "huge.yaml": b"machine: " + b"a" * (5 * 1024 * 1024) + b"\n",
    "two-docs.yaml": GOOD.encode() + b"---\n" + GOOD.encode(),
    "no-states.yaml": b'machine: m\nversion: "1"\nstates: {}\n',
    "dup-keys.json": b'{"machine":"m","machine":"n","version":"1","states":{}}',
    "trace-garbage.trace": b"not a trace\n{\"kind\":\n",
    "coverage-garbage.json": b'{"x":',
    "scenario-garbage.yaml": b"steps: [\n",
    "directory.yaml": None,
    "dangling.yaml": None,
    "unreadable.yaml": None,
    "dev-zero.yaml": None,  # a link to /dev/zero: no end, no line break
    "fifo.yaml": None,  # a FIFO no program writes to: open(2) of it waited for a writer forever
}

# What the message must say of some of them (the cause, not only that reading failed).
SAYS = {
    "directory.yaml": "Is a directory",
    "fifo.yaml": "FIFO",
}
# How long a run may take before it counts as a hang: the commands answer at once, and a FIFO
# that hangs one would hang all fourteen.
RUN_TIMEOUT = 20

COMMANDS = [
    ["validate", "{f}"],
    ["validate", "--format", "json", "{f}"],
    ["graph", "{f}"],
    ["graph", "{f}", "--format", "mermaid"],
    ["convert", "{f}", "--to", "json"],
    ["convert", "{f}", "--to", "yaml"],
    ["paths", "{f}", "-o", "{tmp}/paths"],
    ["view", "{f}", "-o", "{tmp}/v.html"],
    ["view", "{good}", "--trace", "{f}", "-o", "{tmp}/v.html"],
    ["view", "{good}", "--coverage", "{f}", "-o", "{tmp}/v.html"],
    ["sim", "{f}"],
    ["test", "{f}"],
    ["replay", "{f}"],
    ["sim", "{good}", "--responses", "{f}"],
    ["paths", "{good}", "--responses", "{f}", "-o", "{tmp}/paths"],
]


RANGE = "is out of range (-9223372036854775808 to 9223372036854775807)"
CLOCK = "the clock is outside the years 1 to 9999 (UTC)"
LISTEN = ('machine: m\nversion: "1"\nlocale: en-US\nstates:\n'
          '  a:\n    type: prompt_and_listen\n    prompt: Hi.\n    fallback: {next: b}\n'
          '  b: {type: prompt_end, prompt: Bye.}\n')

# Integers past 64 bits and clocks outside the calendar, wherever a file or an option gives
# them: (files {name: text}, arguments, stdin, exit status, what the message must say).
OUT_OF_RANGE = [
    ({"m.yaml": GOOD.replace('"1"', "18446744073709551616")}, ["validate", "{m.yaml}"], "", 1,
     "the integer 18446744073709551616 " + RANGE),
    ({"m.yaml": GOOD.replace('"1"', "-9223372036854775809")}, ["validate", "{m.yaml}"], "", 1,
     "the integer -9223372036854775809 " + RANGE),
    ({"m.json": '{"machine":"m","version":9223372036854775808,"states":{}}'},
     ["validate", "{m.json}"], "", 1, "the integer 9223372036854775808 " + RANGE),
    ({"m.yaml": LISTEN, "s.yaml": "name: s\nmachine: m.yaml\nctx: {n: 99999999999999999999}\n"
      "steps:\n  - say: hi\n"}, ["test", "{s.yaml}"], "", 2,
     "the integer 99999999999999999999 " + RANGE),
    ({"m.yaml": LISTEN, "r.json": '{"x": {"status": 200, "body": {"n": 18446744073709551616}}}'},
     ["sim", "{m.yaml}", "--responses", "{r.json}"], "", 2,
     "the integer 18446744073709551616 " + RANGE),
    ({"m.yaml": LISTEN, "t.trace": '{"kind":"header","n":18446744073709551616}\n'},
     ["replay", "{t.trace}"], "", 2, "the integer 18446744073709551616 " + RANGE),
    ({"m.yaml": LISTEN}, ["sim", "{m.yaml}", "--now", "0000-06-01T00:00:00Z"], "say hi\n", 1, CLOCK),
    ({"m.yaml": LISTEN}, ["sim", "{m.yaml}", "--now", "9999-12-31T23:30:00-05:00"], "say hi\n", 1,
     CLOCK),
    ({"m.yaml": LISTEN, "s.yaml": "name: s\nmachine: m.yaml\nnow: -9223372036854775808\n"
      "steps:\n  - say: hi\n"}, ["test", "{s.yaml}"], "", 1, CLOCK),
]


def out_of_range(ivrsm, tmp):
    """Each OUT_OF_RANGE case: its exit status and its message. Returns the failures."""
    failed = 0
    for i, (files, args, stdin, status, says) in enumerate(OUT_OF_RANGE):
        where = os.path.join(tmp, "range-%d" % i)
        os.mkdir(where)
        names = {}
        for name, text in files.items():
            names[name] = os.path.join(where, name)
            with open(names[name], "w") as f:
                f.write(text)
        argv = [names[a[1:-1]] if a.startswith("{") else a for a in args]
        r = subprocess.run([ivrsm] + argv, input=stdin.encode(), capture_output=True, timeout=60)
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        if r.returncode != status or says not in out or "Sanitizer" in out:
            failed += 1
            print("ivrsm %s: exit %d (want %d), want '%s' in:\n  %s" % (
                " ".join(args), r.returncode, status, says, out[:400].replace("\n", "\n  ")))
    return failed


def through_pipes(ivrsm, tmp):
    """A machine written by another program is read whole: through a pipe (`ivrsm validate
    <(generate)` gives /dev/fd/N), and through a FIFO that a program has open for writing and
    writes slowly. Returns the failures."""
    failed = 0
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([ivrsm, "validate", "/dev/fd/%d" % read_end], pass_fds=(read_end,),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    os.close(read_end)
    time.sleep(0.2)
    os.write(write_end, GOOD.encode())
    os.close(write_end)
    out = proc.communicate(timeout=RUN_TIMEOUT)[0].decode("utf-8", "replace")
    if proc.returncode != 0:
        failed += 1
        print("ivrsm validate /dev/fd/N (a pipe): exit %d\n  %s" % (proc.returncode, out[:400]))
    fifo = os.path.join(tmp, "written.yaml")
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # a writer that is there before the reader (Linux: fifo(7))
    proc = subprocess.Popen([ivrsm, "validate", fifo], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    for i in range(0, len(GOOD), 16):
        os.write(writer, GOOD[i:i + 16].encode())
        time.sleep(0.02)
    time.sleep(0.2)
    os.close(writer)
    out = proc.communicate(timeout=RUN_TIMEOUT)[0].decode("utf-8", "replace")
    if proc.returncode != 0:
        failed += 1
        print("ivrsm validate FIFO (written slowly): exit %d\n  %s" % (proc.returncode, out[:400]))
    return failed


# Commands whose report goes to stdout, given a good machine ({good}, {listen}) or scenario.
TO_STDOUT = [
    (["validate", "{good}"], ""),
    (["validate", "--format", "json", "{good}"], ""),
    (["graph", "{good}"], ""),
    (["graph", "{good}", "--format", "mermaid"], ""),
    (["convert", "{good}", "--to", "json"], ""),
    (["convert", "{good}", "--to", "yaml"], ""),
    (["sim", "{listen}"], "hangup\n"),
    (["test", "{scenario}"], ""),
    (["view", "{good}", "-o", "/dev/stdout"], ""),
    (["--version"], ""),
    (["--help"], ""),
]


def to_a_full_disk(ivrsm, tmp):
    """Each command whose report goes to stdout, with stdout on /dev/full: the report is lost,
    which is an I/O error (exit 2, said on stderr), never the command's 0 (`validate` and `sim`
    exited 0, their report and JSON gone). Returns the failures."""
    if not os.path.exists("/dev/full"):
        return 0
    root = os.environ.get("IVRSM_SOURCE_ROOT") or os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = {
        "good": os.path.join(tmp, "good.yaml"),
        "listen": os.path.join(tmp, "listen.yaml"),
        "scenario": os.path.join(root, "examples/bank_card/scenarios/silent_caller_reprompts.yaml"),
    }
    with open(files["listen"], "w") as f:
        f.write(LISTEN)
    failed = 0
    for args, stdin in TO_STDOUT:
        argv = [a.format(**files) for a in args]
        with open("/dev/full", "w") as full:
            r = subprocess.run([ivrsm] + argv, input=stdin.encode(), stdout=full,
                               stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode != 2 or "cannot write" not in err or "Sanitizer" in err:
            failed += 1
            print("ivrsm %s > /dev/full: exit %d (want 2, 'cannot write' on stderr)\n  %s" % (
                " ".join(args), r.returncode, err[:300]))
    return failed


def main():
    ivrsm = sys.argv[1]
    failed = 0
    runs = 0
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.yaml")
        with open(good, "w") as f:
            f.write(GOOD)
        paths = {}
        for name, data in FILES.items():
            p = os.path.join(tmp, name)
            if name == "directory.yaml":
                os.mkdir(p)
            elif name == "dangling.yaml":
                os.symlink(os.path.join(tmp, "nowhere"), p)
            elif name == "dev-zero.yaml":
                os.symlink("/dev/zero", p)
            elif name == "fifo.yaml":
                os.mkfifo(p)
            elif name == "unreadable.yaml":
                with open(p, "w") as f:
                    f.write(GOOD)
                os.chmod(p, 0)
            else:
                with open(p, "wb") as f:
                    f.write(data)
            paths[name] = p
        for name, p in paths.items():
            for cmd in COMMANDS:
                args = [a.format(f=p, tmp=tmp, good=good) for a in cmd]
                try:
                    r = subprocess.run([ivrsm] + args, stdin=subprocess.DEVNULL, capture_output=True,
                                       timeout=RUN_TIMEOUT)
                except subprocess.TimeoutExpired:
                    print("HANG: ivrsm %s" % " ".join(cmd).format(f=name, tmp="T", good="good.yaml"))
                    failed += 1
                    continue
                runs += 1
                out = (r.stdout + r.stderr).decode("utf-8", "replace")
                problems = []
                if r.returncode < 0 or r.returncode >= 128:
                    problems.append("killed by signal / crashed (%d)" % r.returncode)
                if "Sanitizer" in out or "runtime error" in out:
                    problems.append("sanitizer report")
                # root can read a file without permissions: that one may succeed
                # a well-formed document that is no machine still converts
                converts = cmd[0] == "convert" and name == "no-states.yaml"
                if r.returncode == 0 and name != "unreadable.yaml" and not converts:
                    problems.append("exit 0 on a bad file")
                if r.returncode not in (0, 1, 2):
                    problems.append("exit %d (documented: 0, 1, 2)" % r.returncode)
                if r.returncode != 0 and not r.stderr.strip() and not r.stdout.strip():
                    problems.append("failed without a word")
                if r.returncode != 0 and name in FILES and "\n" in out and len(out) > 200000:
                    problems.append("a message of %d bytes" % len(out))
                takes_directories = cmd[0] == "test"  # a directory of scenarios
                if name in SAYS and not takes_directories and SAYS[name] not in out:
                    problems.append("the message does not say '%s'" % SAYS[name])
                if problems:
                    failed += 1
                    print("ivrsm %s: %s\n  %s" % (" ".join(cmd).format(f=name, tmp="T", good="good.yaml"),
                                                "; ".join(problems), out[:400].replace("\n", "\n  ")))
        failed += out_of_range(ivrsm, tmp)
        runs += len(OUT_OF_RANGE)
        failed += through_pipes(ivrsm, tmp)
        runs += 2
        failed += to_a_full_disk(ivrsm, tmp)
        runs += len(TO_STDOUT)
    print("%d runs, %d failed" % (runs, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
