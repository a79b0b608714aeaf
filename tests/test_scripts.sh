#!/usr/bin/env bash
# scripts/deps.sh: the parallelism of scripts/test and scripts/demo (JOBS,
# else the machine's cores) and the steps they announce.
# usage: test_scripts.sh SOURCE_DIR
set -euo pipefail
. "$1/scripts/deps.sh"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

[ "$(JOBS=3 ivrsm_jobs)" = 3 ] || fail "JOBS=3 gave '$(JOBS=3 ivrsm_jobs)'"
cores=$(nproc)
[ "$(unset JOBS; ivrsm_jobs)" = "$cores" ] || fail "without JOBS: '$(unset JOBS; ivrsm_jobs)', expected $cores"
[ "$(JOBS= ivrsm_jobs)" = "$cores" ] || fail "an empty JOBS is not the cores"
for bad in 0 -1 x 2x " 2"; do
    if out=$(JOBS=$bad ivrsm_jobs 2>&1); then
        fail "JOBS='$bad' was accepted: $out"
    fi
    grep -q "JOBS must be a positive number" <<<"$out" || fail "JOBS='$bad': $out"
done

# Steps go to stderr, so that they show even when stdout is redirected.
[ -z "$(ivrsm_step "Building" 2>/dev/null)" ] || fail "ivrsm_step wrote to stdout"
[ "$(ivrsm_step "Building" 2>&1)" = "== Building" ] || fail "ivrsm_step: $(ivrsm_step Building 2>&1)"

# A failed configuration shows meson's own report.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if out=$(cd "$1" && ivrsm_build "$tmp/b" 1 "-Dno_such_option=1" 2>&1); then
    fail "a bad meson option configured"
fi
grep -q "Configuring the build in $tmp/b" <<<"$out" || fail "no configure step: $out"
grep -q 'Unknown options: "no_such_option"' <<<"$out" || fail "meson's error not shown: $out"
# A target of its own: only that is built, and the step says what.
(cd "$1" && ivrsm_build "$tmp/t" 1 "-Dtests=false" examples/hello "the hello example" >"$tmp/out" 2>&1) ||
    fail "building one target: $(cat "$tmp/out")"
grep -q "== Building the hello example in $tmp/t (1 at a time)" "$tmp/out" || fail "no build step: $(cat "$tmp/out")"
[ -x "$tmp/t/examples/hello" ] || fail "the target was not built"
[ ! -e "$tmp/t/tools/ivrsm/ivrsm" ] || fail "more than the target was built"
echo "ok"
