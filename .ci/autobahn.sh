#!/usr/bin/env bash
# Runs the Autobahn TestSuite (kosoku) against `wshub --mode echo`, prints
# the summary and fails on any FAILED case. kosoku exits 1 whenever a case
# is UNIMPLEMENTED (every compression case is), so the verdict comes from
# its report, not its exit code.
set -euo pipefail
bin=${1:-target/release/wshub}
out=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Cases 9.* send messages of up to 16 MiB, some in 65,536 fragments.
"$bin" --mode echo --port "$port" --max-message 20000000 --max-queue 100000000 \
  --log-level warn >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
timeout 600 kosoku -o "$out/reports" "ws://127.0.0.1:$port" >"$out/kosoku.log" 2>&1 || true
python3 - "$out/reports/index.json" <<'PY'
import collections, json, sys
report = json.load(open(sys.argv[1]))
counts, failed = collections.Counter(), []
for cases in report.values():
    for case, result in cases.items():
        counts[result["behavior"]] += 1
        if "FAILED" in (result["behavior"], result["behaviorClose"]):
            failed.append(f'{case} ({result["behavior"]}/{result["behaviorClose"]}, close {result.get("remoteCloseCode")})')
order = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
print("Autobahn: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in order) + f" ({sum(counts.values())} cases)")
if failed or sum(counts.values()) == 0:
    print("failed cases: " + "; ".join(failed[:50]))
    sys.exit(1)
PY
