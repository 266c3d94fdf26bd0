#!/usr/bin/env python3
"""bench/report.py META RECORDS OUT.md OUT.json: turns bench/run.sh's records into the results table.

Each scenario: median requests/s, p50 and p99 over the repetitions, the spread (min-max of requests/s
as a % of the median), the peak resident memory sampled during the runs, and the ratio to the ceiling
measured in the same run. Then the targets of issue 4, each met or missed.
"""
import json
import os
import statistics
import sys

meta_path, records_path, md_path, json_path = sys.argv[1:5]
meta = json.load(open(meta_path))
records = [json.loads(line) for line in open(records_path) if line.strip()]
# Seconds each scenario's warm-up ran until its rate settled (bench/run.sh warm_up); absent in older raw dirs.
warmups_path = os.path.join(os.path.dirname(records_path), "warmups.jsonl")
warmups = {r["scenario"]: r for r in (json.loads(line) for line in open(warmups_path) if line.strip())} if os.path.exists(warmups_path) else {}


def by(scenario):
    return [r for r in records if r["scenario"] == scenario]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(scenario, ok_statuses=("200",)):
    reps = by(scenario)
    if not reps:
        return None
    rps = [r["wrk"]["rps"] for r in reps]
    ok = [sum(n for s, n in r["wrk"]["statuses"].items() if s in ok_statuses) for r in reps]
    total = [sum(r["wrk"]["statuses"].values()) for r in reps]
    errors = [sum(r["wrk"]["errors"].values()) for r in reps]
    m = med(rps)
    return {
        "reps": len(reps),
        "rps_median": round(m, 1),
        "rps_min": round(min(rps), 1),
        "rps_max": round(max(rps), 1),
        "spread_pct": round(100 * (max(rps) - min(rps)) / m, 1) if m else None,
        "p50_ms": round(med([r["wrk"]["p50_us"] for r in reps]) / 1000, 2),
        "p99_ms": round(med([r["wrk"]["p99_us"] for r in reps]) / 1000, 2),
        "p99_ms_max": round(max(r["wrk"]["p99_us"] for r in reps) / 1000, 2),
        "rss_peak_mb": round(max(r["rss_peak_kb"] for r in reps) / 1024, 1),
        # Without the SQLite file's pages mapped by the lookup's connections (counted once per mapping in VmRSS).
        "rss_peak_own_mb": round(max(r["rss_peak_kb"] - r.get("db_mapped_kb", 0) for r in reps) / 1024, 1),
        "db_mapped_mb": round(max(r.get("db_mapped_kb", 0) for r in reps) / 1024, 1),
        "hwm_mb": round(max(r["hwm_kb"] for r in reps) / 1024, 1),
        "ok_fraction": round(sum(ok) / sum(total), 4) if sum(total) else 0,
        "socket_errors": sum(errors),
        "testhosts_max": max(r.get("testhosts", 0) for r in reps),
        "load1_median": med([r.get("load1") for r in reps]),
    }


hash_rec = by("hash")
hash_ms = hash_rec[0]["hash"]["median_ms"] if hash_rec else None
server_cores = meta["server_cores"]
hash_limit = server_cores / (hash_ms / 1000) if hash_ms else None

names = {
    "1-ceiling": ("1", "Ceiling: bare minimal API, small JSON", ("200",)),
    "1b-floor": ("1b", "Floor of a protected endpoint: ASP.NET Core authentication + authorization, a handler that checks nothing", ("200",)),
    "2-session-app": ("2", "Session check, app (`X-Session-Token`), SQLite", ("200",)),
    "3-session-browser": ("3", "Session check, browser (cookie), SQLite", ("200",)),
    "4-config-browser": ("4", "`GET /_allauth/browser/v1/config`", ("200",)),
    "5-login": ("5", "Login, right password (app), SQLite", ("200",)),
    "6-storm-session": ("6", "Session check during a login storm", ("200",)),
    "7-pg-session-1": ("7a", "Session check, PostgreSQL, 1 user / 1 session", ("200",)),
    "7-pg-session-large": ("7b", "Session check, PostgreSQL, %s users / %s sessions", ("200",)),
    "8-signup": ("8", "Signup with mail (accepted = 401 verify_email pending)", ("401",)),
    "9-bearer-stateless": ("9", "Host endpoint `GET /api/v1/users/me`, Bearer JWT, stateless", ("200",)),
    "10-bearer-stateful": ("10", "The same, stateful validation (session by id), SQLite", ("200",)),
    "11-refresh": ("11", "`POST tokens/refresh` (rotation: new pair, old token spent), SQLite", ("200",)),
}
summary = {}
for key, (_, _, ok) in names.items():
    s = summarize(key, ok)
    if s:
        summary[key] = s
