#!/usr/bin/env bash
# Gatehouse benchmark (issue 4): bench/run.sh [--smoke] [--duration SECONDS] [--reps N] [--connections N]
#                                             [--only 1,2,...] [--no-build] [--results DIR]
#
# Builds Release (src/Gatehouse.Server, bench/Bare, bench/Tools) into bench/.tmp/artifacts, starts
# everything it needs on 127.0.0.1 (the bare ceiling app, Gatehouse on SQLite in a temp dir, a private
# PostgreSQL like test.sh's, an SMTP catcher), seeds data, drives load with wrk and writes
#   bench/results/<UTC date>-<short commit>.md    the table (medians, spread, ratios to the ceiling, targets)
#   bench/results/<UTC date>-<short commit>.json  every repetition's raw numbers and the machine stamp
#   bench/results/raw/...                          wrk's own output (git-ignored)
# Scenarios (issue 4): 1 ceiling (1b: the framework's floor for a protected endpoint), 2 app session check, 3 browser session check, 4 browser config,
# 5 login vs the hashing limit, 6 login storm beside the session check, 7 session check on PostgreSQL
# with 1 user/1 session and with 1M users/10M sessions, 8 signup with mail and the outbox drain,
# (issue 10) 9 a protected host endpoint (GET /api/v1/users/me) with a Bearer JWT, stateless, 10 the same
# with stateful validation, 11 POST tokens/refresh (each refresh token single-use, rotated).
#
# Placement: with 2+ cores, wrk runs on core 0 and everything measured (Gatehouse or the ceiling app,
# PostgreSQL, the SMTP catcher, the hash timer) on the other cores, via taskset. With 1 core nothing is
# pinned and the report says so.
#
# --smoke: every scenario for ~2 s with tiny data (1 rep): a check that the bench still runs (./test.sh runs it).
#   It fails (exit 1) when a scenario recorded no request or answered anything but its expected response.
# --results DIR: write the report there instead of bench/results (./test.sh's smoke run keeps it out of the tree).
# Needs: the .NET 10 SDK, wrk, python3, sqlite3, and for scenario 7 PostgreSQL (installed with apt-get
# when missing and running as root, like test.sh). Runs one scenario after another; do not run two
# benchmarks (or the tests) at once if you want quiet numbers.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
BENCH="$ROOT/bench"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export BENCH_LUA="$BENCH/lua"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- options
DURATION=10 REPS=3 CONNECTIONS=64 ONLY="1,2,3,4,5,6,7,8,9,10,11" BUILD=1 SMOKE=0 RESULTS=""
SQLITE_USERS=10000 SQLITE_SESSIONS=100000      # per client kind (app and browser)
PG_USERS=1000000 PG_SESSIONS=10000000
STORM_CONNECTIONS=16 OUTBOX_BACKLOG=500   # LOGIN_ and SIGNUP_CONNECTIONS: see placement
JWT_USERS=1000 JWT_TOKENS=256   # scenarios 9-11: users with a cheap hash, token pairs logged in for the runs
# Warm-up: the server's JIT tiers its hot paths up (tier-0, instrumented, then PGO-optimised tier-1) over the
# first tens of seconds under load; measured before that, a 3-s warm-up saw a third of the steady Bearer rate
# (3.1k vs 9.9k req/s, profile: 8% of CPU still in libclrjit). A rate that stops rising is not enough (the
# stateful Bearer check sat at ~6k req/s for 20 s, then ran at 25k). So the warm-up runs 4-s windows of load
# until the runtime's tiering thread (".NET Tiered Com") used no CPU for a whole window and the rate did not
# rise by more than 3% in it, at least WARMUP s, at most WARMUP_MAX s; the report gives the seconds per scenario.
WARMUP=20 WARMUP_MAX=90
while [[ $# -gt 0 ]]; do
  case $1 in
    --smoke) SMOKE=1; shift ;;
    --duration) DURATION=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --pg-users) PG_USERS=$2; shift 2 ;;
    --pg-sessions) PG_SESSIONS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --results) mkdir -p "$2"; RESULTS=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'; exit 0 ;;
    *) die "unknown argument $1 (try --help)" ;;
  esac
done
if [[ $SMOKE -eq 1 ]]; then
  DURATION=2 REPS=1 WARMUP=1 WARMUP_MAX=2 SQLITE_USERS=100 SQLITE_SESSIONS=1000 PG_USERS=1000 PG_SESSIONS=10000 OUTBOX_BACKLOG=50 JWT_USERS=100 JWT_TOKENS=80
fi
want() { [[ ",$ONLY," == *",$1,"* ]]; }
PASSWORD='Tr0ub4dor&3-horse'
export BENCH_PASSWORD="$PASSWORD"
ITERATIONS=1000000   # Gatehouse:Passwords:Iterations default (Django's); the servers run with the default

