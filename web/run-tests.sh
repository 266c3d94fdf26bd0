#!/usr/bin/env bash
# The web frontend's tests: npm ci (when node_modules is missing or stale), type check, vitest unit
# tests, the static build (when web/out is missing or older than the sources), the server build, and
# the end-to-end run (Playwright driving Debian's Chromium against a real Gatehouse server with a real
# SMTP catcher). Extra arguments filter the end-to-end tests by name.
# Exits non-zero when anything failed; the last line printed is "N passed, N failed".
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
WEB="$PWD"
ROOT="$(dirname "$WEB")"
ARTIFACTS="$WEB/e2e-artifacts"
mkdir -p "$ARTIFACTS"

export NEXT_TELEMETRY_DISABLED=1 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export CHROMIUM_PATH

say() { echo "web/run-tests.sh: $*"; }

passed=0
failed=0
T0=$SECONDS
step_start=0
begin() { step_start=$SECONDS; say "$*"; }
took() { say "  ($((SECONDS - step_start)) s)"; }

# A setup step that fails counts as one failed test, so the summary never reads "0 failed" then.
setup_failed() { say "FAILED: $*"; failed=$((failed + 1)); }

finish() {
  say "total $((SECONDS - T0)) s"
  echo
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]] && exit 0 || exit 1
}

command -v npm >/dev/null 2>&1 || { setup_failed "npm is not installed (Node.js 20+ with npm is needed)"; finish; }

# ---- dependencies (lockfile only) -------------------------------------------------------------------
# The server's MSBuild target may build web/ at the same time (a parallel dotnet build): share its lock.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$WEB/.web-build.lock"
  flock -w 900 9 || say "warning: could not take web/.web-build.lock; going on"
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  begin "npm ci"
  npm ci --no-audit --no-fund || { setup_failed "npm ci"; finish; }
  took
fi

# ---- type check + unit tests --------------------------------------------------------------------------
begin "type check (tsc --noEmit)"
if ! npx --no-install tsc --noEmit -p .; then
  setup_failed "type check"
fi
took

begin "unit tests (vitest)"
rm -f "$ARTIFACTS/vitest.json"
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$ARTIFACTS/vitest.json"
unit_rc=$?
if [[ -f $ARTIFACTS/vitest.json ]]; then
  read -r up uf < <(node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0))' "$ARTIFACTS/vitest.json")
  passed=$((passed + up)); failed=$((failed + uf))
  [[ $unit_rc -ne 0 && $uf -eq 0 ]] && setup_failed "vitest exited with $unit_rc"
else
  setup_failed "vitest wrote no results (exit code $unit_rc)"
fi
took

# ---- build: the static export and the server ------------------------------------------------------
if [[ ! -f out/index.html ]] || [[ -n $(find src public next.config.ts package-lock.json -newer out/index.html -print -quit 2>/dev/null) ]]; then
  begin "next build (static export to web/out)"
  npm run build || { setup_failed "next build"; finish; }
  took
fi

exec 9>&-   # web/ is built: release the lock

if [[ ${GATEHOUSE_SKIP_E2E:-} == 1 ]]; then
  say "GATEHOUSE_SKIP_E2E=1: skipping the end-to-end tests"
  finish
fi

command -v dotnet >/dev/null 2>&1 || { setup_failed "the .NET SDK is not installed (needed to run the server for the end-to-end tests)"; finish; }
if [[ ! -x $CHROMIUM_PATH ]]; then
  setup_failed "no Chromium at $CHROMIUM_PATH (install Debian's: apt-get install chromium; or set CHROMIUM_PATH)"
  finish
fi

begin "dotnet build src/Gatehouse.Server"
dotnet build "$ROOT/src/Gatehouse.Server" -v q -nologo -p:SkipWebBuild=true >"$ARTIFACTS/server-build.log" 2>&1 ||
  { tail -n 30 "$ARTIFACTS/server-build.log"; setup_failed "dotnet build"; finish; }
took

# ---- end-to-end ---------------------------------------------------------------------------------------
begin "end-to-end tests (Playwright + $("$CHROMIUM_PATH" --version 2>/dev/null | head -n 1))"
rm -f "$ARTIFACTS/result.json"
node e2e/run.mjs "$@"
e2e_rc=$?
if [[ -f $ARTIFACTS/result.json ]]; then
  read -r ep ef < <(node -e 'const r=require(process.argv[1]); console.log(r.passed, r.failed)' "$ARTIFACTS/result.json")
  passed=$((passed + ep)); failed=$((failed + ef))
  [[ $e2e_rc -ne 0 && $ef -eq 0 ]] && setup_failed "the end-to-end run exited with $e2e_rc"
else
  setup_failed "the end-to-end run wrote no results (exit code $e2e_rc)"
fi
took
say "screenshots and server logs: $ARTIFACTS"

finish
