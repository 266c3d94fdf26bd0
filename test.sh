#!/usr/bin/env bash
# Runs every test of the solution: ./test.sh [extra dotnet test arguments]
#
# The PostgreSQL tests need a server. Unless GATEHOUSE_TEST_POSTGRES is already set, this script
# starts a private, throw-away one (its own data dir under .tmp/, trust auth on 127.0.0.1, a free
# port, fsync off), points the tests at it, and always stops it and deletes its data on exit.
# Then a bounded fuzz run of the JSON input path (tests/Gatehouse.Fuzz/run.sh; GATEHOUSE_SKIP_FUZZ=1 or a
# --filter skips it), the benchmark's smoke run (bench/run.sh --smoke: every scenario ~2 s with tiny data, so a
# change that breaks the bench fails here; GATEHOUSE_SKIP_BENCH_SMOKE=1 or a --filter skips it; needs wrk, which
# it installs with apt-get, with sqlite3, when missing and running as root), and the web frontend's tests (web/run-tests.sh: vitest and Playwright end-to-end
# tests in Debian's Chromium; GATEHOUSE_SKIP_WEB_TESTS=1 skips them).
# The last line printed is "N passed, N failed[, N skipped]" (both suites summed), which the CI harness reads.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$PWD"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { echo "test.sh: $*"; }
die() { echo "test.sh: $*" >&2; exit 1; }

command -v dotnet >/dev/null 2>&1 ||
  die "the .NET SDK is not installed (no 'dotnet' on PATH). Install the .NET 10 SDK, then run ./test.sh again."

PG_BIN=""        # folder of the PostgreSQL server binaries
PG_DATA=""       # the private server's data dir (removed on exit)
PG_PID=""       # the postmaster, a child of this script (so it is reaped here, never left a zombie)
LOG_FILE=""

# Run PostgreSQL binaries as the server's owner: postgres refuses to run as root. setpriv execs
# (no extra process), so $! of a background "${AS_PG[@]}" postgres is the postmaster itself.
AS_PG=()
[[ $EUID -eq 0 ]] && AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
as_pg() { "${AS_PG[@]}" "$@"; }

# Fast shutdown (SIGINT: roll back open transactions, disconnect clients), then immediate (SIGQUIT).
stop_postgres() {
  [[ -n $PG_PID ]] || return 0
  local signal tries
  for signal in INT QUIT; do
    kill -s "$signal" "$PG_PID" 2>/dev/null || break
    for tries in $(seq 100); do
      kill -0 "$PG_PID" 2>/dev/null || break 2
      sleep 0.2
    done
  done
  if kill -0 "$PG_PID" 2>/dev/null; then
    kill -s KILL "$PG_PID" 2>/dev/null || true
    say "warning: PostgreSQL (pid $PG_PID) did not shut down; killed it"
  fi
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=""
}

cleanup() {
  local rc=$?
  stop_postgres
  [[ -n $PG_DATA && -d $PG_DATA ]] && rm -rf "$PG_DATA"
  [[ -n $LOG_FILE ]] && rm -f "$LOG_FILE"
  [[ -n ${WEB_LOG_FILE:-} ]] && rm -f "$WEB_LOG_FILE"
  [[ -n ${FUZZ_LOG_FILE:-} ]] && rm -f "$FUZZ_LOG_FILE"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

find_pg_bin() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n $initdb ]] && PG_BIN=$(dirname "$initdb")
  [[ -n $PG_BIN ]]
}

ensure_pg_binaries() {
  find_pg_bin && return 0
  if [[ $EUID -ne 0 ]]; then
    die "the PostgreSQL server is not installed (no /usr/lib/postgresql/*/bin/initdb). Install it, e.g. 'sudo apt-get install postgresql', or set GATEHOUSE_TEST_POSTGRES to a server's connection string."
  fi
  say "installing PostgreSQL (apt-get)"
  # Do not let the package create and start its own 'main' cluster on port 5432: we only need
  # the binaries, and a system server left running would outlive the tests.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = off" >/etc/postgresql-common/createcluster.d/gatehouse-tests.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql </dev/null
  find_pg_bin || die "apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb appeared."
}

ensure_postgres_user() {
  [[ $EUID -eq 0 ]] || return 0
  id -u postgres >/dev/null 2>&1 && return 0
  say "creating the 'postgres' OS user (PostgreSQL refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
}