for tool in dotnet wrk python3 sqlite3 taskset; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed (Debian: apt-get install wrk sqlite3 util-linux python3)"
done

# ---------------------------------------------------------------- placement
CORES=$(nproc)
if (( CORES >= 2 )); then
  LOAD_CPUS=0
  SERVER_CPUS="1-$((CORES - 1))"
  SERVER_CORES=$((CORES - 1))
  PLACEMENT="wrk on core 0; the server under test, PostgreSQL, the SMTP catcher and the hash timer on cores $SERVER_CPUS (taskset)"
  on_server() { taskset -c "$SERVER_CPUS" "$@"; }
  # For a process started with &: a simple command (not the function), so $! is the process itself and stop_pid
  # reaches it (a backgrounded function is a subshell whose kill left its child running, e.g. the SMTP catcher).
  SERVER_PIN=(taskset -c "$SERVER_CPUS")
  on_load() { taskset -c "$LOAD_CPUS" "$@"; }
else
  SERVER_CORES=1
  PLACEMENT="1 core: not pinned; wrk and the server share it"
  on_server() { "$@"; }
  SERVER_PIN=()
  on_load() { "$@"; }
fi
# Logins and signups measure the hashing limit, so they keep every hashing thread busy and no more: two
# connections per thread (one hashing, one waiting). More would only queue, and the server answers a hash
# that would wait longer than Gatehouse:Passwords:MaxQueueWait (2 s) with 503 by design: 4 connections
# against the one hashing thread of a 2-core machine waited 4 x 0.6 s and got a 503 in the smoke run.
# Overload is scenario 6's business (the storm), with the production bound.
HASH_THREADS=$(( SERVER_CORES > 1 ? SERVER_CORES - 1 : 1 ))   # PasswordOptions.MaxConcurrentHashes = 0
LOGIN_CONNECTIONS=$(( 2 * HASH_THREADS )) SIGNUP_CONNECTIONS=$(( 2 * HASH_THREADS ))

# ---------------------------------------------------------------- processes we start, and cleanup
TMP=$(mktemp -d /tmp/gatehouse-bench-XXXXXXXX)
PIDS=()
PG_PID=""
stop_postgres() {
  [[ -n $PG_PID ]] || return 0
  local signal tries
  for signal in INT QUIT; do
    kill -s "$signal" "$PG_PID" 2>/dev/null || break
    for tries in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break 2; sleep 0.2; done
  done
  kill -s KILL "$PG_PID" 2>/dev/null || true
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=""
}

cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_postgres
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_pid() {
  local pid=$1 tries
  kill "$pid" 2>/dev/null || return 0
  for tries in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
  return 1
}
free_port() {
  local port
  for port in $(seq "$1" $(( $1 + 200 ))); do port_in_use "$port" || { echo "$port"; return 0; }; done
  die "no free port from $1"
}
wait_http() { # url pid
  local tries
  for tries in $(seq 300); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- build
ART="$BENCH/.tmp/artifacts"
if [[ $BUILD -eq 1 ]]; then
  for project in src/Gatehouse.Server/Gatehouse.Server.csproj bench/Bare/Bare.csproj bench/Tools/Tools.csproj; do
    say "building $project (Release)"
    dotnet build "$project" -c Release --artifacts-path "$ART" -v quiet -nologo >"$TMP/build.log" 2>&1 ||
      { cat "$TMP/build.log" >&2; die "build of $project failed"; }
  done
fi
SERVER_DLL="$ART/bin/Gatehouse.Server/release/Gatehouse.Server.dll"
BARE_DLL="$ART/bin/Bare/release/Bare.dll"
TOOLS_DLL="$ART/bin/Tools/release/Tools.dll"
for dll in "$SERVER_DLL" "$BARE_DLL" "$TOOLS_DLL"; do [[ -f $dll ]] || die "missing $dll (run without --no-build)"; done

# ---------------------------------------------------------------- stamp
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src 2>/dev/null | grep -q . && echo true || echo false)
STAMP_DATE=$(date -u +%Y-%m-%d)
RESULTS=${RESULTS:-$BENCH/results}
mkdir -p "$RESULTS/raw"
NAME="$STAMP_DATE-$COMMIT"
[[ $SMOKE -eq 1 ]] && NAME="$NAME-smoke"
RAW="$RESULTS/raw/$NAME"
rm -rf "$RAW"; mkdir -p "$RAW"
RECORDS="$RAW/records.jsonl"; : >"$RECORDS"
WARMUPS="$RAW/warmups.jsonl"; : >"$WARMUPS"
META="$RAW/meta.json"

PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)" 2>/dev/null || true)
busy_testhosts() { pgrep -f '[t]esthost' 2>/dev/null | wc -l; }
python3 - "$META" <<EOF
import json, os, platform, subprocess, sys
def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip() or subprocess.run(cmd, shell=True, capture_output=True, text=True).stderr.strip()
    except Exception: return ""