ceiling = summary.get("1-ceiling", {}).get("rps_median")
for s in summary.values():
    s["ratio_to_ceiling"] = round(s["rps_median"] / ceiling, 3) if ceiling else None

storm = by("6-storm-session")
storm_logins = [r["storm"]["rps"] * (sum(n for st, n in r["storm"]["statuses"].items() if st == "200") / max(1, sum(r["storm"]["statuses"].values()))) for r in storm]
outbox = by("8-outbox")
outbox = outbox[0]["outbox"] if outbox else None
seeds = {r["scenario"]: r["seed"] for r in records if r["scenario"].startswith("seed")}

derived = {"hash_ms": hash_ms, "server_cores": server_cores, "hashing_limit_per_s": round(hash_limit, 2) if hash_limit else None}
if "5-login" in summary and hash_limit:
    s = summary["5-login"]
    derived["login_ok_per_s"] = round(s["rps_median"] * s["ok_fraction"], 2)
    derived["login_pct_of_hash_limit"] = round(100 * derived["login_ok_per_s"] / hash_limit, 1)
if storm:
    derived["storm_logins_per_s"] = round(med(storm_logins), 2)
    derived["session_p99_ms_without_storm"] = summary.get("2-session-app", {}).get("p99_ms")
    derived["session_p99_ms_during_storm"] = summary["6-storm-session"]["p99_ms"]
if "7-pg-session-1" in summary and "7-pg-session-large" in summary:
    derived["growth_ratio"] = round(summary["7-pg-session-large"]["rps_median"] / summary["7-pg-session-1"]["rps_median"], 3)
if "8-signup" in summary:
    s = summary["8-signup"]
    derived["signups_accepted_per_s"] = round(s["rps_median"] * s["ok_fraction"], 2)
if outbox:
    derived["outbox"] = outbox
gatehouse_rss = [s["rss_peak_own_mb"] for k, s in summary.items() if k not in ("1-ceiling", "1b-floor")]
derived["gatehouse_rss_peak_mb"] = max(gatehouse_rss) if gatehouse_rss else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


targets = []


def pct(r):
    return '–' if r is None else f'{100 * r:.1f}%'


def target(name, value, ok):
    targets.append({"target": name, "value": value, "met": ok})


for key, label in (("2-session-app", "SQLite, app"), ("3-session-browser", "SQLite, browser"),
                   ("7-pg-session-1", "PostgreSQL, 1 session"), ("7-pg-session-large", "PostgreSQL, large")):
    if key in summary and ceiling:
        r = summary[key]["ratio_to_ceiling"]
        target(f"Session check ≥ 50% of the ceiling ({label})", f"{100 * r:.0f}%", r >= 0.5)
if "login_pct_of_hash_limit" in derived:
    p = derived["login_pct_of_hash_limit"]
    target("Login ≥ 90% of the hashing limit", f"{p:.0f}% ({derived['login_ok_per_s']:.2f}/s of {hash_limit:.2f}/s)", p >= 90)
if "session_p99_ms_during_storm" in derived:
    p = derived["session_p99_ms_during_storm"]
    target("Session-check p99 during the login storm < 20 ms", f"{p:.1f} ms (without: {fmt(derived['session_p99_ms_without_storm'], 1)} ms)", p < 20)
if "growth_ratio" in derived:
    g = derived["growth_ratio"]
    target("Large PostgreSQL keeps ≥ 90% of the 1-session rate", f"{100 * g:.0f}%", g >= 0.9)