# A kill -9 of an earlier run leaves its data dir behind. Remove those whose server is gone; a dir
# younger than 10 minutes without a server may be a concurrent run still in initdb, so keep it.
remove_stale_data_dirs() {
  local dir pid
  [[ -d $ROOT/.tmp ]] || return 0
  while IFS= read -r dir; do
    pid=$(head -n 1 "$dir/postmaster.pid" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
    rm -rf "$dir"
  done < <(find "$ROOT/.tmp" -maxdepth 1 -type d -name 'pg-*' -mmin +10)
}

make_data_dir() {
  mkdir -p "$ROOT/.tmp"
  PG_DATA=$(mktemp -d "$ROOT/.tmp/pg-XXXXXXXX")
  # The unix socket lives in the data dir and its path must fit in 107 bytes; the postgres user
  # must also be able to reach the repo. When either fails (a deep or private checkout), use /tmp.
  local usable=1
  (( ${#PG_DATA} + 20 > 100 )) && usable=0
  if [[ $EUID -eq 0 ]]; then
    chown postgres: "$PG_DATA"
    as_pg test -w "$PG_DATA" || usable=0
  fi
  if [[ $usable -eq 0 ]]; then
    rm -rf "$PG_DATA"
    PG_DATA=$(mktemp -d /tmp/gatehouse-pg-XXXXXXXX)
    [[ $EUID -eq 0 ]] && chown postgres: "$PG_DATA"
    say "the repo path is not usable for the PostgreSQL data dir; using $PG_DATA"
  fi
  chmod 700 "$PG_DATA"
}

port_in_use() {
  # Something accepts connections there (bash's /dev/tcp), or ss lists a listener on it.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
  return 1
}

# The postmaster writes "ready" on line 8 of postmaster.pid once it accepts connections (what
# pg_ctl -w waits for too).
wait_until_ready() {
  local tries
  for tries in $(seq 150); do
    kill -0 "$PG_PID" 2>/dev/null || return 1
    [[ $(sed -n 8p "$PG_DATA/postmaster.pid" 2>/dev/null) == ready* ]] && return 0
    sleep 0.2
  done
  return 1
}

start_postgres() {
  ensure_pg_binaries
  ensure_postgres_user
  remove_stale_data_dirs
  make_data_dir

  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C \
    --no-sync >"$PG_DATA.initdb.log" 2>&1 || { cat "$PG_DATA.initdb.log" >&2; rm -f "$PG_DATA.initdb.log"; die "initdb failed"; }
  rm -f "$PG_DATA.initdb.log"

  # Trust, but only for the unix socket (inside the data dir) and 127.0.0.1.
  cat >"$PG_DATA/pg_hba.conf" <<'EOF'
local all all               trust
host  all all 127.0.0.1/32  trust
EOF
  cat >>"$PG_DATA/postgresql.conf" <<EOF

# test.sh: a throw-away server for tests; durability does not matter.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF

  # Try ports from 55432 up. Another process can take a port between the check and the bind,
  # so a server that exits instead of becoming ready moves us on to the next port too.
  local port
  for port in $(seq 55432 55531); do
    port_in_use "$port" && continue
    "${AS_PG[@]}" "$PG_BIN/postgres" -D "$PG_DATA" -p "$port" >>"$PG_DATA/server.log" 2>&1 </dev/null &
    PG_PID=$!
    if wait_until_ready; then
      export GATEHOUSE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=false"
      say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') started on 127.0.0.1:$port (data dir $PG_DATA)"
      return 0
    fi
    stop_postgres
  done
  tail -n 20 "$PG_DATA/server.log" >&2 2>/dev/null || true
  die "could not start PostgreSQL on any port from 55432 to 55531."
}

if [[ -n ${GATEHOUSE_TEST_POSTGRES:-} ]]; then
  say "using the PostgreSQL server in GATEHOUSE_TEST_POSTGRES (starting none)"
else
  start_postgres
fi

# Run the tests; keep a copy of the output to count the results.
mkdir -p "$ROOT/.tmp"
LOG_FILE=$(mktemp "$ROOT/.tmp/test-output-XXXXXXXX.log")
rc=0
dotnet test Gatehouse.slnx --logger "console;verbosity=normal" "$@" 2>&1 | tee "$LOG_FILE" || rc=$?

# Sum the per-assembly summaries. With the normal-verbosity console logger each test assembly ends with
#   Total tests: 13
#        Passed: 12
#       Skipped: 1
#    Total time: 2.1 Seconds
# and with the default (minimal) one with
#   Passed!  - Failed:     0, Passed:    12, Skipped:     1, Total:    13, Duration: 2 s - X.dll (net10.0)
summary=$(awk '
  /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
    line = $0; sub(/.*Failed: +/, "", line); split(line, v, /[^0-9]+/)
    mf += v[1]; mp += v[2]; ms += v[3]; mn++; next
  }
  /^Total tests: +[0-9]+/                    { block = 1; bn++; next }
  block && /^ +Passed: +[0-9]+ *$/           { bp += $2; next }
  block && /^ +Failed: +[0-9]+ *$/           { bf += $2; next }
  block && /^ +Skipped: +[0-9]+ *$/          { bs += $2; next }
  block && /Total time:/                     { block = 0 }
  END {
    if (mn) { p = mp; f = mf; s = ms } else if (bn) { p = bp; f = bf; s = bs } else exit
    line = (p + 0) " passed, " (f + 0) " failed"; if (s) line = line ", " s " skipped"; print line
  }' "$LOG_FILE")

[[ -z $summary ]] && say "dotnet test printed no test summary (a build failure, or no test ran); exit code $rc"

# A --filter run asked for some tests only: the stages after dotnet test (fuzz, bench smoke) are skipped.
filtered_run() { [[ " $* " == *" --filter "* || " $* " == *" --filter="* ]]; }

# A bounded fuzz run of the JSON input path (tests/Gatehouse.Fuzz/run.sh: SharpFuzz + afl-fuzz, about a
# minute; a crash fails). Skipped for filtered runs (--filter) and with GATEHOUSE_SKIP_FUZZ=1.
fuzz_rc=0
fuzz_summary=""
if [[ ${GATEHOUSE_SKIP_FUZZ:-} == 1 ]] || filtered_run "$@"; then
  say "skipping the fuzz run (GATEHOUSE_SKIP_FUZZ=1 or a --filter run)"
else
  echo
  say "running tests/Gatehouse.Fuzz/run.sh"
  FUZZ_LOG_FILE=$(mktemp "$ROOT/.tmp/fuzz-output-XXXXXXXX.log")
  "$ROOT/tests/Gatehouse.Fuzz/run.sh" 2>&1 | tee "$FUZZ_LOG_FILE" || fuzz_rc=$?
  fuzz_summary=$(tail -n 1 "$FUZZ_LOG_FILE" | grep -E '^[0-9]+ passed, [0-9]+ failed$' || true)
  rm -f "$FUZZ_LOG_FILE"
fi

# The benchmark's smoke run: the bench is only worth something if it still runs, and nothing else exercises it.
# Its report goes to .tmp/ (not bench/results/); it fails when a scenario ran no request or answered anything
# it does not expect. Numbers from it mean nothing (2-s runs, no warm-up, tests just ran).
bench_rc=0
bench_summary=""
if [[ ${GATEHOUSE_SKIP_BENCH_SMOKE:-} == 1 ]] || filtered_run "$@"; then
  say "skipping the bench smoke run (GATEHOUSE_SKIP_BENCH_SMOKE=1 or a --filter run)"
else
  echo
  bench_missing=()
  for tool in wrk sqlite3; do command -v "$tool" >/dev/null 2>&1 || bench_missing+=("$tool"); done
  if [[ ${#bench_missing[@]} -gt 0 && $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${bench_missing[*]} (apt-get) for the bench smoke run"
    { apt-get install -y -qq --no-install-recommends "${bench_missing[@]}" </dev/null ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${bench_missing[@]}" </dev/null; }; } >/dev/null 2>&1 || true
  fi
  say "running bench/run.sh --smoke"
  "$ROOT/bench/run.sh" --smoke --results "$ROOT/.tmp/bench-smoke" || bench_rc=$?
  if [[ $bench_rc -eq 0 ]]; then bench_summary="1 passed, 0 failed"; else bench_summary="0 passed, 1 failed"; fi
fi

# The web frontend's tests (vitest, then Playwright end-to-end against a real server): web/run-tests.sh,
# whose last line is "N passed, N failed" too. GATEHOUSE_SKIP_WEB_TESTS=1 skips them.
web_rc=0
web_summary=""
if [[ ${GATEHOUSE_SKIP_WEB_TESTS:-} == 1 ]]; then
  say "GATEHOUSE_SKIP_WEB_TESTS=1: skipping web/run-tests.sh"
else
  echo
  say "running web/run-tests.sh"
  WEB_LOG_FILE=$(mktemp "$ROOT/.tmp/web-test-output-XXXXXXXX.log")
  "$ROOT/web/run-tests.sh" 2>&1 | tee "$WEB_LOG_FILE" || web_rc=$?
  web_summary=$(tail -n 1 "$WEB_LOG_FILE" | grep -E '^[0-9]+ passed, [0-9]+ failed$' || true)
  rm -f "$WEB_LOG_FILE"
  if [[ -z $web_summary ]]; then
    say "web/run-tests.sh printed no test summary; exit code $web_rc"
    [[ $web_rc -eq 0 ]] && web_rc=1
  fi
fi

# One summary for both: "N passed, N failed[, N skipped]" with the counts summed.
total=$(printf '%s\n%s\n%s\n%s\n' "$summary" "$fuzz_summary" "$bench_summary" "$web_summary" | awk '
  { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } if (NF) n++ }
  END { if (!n) exit; line = (p + 0) " passed, " (f + 0) " failed"; if (s) line = line ", " s " skipped"; print line }')

echo
[[ -n $summary && ( -n $web_summary || -n $fuzz_summary ) ]] && say "dotnet test: $summary${fuzz_summary:+; fuzz: $fuzz_summary}${bench_summary:+; bench smoke: $bench_summary}${web_summary:+; web: $web_summary}"
[[ -n $total ]] && echo "$total"
[[ $rc -eq 0 && $fuzz_rc -ne 0 ]] && rc=$fuzz_rc
[[ $rc -eq 0 && $bench_rc -ne 0 ]] && rc=$bench_rc
[[ $rc -eq 0 && $web_rc -ne 0 ]] && rc=$web_rc
exit "$rc"