json.dump({
  "commit": "$COMMIT", "src_dirty": $( [[ $DIRTY == true ]] && echo True || echo False ),
  "date_utc": sh("date -u +%Y-%m-%dT%H:%M:%SZ"), "smoke": bool($SMOKE),
  "cores": $CORES, "cpu": sh("lscpu | sed -n 's/^Model name: *//p'"),
  "memory_gb": round(int(open('/proc/meminfo').read().split()[1]) / 1048576, 1),
  "kernel": platform.release(), "os": sh(". /etc/os-release; echo \$PRETTY_NAME"),
  "dotnet": sh("dotnet --version"), "wrk": sh("wrk -v 2>&1 | head -n 1"),
  "postgres": sh("'$PG_BIN/postgres' --version") if "$PG_BIN" else "not installed",
  "placement": "$PLACEMENT", "server_cores": $SERVER_CORES,
  "duration_s": $DURATION, "reps": $REPS, "connections": $CONNECTIONS,
  "login_connections": $LOGIN_CONNECTIONS, "storm_connections": $STORM_CONNECTIONS,
  "signup_connections": $SIGNUP_CONNECTIONS, "hash_iterations": $ITERATIONS,
  "sqlite_users": $SQLITE_USERS, "sqlite_sessions_per_client": $SQLITE_SESSIONS, "jwt_tokens": $JWT_TOKENS,
  "pg_users": $PG_USERS, "pg_sessions": $PG_SESSIONS,
  "load_at_start": open('/proc/loadavg').read().split()[:3],
  "testhosts_at_start": int(sh("pgrep -f '[t]esthost' | wc -l") or 0),
}, open(sys.argv[1], "w"), indent=1)
EOF
say "results will go to $RESULTS/$NAME.{md,json}; $PLACEMENT"
[[ $(busy_testhosts) -gt 0 ]] && say "note: $(busy_testhosts) testhost process(es) running (someone's dotnet test): numbers will be noisy"

