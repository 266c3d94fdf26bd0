#!/usr/bin/env bash
# bench/cpu-ab.sh <app|browser|bearer|stateful> <reps> <label=tree>...: builds each tree's Release server (once per label, into /tmp/ab/<label>),
# starts all of them on their own seeded SQLite, then runs 6 s of wrk against each in turn, <reps> rounds,
# and prints the server's CPU time per request (utime+stime / requests): min and median per label.
#
# Why CPU time and not req/s: on a shared machine req/s of one build swings by half between runs, while the
# CPU a request costs moves far less, and running the builds in turn, round after round, exposes both to the
# same noise. Use it to compare a change on the session check with the commit before it, e.g.
#   git worktree add /tmp/before HEAD~1 && bench/cpu-ab.sh app 5 before=/tmp/before after=.
# Needs the .NET SDK, wrk and python3. REBUILD=0 reuses the builds in /tmp/ab/<label>. WARM=<seconds> of load
# first on each server (default 40): until then the JIT is still tiering the hot path, and its CPU is counted.
# CONNECTIONS=<n> wrk connections (default 32). With 2+ cores the servers run on cores 1.. and wrk on core 0 (taskset).
# app|browser: GET auth/session with a seeded session (scenarios 2 and 3). bearer|stateful: GET /api/v1/users/me with
# Bearer access tokens of 64 logged-in users, JWT strategy, stateless or stateful validation (scenarios 9 and 10).
set -euo pipefail
KIND=$1 REPS=$2; shift 2
case $KIND in
  app|browser) EXTRA=(); SCRIPT=session_$KIND.lua ;;
  bearer|stateful)
    EXTRA=(--Gatehouse:Tokens:Strategy=Jwt --Gatehouse:Tokens:AccessTokenLifetime=01:00:00 --Gatehouse:Passwords:Iterations=1000
           --Gatehouse:Tokens:StatefulValidation=$([[ $KIND == stateful ]] && echo true || echo false))
    SCRIPT=bearer.lua ;;
  *) echo "cpu-ab.sh: unknown kind $KIND (app, browser, bearer or stateful)" >&2; exit 2 ;;
esac
HZ=$(getconf CLK_TCK)
# As bench/run.sh places them: with 2+ cores, the servers on the other cores and wrk on core 0.
if (( $(nproc) >= 2 )); then SERVER_PIN=(taskset -c "1-$(( $(nproc) - 1 ))"); LOAD_PIN=(taskset -c 0); else SERVER_PIN=(); LOAD_PIN=(); fi
CONNECTIONS=${CONNECTIONS:-32}
declare -A PIDS URLS
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
i=0
for spec in "$@"; do
  label=${spec%%=*}; tree=${spec#*=}; OUT=/tmp/ab/$label; mkdir -p "$OUT"; ART=$OUT/art
  if [[ ${REBUILD:-1} == 1 || ! -f $ART/bin/Gatehouse.Server/release/Gatehouse.Server.dll ]]; then
    for p in src/Gatehouse.Server/Gatehouse.Server.csproj bench/Tools/Tools.csproj; do
      dotnet build "$tree/$p" -c Release --artifacts-path "$ART" -v quiet -nologo -p:SkipWebBuild=true >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
    done
  fi
  SRV=$ART/bin/Gatehouse.Server/release/Gatehouse.Server.dll; TOOLS=$ART/bin/Tools/release/Tools.dll
  DB=$OUT/g.db; rm -f "$DB"*
  COMMON=(--Gatehouse:SecretKey="$(head -c 32 /dev/urandom | base64)" --Gatehouse:FrontendUrls:BaseUrl=https://app.bench.test --Gatehouse:Email:Delivery=Smtp --Gatehouse:Email:Smtp:Host=127.0.0.1 --Gatehouse:Email:Smtp:Port=9 --Gatehouse:Database:Provider=Sqlite "--Gatehouse:Database:ConnectionString=Data Source=$DB" --Gatehouse:RateLimits:Enabled=false)
  (cd "$(dirname "$SRV")" && ASPNETCORE_ENVIRONMENT=Production dotnet "$SRV" migrate "${COMMON[@]}") >"$OUT/migrate.log" 2>&1
  dotnet "$TOOLS" seed-sqlite "$DB" 10000 100000 "$(dotnet "$TOOLS" hash x 1000)" >/dev/null
  PORT=$((18500 + i)); i=$((i+1))
  (cd "$(dirname "$SRV")" && exec env ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=0 "${SERVER_PIN[@]}" dotnet "$SRV" --urls http://127.0.0.1:$PORT "${COMMON[@]}" "${EXTRA[@]}") >"$OUT/server.log" 2>&1 &
  PIDS[$label]=$!
  for _ in $(seq 150); do curl -fs http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
  if [[ $SCRIPT == bearer.lua ]]; then
    # The seeded users' password is "x" (above); each login's access token is used in turn by bearer.lua.
    python3 - "http://127.0.0.1:$PORT/_allauth/app/v1/auth/login" "$OUT/tokens.txt" <<'PY'
import json, sys, urllib.request
url, out = sys.argv[1], sys.argv[2]
tokens = []
for i in range(64):
    request = urllib.request.Request(url, json.dumps({"email": f"user{i + 1}@bench.test", "password": "x"}).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        tokens.append(json.load(response)["meta"]["access_token"])
open(out, "w").write("\n".join(tokens) + "\n")
PY
    URLS[$label]=http://127.0.0.1:$PORT/api/v1/users/me
  else
    URLS[$label]=http://127.0.0.1:$PORT/_allauth/$KIND/v1/auth/session
  fi
  SCRIPTS=$tree/bench/lua
done
export BENCH_LUA=$SCRIPTS BENCH_N=100000
for label in "${!URLS[@]}"; do BENCH_TOKENS=/tmp/ab/$label/tokens.txt "${LOAD_PIN[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARM:-40}s" -s "$BENCH_LUA/$SCRIPT" "${URLS[$label]}" >/dev/null 2>&1; done
: >/tmp/ab/results.txt
for r in $(seq "$REPS"); do
  for label in "${!URLS[@]}"; do
    pid=${PIDS[$label]}
    t0=$(awk '{print $14+$15}' /proc/$pid/stat)
    BENCH_TOKENS=/tmp/ab/$label/tokens.txt "${LOAD_PIN[@]}" wrk -t1 -c"$CONNECTIONS" -d6s -s "$BENCH_LUA/$SCRIPT" "${URLS[$label]}" >/tmp/ab/wrk.txt 2>&1
    grep -q "Non-2xx" /tmp/ab/wrk.txt && { echo "cpu-ab.sh: $label answered non-2xx responses:" >&2; cat /tmp/ab/wrk.txt >&2; exit 1; }
    t1=$(awk '{print $14+$15}' /proc/$pid/stat)
    n=$(awk '/requests in/{print $1}' /tmp/ab/wrk.txt)
    echo "$label $(python3 -c "print(f'{($t1-$t0)/$HZ*1e6/$n:.1f}')") $(awk '/Requests\/sec/{print $2}' /tmp/ab/wrk.txt)" | tee -a /tmp/ab/results.txt
  done
done
python3 - <<'PY'
import statistics, collections
d=collections.defaultdict(list); r=collections.defaultdict(list)
for line in open('/tmp/ab/results.txt'):
    l,c,q=line.split(); d[l].append(float(c)); r[l].append(float(q))
for l in d: print(f"{l}: CPU us/request min {min(d[l]):.1f} median {statistics.median(d[l]):.1f}; req/s median {statistics.median(r[l]):.0f}")
PY
