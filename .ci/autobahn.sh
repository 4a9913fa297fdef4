#!/usr/bin/env bash
# Runs the Autobahn TestSuite (kosoku) against `wshub --mode echo`, twice:
# as started by default, and with --deflate (permessage-deflate). Prints
# the counts per category and fails on any FAILED case, and, with
# --deflate, on any 12.* or 13.* case that is not OK or NON-STRICT.
# kosoku exits 1 whenever a case is UNIMPLEMENTED (every compression case
# is without --deflate), so the verdict comes from its report, not its
# exit code.
#
# kosoku 0.1.0 has a bug of its own in cases 12.* and 13.*: some end with
# ERROR "Strings must be encoded before hashing" before a byte is sent
# (duration 0, nothing received), different ones from run to run. Those
# cases are run once more and the second result counts; any that hit the
# bug again are listed apart, not counted as ours.
#
# Usage: .ci/autobahn.sh [BINARY] [plain|deflate|both]
# CASES="12.1.* 13.2.1" limits the run to those cases.
set -euo pipefail
bin=${1:-target/release/wshub}
which=${2:-both}
out=$(mktemp -d)

run() { # $1: name, then the server's extra flags
  local name=$1 port server
  shift
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # Cases 9.* send messages of up to 16 MiB, some in 65,536 fragments.
  "$bin" --mode echo --port "$port" --max-message 20000000 --max-queue 100000000 \
    --log-level warn "$@" >"$out/$name-server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local only=() retry=()
  for c in ${CASES:-}; do only+=(-i "$c"); done
  timeout 1800 kosoku "${only[@]}" -o "$out/$name" "ws://127.0.0.1:$port" >"$out/$name-kosoku.log" 2>&1 || true
  # Cases kosoku's own bug ended before sending anything: once more.
  for c in $(grep -o '^  [0-9.]*: behavior=ERROR, behaviorClose=FAILED — Strings must be encoded before hashing' \
    "$out/$name-kosoku.log" | cut -d: -f1); do retry+=(-i "$c"); done
  if [ ${#retry[@]} -gt 0 ]; then
    echo "kosoku's own bug ended $((${#retry[@]} / 2)) cases before they began: running them again"
    timeout 1800 kosoku "${retry[@]}" -o "$out/$name-retry" "ws://127.0.0.1:$port" \
      >"$out/$name-retry.log" 2>&1 || true
  fi
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  python3 - "$out/$name/index.json" "$name" "$out/$name-retry/index.json" <<'PY'
import collections, json, os, sys
report, name = json.load(open(sys.argv[1])), sys.argv[2]
if os.path.exists(sys.argv[3]):
    # The second result of a rerun case counts; its report file is there.
    retried = json.load(open(sys.argv[3]))
    for server, cases in retried.items():
        for case, r in cases.items():
            r["reportfile"] = "../" + os.path.basename(os.path.dirname(sys.argv[3])) + "/" + r["reportfile"]
            for results in report.values():
                results[case] = r
deflate = name == "deflate"
RUNNER_BUG = "Strings must be encoded before hashing"
order = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED", "ERROR"]
counts, by_cat, failed, runner = collections.Counter(), collections.defaultdict(collections.Counter), [], []
for cases in report.values():
    for case, r in cases.items():
        behavior = r["behavior"]
        counts[behavior] += 1
        by_cat[case.split(".")[0]][behavior] += 1
        if behavior == "ERROR" and case.split(".")[0] in ("12", "13"):
            detail = json.load(open(f"{sys.argv[1].rsplit('/', 1)[0]}/{r['reportfile']}"))
            if detail.get("result") == RUNNER_BUG and not detail.get("received"):
                runner.append(case)
                continue
        bad = "FAILED" in (behavior, r["behaviorClose"]) or behavior == "ERROR"
        if deflate and case.split(".")[0] in ("12", "13"):
            bad = bad or behavior not in ("OK", "NON-STRICT")
        if bad:
            failed.append(f'{case} ({behavior}/{r["behaviorClose"]}, close {r.get("remoteCloseCode")})')
fmt = lambda c: ", ".join(f"{k} {c[k]}" for k in order if c.get(k))
print(f"Autobahn ({name}): " + ", ".join(f"{k} {counts.get(k, 0)}" for k in order) + f" ({sum(counts.values())} cases)")
for cat in sorted(by_cat, key=int):
    print(f"  {cat}.*: {fmt(by_cat[cat])}")
if runner:
    def key(c): return [int(x) for x in c.split(".")]
    print(f"  kosoku's own bug ({RUNNER_BUG!r}, nothing sent): {len(runner)} cases: " + " ".join(sorted(runner, key=key)))
if failed or sum(counts.values()) == 0:
    print("failed cases: " + "; ".join(failed[:50]))
    sys.exit(1)
PY
}

status=0
if [ "$which" != deflate ]; then run plain || status=1; fi
# --deflate-threshold 0: every echo goes back compressed, as the cases
# expect (kosoku mishandles an uncompressed echo on a deflate connection).
if [ "$which" != plain ]; then run deflate --deflate --deflate-threshold 0 || status=1; fi
exit $status
