#!/usr/bin/env bash
# The XState side of the runtime benchmark (meson test --benchmark xstate):
# the seed machine's YAML converted to JSON by `ivrsm convert`, xstate
# installed from package-lock.json when node_modules is missing, then
# bench.js. Skipped (77) without Node.
#
#   bench/xstate/run.sh IVRSM [MACHINE.yaml]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ivrsm=$(realpath "$1")
yaml=$(realpath "${2:-$here/../../examples/synergia_rdv/machine.yaml}")
cd "$here"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node and npm are needed for the XState benchmark"
    exit 77
fi
if [ ! -d node_modules/xstate ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
fi
json=$(mktemp --suffix=.json)
trap 'rm -f "$json"' EXIT
"$ivrsm" convert "$yaml" --to json -o "$json"
node --expose-gc bench.js "$json"