# ---------------------------------------------------------------- measuring
RSS_PID=""
rss_start() { # server-pid file: samples VmRSS every 0.2 s, keeps the peak (kB)
  local pid=$1 out=$2
  echo 0 >"$out"
  ( max=0
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      (( ${v:-0} > max )) && { max=$v; echo "$max" >"$out"; }
      sleep 0.2
    done ) &
  RSS_PID=$!
}
rss_stop() { [[ -n $RSS_PID ]] && { kill "$RSS_PID" 2>/dev/null || true; wait "$RSS_PID" 2>/dev/null || true; RSS_PID=""; }; }
hwm_kb() { awk '/^VmHWM:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The resident pages of the SQLite database files the server maps (kB): SessionLookup's connections map the file
# (PRAGMA mmap_size), one mapping each, and VmRSS counts a page once per mapping although it is one page of the
# OS's page cache. Read once at the end of a repetition (smaps is costly to walk), to subtract from the peak.
db_mapped_kb() { awk '/^[0-9a-f]+-[0-9a-f]+ /{db = ($NF ~ /\.db$/)} db && /^Rss:/{kb += $2} END{print kb + 0}' "/proc/$1/smaps" 2>/dev/null || echo 0; }

# wrk_run <label> <script> <url> <connections> <seconds> [timeout]: prints wrk's WRKJSON object
wrk_run() {
  local label=$1 script=$2 url=$3 conns=$4 secs=$5 timeout=${6:-10}
  on_load wrk -t1 -c"$conns" -d"${secs}s" --timeout "${timeout}s" --latency -s "$BENCH/lua/$script" "$url" \
    >"$RAW/$label.txt" 2>&1 || { cat "$RAW/$label.txt" >&2; die "wrk failed ($label)"; }
  grep '^WRKJSON ' "$RAW/$label.txt" | tail -n 1 | cut -d' ' -f2-
}

# record <scenario> <rep> <wrk-json> <server-pid> <rss-file> [extra json fields]
record() {
  local extra=${6:-}
  echo "{\"scenario\":\"$1\",\"rep\":$2,\"wrk\":$3,\"rss_peak_kb\":$(cat "$5"),\"hwm_kb\":$(hwm_kb "$4"),\"db_mapped_kb\":$(db_mapped_kb "$4"),\"testhosts\":$(busy_testhosts),\"load1\":$(cut -d' ' -f1 /proc/loadavg)${extra:+,$extra}}" >>"$RECORDS"
}

# tiering_ticks <pid>: CPU ticks (utime+stime) of the .NET runtime's background tiering thread so far.
tiering_ticks() {
  local total=0 task
  for task in /proc/"$1"/task/*; do
    [[ $(cat "$task/comm" 2>/dev/null) == ".NET Tiered Com"* ]] || continue
    total=$(( total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}

# warm_up <scenario> <server-pid> <script> <url> <connections> <timeout>: 4-s windows until the JIT is done (see WARMUP).
warm_up() {
  local scenario=$1 pid=$2 script=$3 url=$4 conns=$5 timeout=$6 elapsed=0 window=4 best=0 rps before jit rising settled=0
  (( WARMUP_MAX < window )) && window=$WARMUP_MAX
  while (( elapsed < WARMUP_MAX )); do
    before=$(tiering_ticks "$pid")
    rps=$(wrk_run "$scenario-warmup-$elapsed" "$script" "$url" "$conns" "$window" "$timeout" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rps"])')
    jit=$(( $(tiering_ticks "$pid") - before ))
    elapsed=$(( elapsed + window ))
    if python3 -c "import sys; sys.exit(0 if $rps > $best * 1.03 else 1)"; then best=$rps; rising=1; else rising=0; fi
    if (( jit == 0 && rising == 0 && elapsed >= WARMUP )); then settled=1; break; fi
  done
  echo "{\"scenario\":\"$scenario\",\"warmup_s\":$elapsed,\"warmup_best_rps\":$best,\"settled\":$( (( settled )) && echo true || echo false)}" >>"$WARMUPS"
  say "scenario $scenario: warm-up ${elapsed}s ($( (( settled )) && echo "tiering done" || echo "NOT settled by WARMUP_MAX"), best window $best req/s)"
}

# measure <scenario> <server-pid> <script> <url> <connections> [timeout] [settle]: warm-up, then REPS runs
measure() {
  local scenario=$1 pid=$2 script=$3 url=$4 conns=$5 timeout=${6:-10} settle=${7:-0} rep json
  say "scenario $scenario: warm-up until the rate settles (${WARMUP}-${WARMUP_MAX}s), then $REPS x ${DURATION}s ($script, $conns connections)"
  warm_up "$scenario" "$pid" "$script" "$url" "$conns" "$timeout"
  sleep "$settle"
  for rep in $(seq "$REPS"); do
    rss_start "$pid" "$TMP/rss"
    json=$(wrk_run "$scenario-$rep" "$script" "$url" "$conns" "$DURATION" "$timeout")
    rss_stop
    record "$scenario" "$rep" "$json" "$pid" "$TMP/rss"
    sleep "$settle"
  done
}

# ---------------------------------------------------------------- servers
SECRET=$(head -c 32 /dev/urandom | base64)
GH_PORT=$(free_port 18100)
GH_URL="http://127.0.0.1:$GH_PORT"
GH_PID=""
# Production refuses console mail; scenarios without mail point SMTP at a closed port (scenario 8
# passes its catcher's port after these, and the last value of a key wins).
NO_MAIL=(--Gatehouse:Email:Delivery=Smtp --Gatehouse:Email:Smtp:Host=127.0.0.1 --Gatehouse:Email:Smtp:Port=9)
start_gatehouse() { # extra --key=value settings...
  local log="$RAW/gatehouse-$(date +%s%N).log"
  ( cd "$(dirname "$SERVER_DLL")" &&
    exec env ASPNETCORE_ENVIRONMENT=Production taskset -c "${SERVER_CPUS:-0}" dotnet "$SERVER_DLL" \
      --urls "$GH_URL" --Gatehouse:SecretKey="$SECRET" --Gatehouse:FrontendUrls:BaseUrl=https://app.bench.test \
      --Gatehouse:RateLimits:Enabled=false "${NO_MAIL[@]}" "$@" ) >"$log" 2>&1 &
  GH_PID=$!
  PIDS+=("$GH_PID")
  wait_http "$GH_URL/healthz" "$GH_PID" || { tail -n 30 "$log" >&2; die "Gatehouse did not start"; }
  [[ $CORES -ge 2 ]] || true
}
migrate() { # settings...
  ( cd "$(dirname "$SERVER_DLL")" &&
    ASPNETCORE_ENVIRONMENT=Production dotnet "$SERVER_DLL" migrate --Gatehouse:SecretKey="$SECRET" \
      --Gatehouse:FrontendUrls:BaseUrl=https://app.bench.test "${NO_MAIL[@]}" "$@" ) >"$TMP/migrate.log" 2>&1 ||
    { cat "$TMP/migrate.log" >&2; die "migrate failed"; }
}
[[ $CORES -ge 2 ]] || SERVER_CPUS="0"

BASE_APP="$GH_URL/_allauth/app/v1"
BASE_BROWSER="$GH_URL/_allauth/browser/v1"

# ---------------------------------------------------------------- hashing limit
say "timing one password hash (DjangoPasswordHasher.Verify, $ITERATIONS iterations) on cores ${SERVER_CPUS}"
HASH_JSON=$(on_server dotnet "$TOOLS_DLL" hash-time "$ITERATIONS" $(( SMOKE ? 1 : 5 )))
echo "{\"scenario\":\"hash\",\"rep\":1,\"hash\":$HASH_JSON,\"server_cores\":$SERVER_CORES}" >>"$RECORDS"
PASSWORD_HASH=$(dotnet "$TOOLS_DLL" hash "$PASSWORD" "$ITERATIONS")

# ---------------------------------------------------------------- 1: ceiling
if want 1; then
  BARE_PORT=$(free_port 18300)
  ( exec env ASPNETCORE_ENVIRONMENT=Production taskset -c "$SERVER_CPUS" dotnet "$BARE_DLL" --urls "http://127.0.0.1:$BARE_PORT" ) \
    >"$RAW/bare.log" 2>&1 &
  BARE_PID=$!; PIDS+=("$BARE_PID")
  wait_http "http://127.0.0.1:$BARE_PORT/healthz" "$BARE_PID" || die "the ceiling app did not start"
  measure 1-ceiling "$BARE_PID" plain.lua "http://127.0.0.1:$BARE_PORT/json" "$CONNECTIONS"
  stop_pid "$BARE_PID"
  # 1b, the framework's floor for a protected endpoint (bench/Bare/Program.cs): the reference for scenario 9.
  ( exec env ASPNETCORE_ENVIRONMENT=Production taskset -c "$SERVER_CPUS" dotnet "$BARE_DLL" --urls "http://127.0.0.1:$BARE_PORT" --Bare:Floor=true ) \
    >"$RAW/bare-floor.log" 2>&1 &
  BARE_PID=$!; PIDS+=("$BARE_PID")
  wait_http "http://127.0.0.1:$BARE_PORT/healthz" "$BARE_PID" || die "the floor app did not start"
  seq -f "floor-token-%g" 64 >"$TMP/floor-tokens.txt"
  BENCH_TOKENS="$TMP/floor-tokens.txt" measure 1b-floor "$BARE_PID" bearer.lua "http://127.0.0.1:$BARE_PORT/users/me" "$CONNECTIONS"
  stop_pid "$BARE_PID"
fi

# ---------------------------------------------------------------- 2-6: Gatehouse on SQLite
if want 2 || want 3 || want 4 || want 5 || want 6 || want 8; then
  DB="$TMP/gatehouse.db"
  SQLITE=(--Gatehouse:Database:Provider=Sqlite "--Gatehouse:Database:ConnectionString=Data Source=$DB")
  migrate "${SQLITE[@]}"
  say "seeding SQLite: $SQLITE_USERS users, $SQLITE_SESSIONS app + $SQLITE_SESSIONS browser sessions"
  SEED_JSON=$(dotnet "$TOOLS_DLL" seed-sqlite "$DB" "$SQLITE_USERS" "$SQLITE_SESSIONS" "$PASSWORD_HASH")
  echo "{\"scenario\":\"seed-sqlite\",\"rep\":1,\"seed\":$SEED_JSON}" >>"$RECORDS"

  if want 2 || want 3 || want 4 || want 5 || want 6; then
    start_gatehouse "${SQLITE[@]}"
    curl -fs -H "X-Session-Token: $(printf 'app%029d' 1)" "$BASE_APP/auth/session" | grep -q '"is_authenticated":true' ||
      die "a seeded app token is not accepted (check bench/Tools seed-sqlite against the schema)"
    export BENCH_N=$SQLITE_SESSIONS
    want 2 && measure 2-session-app "$GH_PID" session_app.lua "$BASE_APP/auth/session" "$CONNECTIONS"
    want 3 && measure 3-session-browser "$GH_PID" session_browser.lua "$BASE_BROWSER/auth/session" "$CONNECTIONS"
    want 4 && measure 4-config-browser "$GH_PID" plain.lua "$BASE_BROWSER/config" "$CONNECTIONS"
    export BENCH_N=$SQLITE_USERS
    # Queued hashes of a finished wrk run still finish on the server: let them drain between runs.
    SETTLE=$(( SMOKE ? 1 : 3 ))
    want 5 && measure 5-login "$GH_PID" login.lua "$BASE_APP/auth/login" "$LOGIN_CONNECTIONS" 30 "$SETTLE"
    if want 6; then
      say "scenario 6: $REPS x (login storm of $STORM_CONNECTIONS connections + session check ${DURATION}s)"
      STORM_SETTLE=$(( SMOKE ? 2 : 10 ))
      for rep in $(seq "$REPS"); do
        export BENCH_N=$SQLITE_USERS
        wrk_run "6-storm-logins-$rep" login.lua "$BASE_APP/auth/login" "$STORM_CONNECTIONS" $(( DURATION + 4 )) 60 >"$TMP/storm.json" &
        STORM_PID=$!
        sleep 2   # let the hashing queue fill
        export BENCH_N=$SQLITE_SESSIONS
        rss_start "$GH_PID" "$TMP/rss"
        json=$(wrk_run "6-storm-session-$rep" session_app.lua "$BASE_APP/auth/session" "$CONNECTIONS" "$DURATION")
        rss_stop
        wait "$STORM_PID" || die "the storm's wrk failed"
        record 6-storm-session "$rep" "$json" "$GH_PID" "$TMP/rss" "\"storm\":$(cat "$TMP/storm.json")"
        sleep "$STORM_SETTLE"
      done
    fi
    grep -c . "$RAW"/gatehouse-*.log >/dev/null 2>&1 || true
    stop_pid "$GH_PID"
  fi

  # ---------------------------------------------------------------- 8: signup with mail
  if want 8; then
    SMTP_PORT=$(free_port 18500)
    MAIL_LOG="$TMP/mail.log"; : >"$MAIL_LOG"
    "${SERVER_PIN[@]}" dotnet "$TOOLS_DLL" smtp "$SMTP_PORT" "$MAIL_LOG" >"$RAW/smtp.log" 2>&1 &
    SMTP_PID=$!; PIDS+=("$SMTP_PID")
    for _ in $(seq 100); do port_in_use "$SMTP_PORT" && break; sleep 0.1; done
    start_gatehouse "${SQLITE[@]}" --Gatehouse:Email:Delivery=Smtp --Gatehouse:Email:Smtp:Host=127.0.0.1 \
      --Gatehouse:Email:Smtp:Port="$SMTP_PORT"
    outbox_total() { sqlite3 -cmd ".timeout 5000" "$DB" "SELECT count(*) FROM outbox_messages"; }
    outbox_sent() { sqlite3 -cmd ".timeout 5000" "$DB" "SELECT count(*) FROM outbox_messages WHERE sent_at IS NOT NULL"; }
    mails() { wc -l <"$MAIL_LOG"; }
    wait_mails() { # count timeout-seconds: waits until the catcher has that many mails
      local deadline=$(( $(date +%s) + $2 ))
      while (( $(mails) < $1 )) && (( $(date +%s) < deadline )); do sleep 0.1; done
    }
    measure 8-signup "$GH_PID" signup.lua "$BASE_APP/auth/signup" "$SIGNUP_CONNECTIONS" 30 1
    END_MS=$(date +%s%3N)
    TOTAL=$(outbox_total)
    wait_mails "$TOTAL" 60
    LAST_MS=$(tail -n 1 "$MAIL_LOG" 2>/dev/null || echo "$END_MS")
    LAG_S=$(python3 -c "print(max(0, ($LAST_MS - $END_MS) / 1000))")
    # The drain rate proper: a backlog queued at once (rows as the flows write them), timed first to last mail.
    say "scenario 8: outbox backlog of $OUTBOX_BACKLOG mails"
    BEFORE=$(mails)
    # Bodies are stored sealed under the server's secret key and bound to their recipient, as the flows
    # write them: one sealed body, so every backlog mail goes to one address.
    SEALED=$(dotnet "$TOOLS_DLL" seal "$SECRET" backlog@bench.test "Hello from the benchmark backlog")
    sqlite3 -cmd ".timeout 5000" "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $OUTBOX_BACKLOG)
      INSERT INTO outbox_messages (to_address, subject, text_body, html_body, created_at, next_attempt_at, attempts)
      SELECT 'backlog@bench.test', 'Backlog ' || i, '$SEALED', NULL, '2025-01-01 00:00:00', '2000-01-01 00:00:00', 0 FROM n"
    QUEUED_MS=$(date +%s%3N)
    wait_mails $(( BEFORE + OUTBOX_BACKLOG )) 300
    DELIVERED=$(( $(mails) - BEFORE ))
    python3 - "$MAIL_LOG" "$BEFORE" "$QUEUED_MS" "$TOTAL" "$LAG_S" "$DELIVERED" "$OUTBOX_BACKLOG" >>"$RECORDS" <<'EOF'
import json, sys
log, before, queued, total, lag, delivered, backlog = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
stamps = [int(x) for x in open(log).read().split()][before:]
span = (stamps[-1] - stamps[0]) / 1000 if len(stamps) > 1 else 0
print(json.dumps({"scenario": "8-outbox", "rep": 1, "outbox": {
  "signup_mails": total, "signup_mails_lag_after_load_s": lag,
  "backlog": backlog, "backlog_delivered": delivered,
  "backlog_first_mail_after_s": (stamps[0] - queued) / 1000 if stamps else None,
  "backlog_span_s": span, "drain_per_s": round((len(stamps) - 1) / span, 1) if span > 0 else None}}))
EOF
    stop_pid "$GH_PID"
    stop_pid "$SMTP_PID"
  fi
fi

# ---------------------------------------------------------------- 9-11: JWT strategy (SQLite)
if want 9 || want 10 || want 11; then
  JWT_DB="$TMP/jwt.db"
  JWT_SQLITE=(--Gatehouse:Database:Provider=Sqlite "--Gatehouse:Database:ConnectionString=Data Source=$JWT_DB")
  # An hour of access-token lifetime so the tokens logged in before a run outlive it at any --duration.
  # The users' hashes have 1,000 iterations, and a login rehashes a weaker hash at the configured count: keep
  # it at 1,000 here so the logins before each run cost milliseconds, not a second each.
  JWT_SETTINGS=(--Gatehouse:Tokens:Strategy=Jwt --Gatehouse:Tokens:AccessTokenLifetime=01:00:00 --Gatehouse:Passwords:Iterations=1000)
  migrate "${JWT_SQLITE[@]}"
  # These users log in before each run: a 1,000-iteration hash keeps that to seconds (what is measured is the
  # token check and the refresh, never a hash).
  dotnet "$TOOLS_DLL" seed-sqlite "$JWT_DB" "$JWT_USERS" 1 "$(dotnet "$TOOLS_DLL" hash "$PASSWORD" 1000)" >/dev/null
  # login_tokens <field> <file>: logs in JWT_TOKENS users over the app API and writes meta.<field> one per line.
  login_tokens() {
    python3 - "$BASE_APP/auth/login" "$JWT_TOKENS" "$JWT_USERS" "$PASSWORD" "$1" "$2" <<'EOF'
import json, sys, urllib.request
url, count, users, password, field, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
tokens = []
for i in range(count):
    body = json.dumps({"email": f"user{i % users + 1}@bench.test", "password": password}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        tokens.append(json.load(response)["meta"][field])
open(out, "w").write("\n".join(tokens) + "\n")
EOF
  }
  export BENCH_TOKENS="$TMP/tokens.txt"
  if want 9; then
    start_gatehouse "${JWT_SQLITE[@]}" "${JWT_SETTINGS[@]}" --Gatehouse:Tokens:StatefulValidation=false
    login_tokens access_token "$BENCH_TOKENS"
    curl -fs -H "Authorization: Bearer $(head -n 1 "$BENCH_TOKENS")" "$GH_URL/api/v1/users/me" | grep -q '"id"' ||
      die "a Bearer token is not accepted by GET /api/v1/users/me"
    measure 9-bearer-stateless "$GH_PID" bearer.lua "$GH_URL/api/v1/users/me" "$CONNECTIONS"
    stop_pid "$GH_PID"
  fi
  if want 10; then
    start_gatehouse "${JWT_SQLITE[@]}" "${JWT_SETTINGS[@]}" --Gatehouse:Tokens:StatefulValidation=true
    login_tokens access_token "$BENCH_TOKENS"
    measure 10-bearer-stateful "$GH_PID" bearer.lua "$GH_URL/api/v1/users/me" "$CONNECTIONS"
    stop_pid "$GH_PID"
  fi
  if want 11; then
    start_gatehouse "${JWT_SQLITE[@]}" "${JWT_SETTINGS[@]}"
    # Every refresh token is single-use: each run starts from freshly logged-in pairs, at most half as many
    # connections as pairs so the pool never runs dry.
    REFRESH_CONNECTIONS=$(( CONNECTIONS < JWT_TOKENS / 2 ? CONNECTIONS : JWT_TOKENS / 2 ))
    say "scenario 11-refresh: warm-up ${WARMUP}s, then $REPS x ${DURATION}s (refresh.lua, $REFRESH_CONNECTIONS connections, $JWT_TOKENS pairs per run)"
    login_tokens refresh_token "$BENCH_TOKENS"
    wrk_run 11-refresh-warmup refresh.lua "$BASE_APP/tokens/refresh" "$REFRESH_CONNECTIONS" "$WARMUP" >/dev/null
    for rep in $(seq "$REPS"); do
      login_tokens refresh_token "$BENCH_TOKENS"
      rss_start "$GH_PID" "$TMP/rss"
      json=$(wrk_run "11-refresh-$rep" refresh.lua "$BASE_APP/tokens/refresh" "$REFRESH_CONNECTIONS" "$DURATION")
      rss_stop
      record 11-refresh "$rep" "$json" "$GH_PID" "$TMP/rss"
    done
    stop_pid "$GH_PID"
  fi
fi

# ---------------------------------------------------------------- 7: growth on PostgreSQL

if want 7; then
  # A private, throw-away server as test.sh starts one (its binaries, trust on 127.0.0.1 only, fsync off).
  if [[ -z $PG_BIN ]]; then
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed (apt-get install postgresql)"
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = off" >/etc/postgresql-common/createcluster.d/gatehouse-tests.conf
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql </dev/null
    PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  fi
  AS_PG=()
  if [[ $EUID -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
  PG_DATA="$TMP/pg"
  mkdir -p "$PG_DATA"; [[ $EUID -eq 0 ]] && chown postgres: "$PG_DATA"; chmod 711 "$TMP"; chmod 700 "$PG_DATA"
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$TMP/initdb.log" 2>&1 ||
    { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PG_DATA/pg_hba.conf"
  cat >>"$PG_DATA/postgresql.conf" <<EOF
# bench/run.sh: throw-away server; durability off, WAL minimal (bulk seed skips it), 2 GB buffers.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 16GB
shared_buffers = 2GB
max_connections = 200
EOF
  PG_PORT=$(free_port 55600)
  taskset -c "$SERVER_CPUS" "${AS_PG[@]}" "$PG_BIN/postgres" -D "$PG_DATA" -p "$PG_PORT" >"$RAW/postgres.log" 2>&1 </dev/null &
  PG_PID=$!
  for _ in $(seq 150); do [[ $(sed -n 8p "$PG_DATA/postmaster.pid" 2>/dev/null) == ready* ]] && break; sleep 0.2; done
  [[ $(sed -n 8p "$PG_DATA/postmaster.pid" 2>/dev/null) == ready* ]] || { tail "$RAW/postgres.log" >&2; die "PostgreSQL did not start"; }
  PSQL=("$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres)
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE bench" >/dev/null
  # What README recommends for PostgreSQL (automatic preparation); the pool size is Npgsql's default.
  PG_CS="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=bench;Max Auto Prepare=20"
  PG=(--Gatehouse:Database:Provider=Postgres "--Gatehouse:Database:ConnectionString=$PG_CS")
  migrate "${PG[@]}"
  export BENCH_N
  seed_pg() { # users sessions scenario-label
    local start end
    start=$(date +%s.%N)
    on_server "${PSQL[@]}" -d bench -v users="$1" -v sessions="$2" -v hash="$PASSWORD_HASH" -f "$BENCH/sql/seed_pg.sql" >"$TMP/seed.log" 2>&1 ||
      { cat "$TMP/seed.log" >&2; die "seeding PostgreSQL failed"; }
    end=$(date +%s.%N)
    local size
    size=$("${PSQL[@]}" -d bench -At -c "SELECT pg_database_size('bench')")
    echo "{\"scenario\":\"seed-pg-$3\",\"rep\":1,\"seed\":{\"users\":$1,\"sessions\":$2,\"seconds\":$(python3 -c "print(round($end - $start, 1))"),\"database_bytes\":$size}}" >>"$RECORDS"
    say "seeded PostgreSQL with $1 users / $2 sessions in $(python3 -c "print(round($end - $start, 1))") s"
  }
  seed_pg 1 1 small
  start_gatehouse "${PG[@]}"
  curl -fs -H "X-Session-Token: $(printf 'app%029d' 1)" "$BASE_APP/auth/session" | grep -q '"is_authenticated":true' ||
    die "the seeded PostgreSQL token is not accepted"
  BENCH_N=1
  measure 7-pg-session-1 "$GH_PID" session_app.lua "$BASE_APP/auth/session" "$CONNECTIONS"
  stop_pid "$GH_PID"
  say "seeding PostgreSQL: $PG_USERS users, $PG_SESSIONS sessions"
  seed_pg "$PG_USERS" "$PG_SESSIONS" large
  start_gatehouse "${PG[@]}"
  curl -fs -H "X-Session-Token: $(printf 'app%029d' "$PG_SESSIONS")" "$BASE_APP/auth/session" | grep -q '"is_authenticated":true' ||
    die "the last seeded PostgreSQL token is not accepted"
  BENCH_N=$PG_SESSIONS
  measure 7-pg-session-large "$GH_PID" session_app.lua "$BASE_APP/auth/session" "$CONNECTIONS"
  stop_pid "$GH_PID"
  stop_postgres
fi

# ---------------------------------------------------------------- report
python3 "$BENCH/report.py" "$META" "$RECORDS" "$RESULTS/$NAME.md" "$RESULTS/$NAME.json"
say "wrote $RESULTS/$NAME.md and $RESULTS/$NAME.json (wrk output in $RAW/)"
cat "$RESULTS/$NAME.md"
if [[ $SMOKE -eq 1 ]]; then
  # Every scenario asked for must have run and answered only what it expects (report.py's ok_fraction).
  python3 - "$RESULTS/$NAME.json" "$ONLY" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
names = {"1": ["1-ceiling", "1b-floor"], "2": ["2-session-app"], "3": ["3-session-browser"], "4": ["4-config-browser"],
         "5": ["5-login"], "6": ["6-storm-session"], "7": ["7-pg-session-1", "7-pg-session-large"], "8": ["8-signup"],
         "9": ["9-bearer-stateless"], "10": ["10-bearer-stateful"], "11": ["11-refresh"]}
bad = []
for number in sys.argv[2].split(","):
    for name in names.get(number, []):
        s = summary.get(name)
        if s is None:
            bad.append(f"{name}: no result")
        elif not s["rps_median"] > 0 or s["ok_fraction"] < 1.0:
            bad.append(f"{name}: {s['rps_median']} req/s, {s['ok_fraction']:.1%} expected answers")
print("bench: smoke " + ("FAILED: " + "; ".join(bad) if bad else "passed: every scenario ran and answered as expected"), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
fi
