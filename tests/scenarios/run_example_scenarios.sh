#!/usr/bin/env bash
# Run an example's scenario suite whose backend answers are in the scenarios
# themselves (`responses:`), so no backend runs: examples/pharmacy_refill,
# examples/utility_outage. Then generate the scenarios that take every
# transition from the example's responses.json (`ivrsm paths`) and run them:
# every transition must be taken and every generated call must pass, so the
# canned answers stay in step with the machine.
#
# usage: run_example_scenarios.sh IVRSM EXAMPLE_DIR
# Exits 0 when all pass, 1 when a scenario fails or a transition is left,
# 2 when a scenario or the machine does not load.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 IVRSM EXAMPLE_DIR" >&2
    exit 2
fi
ivrsm=$1
example=$2
case $ivrsm in
    /*) ;;
    *) ivrsm=$PWD/$ivrsm ;;
esac
workdir=$(mktemp -d "${TMPDIR:-/tmp}/example-scenarios.XXXXXX") || exit 2
trap 'rm -rf "$workdir"' EXIT

# Run from the scenario directory so that reports name the files shortly.
cd "$example/scenarios" || exit 2
"$ivrsm" test --coverage --snapshots ./*.yaml || exit $?

cd .. || exit 2
"$ivrsm" paths machine.yaml --responses responses.json -o "$workdir/paths" || exit $?
if [ -e "$workdir/paths/unreachable.txt" ]; then
    echo "$0: transitions no generated call takes:" >&2
    cat "$workdir/paths/unreachable.txt" >&2
    exit 1
fi
"$ivrsm" test "$workdir"/paths/*.yaml >"$workdir/paths.out" 2>&1 || {
    cat "$workdir/paths.out"
    exit 1
}
tail -n 1 "$workdir/paths.out"