if "9-bearer-stateless" in summary and ceiling:
    r = summary["9-bearer-stateless"]["ratio_to_ceiling"]
    floor = summary.get("1b-floor", {}).get("rps_median")
    against_floor = f"; {100 * summary['9-bearer-stateless']['rps_median'] / floor:.0f}% of the framework's floor (1b, itself {100 * floor / ceiling:.0f}% of the ceiling)" if floor else ""
    target("Stateless Bearer check ≥ 70% of the ceiling", f"{100 * r:.0f}%{against_floor}", r >= 0.7)
if "10-bearer-stateful" in summary and "2-session-app" in summary:
    r = summary["10-bearer-stateful"]["rps_median"] / summary["2-session-app"]["rps_median"]
    # Not the same working set: scenario 10's tokens name the sessions logged in for it, scenario 2 draws its tokens from
    # every seeded session, so its lookups touch far more of the file (a slow page cache hurts 2 more than 10).
    tokens = meta.get("jwt_tokens")
    working_set = f" (the lookups of 10 name {tokens:,} sessions, those of 2 draw from {meta['sqlite_sessions_per_client']:,})" if tokens else ""
    target("Stateful Bearer check ≥ the session check's rate (scenario 2)", f"{100 * r:.0f}% of scenario 2{working_set}", r >= 1.0)
if derived["gatehouse_rss_peak_mb"] is not None:
    m = derived["gatehouse_rss_peak_mb"]
    mapped = max(s["db_mapped_mb"] for k, s in summary.items() if k not in ("1-ceiling", "1b-floor"))
    target("Resident memory under load < 250 MB", f"{m:.0f} MB peak (Gatehouse, any scenario; without the mapped database file, up to {mapped:.0f} MB)", m < 250)

large = seeds.get("seed-pg-large", {})
title_large = names["7-pg-session-large"][1] % (f"{large.get('users', meta['pg_users']):,}", f"{large.get('sessions', meta['pg_sessions']):,}")

lines = []
w = lines.append
w(f"# Gatehouse benchmark — {meta['date_utc']} — commit `{meta['commit']}`{' (src/ had uncommitted changes)' if meta['src_dirty'] else ''}{' — SMOKE RUN' if meta['smoke'] else ''}")
w("")
w(f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory_gb']} GB, {meta['os']} (kernel {meta['kernel']}). "
  f".NET SDK {meta['dotnet']}; {meta['wrk']}; {meta['postgres']}.")
w(f"Placement: {meta['placement']}. wrk: 1 thread, {meta['connections']} connections (logins {meta['login_connections']}, "
  f"storm {meta['storm_connections']}, signups {meta['signup_connections']}); {meta['reps']} × {meta['duration_s']} s per scenario after a warm-up "
  "that runs until the runtime's tiering thread is idle and the rate stops rising (seconds per scenario in the table).")
w(f"Gatehouse: Release, `ASPNETCORE_ENVIRONMENT=Production`, rate limits off, PBKDF2 {meta['hash_iterations']:,} iterations (default). "
  f"SQLite: {meta['sqlite_users']:,} users, {meta['sqlite_sessions_per_client']:,} sessions per client kind, tokens drawn at random.")
th = [r.get("testhosts", 0) for r in records if "testhosts" in r]
w(f"Noise: load average at start {', '.join(meta['load_at_start'])}; `testhost` processes (other people's `dotnet test`) "
  f"at start {meta['testhosts_at_start']}, during runs up to {max(th) if th else 0}. "
  + ("**Other work was running on this 2-core machine: treat absolute numbers as noisy; ratios within one run are more stable.**"
     if (meta['testhosts_at_start'] or (th and max(th))) else "The machine was otherwise idle (no testhost)."))
w("")
def warmup_cell(key):
    if key not in warmups:
        return "–"
    return f"{warmups[key]['warmup_s']}" + ("" if warmups[key].get("settled", True) else " (not settled)")


def rss_cell(s):
    return f"{s['rss_peak_mb']:.0f}" + (f" ({s['db_mapped_mb']:.0f})" if s.get('db_mapped_mb') else "")


