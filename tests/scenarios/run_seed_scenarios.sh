#!/usr/bin/env bash
# Run the seed IVR's scenario suite (examples/synergia_rdv/scenarios/)
# against its mock backend; SCENARIO_DIR (relative to the source root) runs
# another example's suite on the same backend (examples/synergia_rdv_en/scenarios),
# and MOCK_BACKEND (the server.py of another mock, relative to the source root,
# started with --host, --port 0 and --quiet) on its own (examples/bank_card).
#
# usage: run_seed_scenarios.sh IVRSM [ivrsm test options...]
#
# Starts the mock backend on a free port of 127.0.0.1 with a fixed "today"
# (the scenarios' dates and `now:` assume it), runs
# `ivrsm test --backend URL --coverage --snapshots` on every scenario (extra
# options such as --verbose are passed on), stops the mock whatever happens
# and exits with ivrsm test's status: 0 all passed, 1 a scenario failed,
# 2 a scenario or the machine does not load. 99 when the mock cannot start.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 IVRSM [ivrsm test options...]" >&2
    exit 2
fi

# The scenarios are written for this day (a Wednesday): keep it in step
# with their `now:` keys.
readonly TODAY=2026-11-25
readonly START_TIMEOUT_TENTHS=100

root=$(cd "$(dirname "$0")/../.." && pwd)
ivrsm=$1
shift
case $ivrsm in
    /*) ;;
    *) ivrsm=$PWD/$ivrsm ;;
esac
if [ ! -x "$ivrsm" ]; then
    echo "$0: '$ivrsm' is not an executable ivrsm" >&2
    exit 2
fi

scenario_dir=$root/${SCENARIO_DIR:-examples/synergia_rdv/scenarios}
shopt -s nullglob
scenarios=("$scenario_dir"/*.yaml)
if [ ${#scenarios[@]} -eq 0 ]; then
    echo "$0: no scenario in $scenario_dir" >&2
    exit 2
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/seed-scenarios.XXXXXX") || exit 99
mock_pid=
: >"$workdir/mock.out"

stop_mock() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
        mock_pid=
    fi
    rm -rf "$workdir"
}
trap stop_mock EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${MOCK_BACKEND:-}" ]; then
    mock=("$root/$MOCK_BACKEND")
else
    mock=("$root/examples/synergia_rdv/mock_backend/server.py" --today "$TODAY")
fi
"${PYTHON:-python3}" "${mock[@]}" --host 127.0.0.1 --port 0 --quiet \
    >"$workdir/mock.out" 2>"$workdir/mock.err" &
mock_pid=$!

# The mock's first stdout line is "listening on http://127.0.0.1:PORT".
url=
for ((i = 0; i < START_TIMEOUT_TENTHS; i++)); do
    if read -r line <"$workdir/mock.out" && [ -n "$line" ]; then
        url=${line#listening on }
        break
    fi
    if ! kill -0 "$mock_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "$0: the mock backend did not start:" >&2
    cat "$workdir/mock.err" >&2
    exit 99
fi

# Run from the scenario directory so that reports name the files shortly.
cd "$scenario_dir" || exit 99
"$ivrsm" test --backend "$url" --coverage --snapshots "$@" "${scenarios[@]##*/}"
