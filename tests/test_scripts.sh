#!/usr/bin/env bash
# scripts/deps.sh: the parallelism of scripts/test and scripts/demo (JOBS,
# else the machine's cores), the steps they announce, a failed configuration
# shown, and a build of one target (scripts/demo builds the tool only).
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
# A target of its own: only that is built, and the step says what. (One
# object file of the library, found in the configured build, keeps it quick.)
meson setup "$tmp/t" "$1" -Dtests=false >/dev/null 2>&1 || fail "meson setup of $tmp/t"
object=$(ninja -C "$tmp/t" -t targets all | sed -n 's/^\([^:]*arena\.c\.o\): .*/\1/p' | head -n 1)
[ -n "$object" ] || fail "no object file for arena.c among the build's targets"
(cd "$1" && ivrsm_build "$tmp/t" 2 "" "$object" "one object" >"$tmp/out" 2>&1) ||
    fail "building one target: $(cat "$tmp/out")"
grep -q "== Building one object in $tmp/t (2 at a time)" "$tmp/out" || fail "no build step: $(cat "$tmp/out")"
[ -f "$tmp/t/$object" ] || fail "the target $object was not built"
[ -z "$(find "$tmp/t" -type f \( -name '*.so*' -o -name ivrsm \))" ] || fail "more than the target was built"
echo "ok"
