#!/usr/bin/env bash
# The libcurl adapter against the seed's mock backend (Python, threaded),
# 50 requests in flight: prints requests per second. Usage: bench_http_mock.sh BENCH_HTTP
set -euo pipefail
bench=$1
root=${IVRSM_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
out=$(mktemp)
python3 "$root/examples/synergia_rdv/mock_backend/server.py" --port 0 --quiet >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$out" && break
    sleep 0.05
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$out" | head -n 1)
echo "mock backend at $url"
IVRSM_BENCH_URL=$url IVRSM_BENCH_PATH=/_mock/health "$bench" 5000 | sed 's/^http /mock backend: /'