w("| # | scenario | req/s (median) | spread | p50 ms | p99 ms | peak RSS MB (of it the mapped DB) | vs ceiling | non-OK | warm-up s |")
w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for key, (num, label, _) in names.items():
    if key not in summary:
        continue
    s = summary[key]
    if key == "7-pg-session-large":
        label = title_large
    w(f"| {num} | {label} | {fmt(s['rps_median'], 1 if s['rps_median'] < 100 else 0)} | ±{(s['spread_pct'] or 0) / 2:.1f}% "
      f"({fmt(s['rps_min'], 1 if s['rps_min'] < 100 else 0)}–{fmt(s['rps_max'], 1 if s['rps_max'] < 100 else 0)}) | "
      f"{s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {rss_cell(s)} | {pct(s['ratio_to_ceiling'])} | "
      f"{100 * (1 - s['ok_fraction']):.1f}% | {warmup_cell(key)} |")
w("")
w("Spread: ± half the min–max range of requests/s over the repetitions, as % of the median (min–max in brackets). "
  "p50/p99: medians over the repetitions of wrk's percentiles. Peak RSS: highest VmRSS sampled every 0.2 s during the runs; in brackets the resident pages of the SQLite file "
  "that the session lookup's connections map (`PRAGMA mmap_size`), counted by VmRSS once per connection although they are the "
  "OS's page cache, not the server's memory: the memory target is the peak without them. "
  "non-OK: responses other than 200 (signup: other than 401 with the pending `verify_email` flow) plus socket errors are in the JSON.")
w("")
w("Derived:")
w("")
if hash_ms:
    w(f"- One hash (`DjangoPasswordHasher.Verify`, {meta['hash_iterations']:,} iterations, on a server core): {hash_ms:.0f} ms → hashing limit "
      f"{server_cores} server core(s) ÷ {hash_ms / 1000:.3f} s = **{hash_limit:.2f} hashes/s**.")
if "login_ok_per_s" in derived:
    w(f"- Logins: {derived['login_ok_per_s']:.2f}/s = **{derived['login_pct_of_hash_limit']:.0f}% of the hashing limit**.")
if "session_p99_ms_during_storm" in derived:
    s6 = summary["6-storm-session"]
    w(f"- Login storm ({meta['storm_connections']} connections, {derived['storm_logins_per_s']:.2f} logins/s): session check "
      f"{fmt(s6['rps_median'])} req/s, p99 **{s6['p99_ms']:.1f} ms** during vs {fmt(derived['session_p99_ms_without_storm'], 2)} ms without (scenario 2).")
if "growth_ratio" in derived:
    w(f"- Growth: {title_large.split(', ', 1)[1]} → **{100 * derived['growth_ratio']:.0f}%** of the 1-session rate.")
for key, seed in seeds.items():
    if key.startswith("seed-pg"):
        extra = f", database {seed['database_bytes'] / 2**30:.2f} GB" if seed.get("database_bytes") else ""
        w(f"- Seeding PostgreSQL ({seed['users']:,} users, {seed['sessions']:,} sessions, one SQL script with generate_series): {seed['seconds']:.1f} s{extra}.")
    else:
        w(f"- Seeding SQLite ({seed['users']:,} users, {seed['sessions_per_client']:,} sessions per client): {seed['seconds']:.1f} s.")
if "signups_accepted_per_s" in derived:
    w(f"- Signups accepted: **{derived['signups_accepted_per_s']:.2f}/s** (each hashes the password once, so the hashing limit bounds it too).")
if outbox:
    w(f"- Outbox: the {outbox['signup_mails']} signup mails reached the SMTP catcher {outbox['signup_mails_lag_after_load_s']:.1f} s after the load stopped; "
      f"a backlog of {outbox['backlog']} queued mails: first mail after {fmt(outbox['backlog_first_mail_after_s'], 1)} s "
      f"(worker poll interval), then **{fmt(outbox['drain_per_s'], 0)} mails/s** ({outbox['backlog_delivered']} delivered in {outbox['backlog_span_s']:.1f} s).")
w("")
w("Targets (issue 4):")
w("")
w("| target | measured | |")
w("|---|---|---|")
for t in targets:
    w(f"| {t['target']} | {t['value']} | {'met' if t['met'] else '**missed**'} |")
w("")
open(md_path, "w").write("\n".join(lines))
json.dump({"meta": meta, "warmups": warmups, "summary": summary, "derived": derived, "targets": targets, "records": records},
          open(json_path, "w"), indent=1)
