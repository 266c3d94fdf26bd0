// End-to-end harness: a real Gatehouse server (the built Gatehouse.Server, SQLite temp file, rate
// limits off, SMTP to a real catcher run here), Debian's Chromium driven by playwright-core, and a
// tiny test runner that prints "N passed, N failed".
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";
import { chromium } from "playwright-core";

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = resolve(WEB, "..");
export const ARTIFACTS = join(WEB, "e2e-artifacts");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- SMTP catcher ------------------------------------------------------------------------------

export async function startMailCatcher() {
  /** @type {{to: string[], subject: string, text: string, html: string}[]} */
  const mails = [];
  const waiters = new Set();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          mails.push({ to, subject: parsed.subject ?? "", text: parsed.text ?? "", html: typeof parsed.html === "string" ? parsed.html : "" });
          for (const w of waiters) w();
          callback();
        })
        .catch(callback);
    },
  });
  // Port 0: the kernel picks a free port at bind time, so no other process on this machine (other
  // engineers run their tests at the same time) can take it between choosing and binding.
  await new Promise((ok, fail) => {
    server.server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.server.address());
  return {
    port,
    mails,
    /** Waits for a mail to `to` whose subject contains `subject` and that was not taken before. */
    async waitFor(to, subject, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = mails.findIndex((m) => !m.taken && m.to.includes(to.toLowerCase()) && m.subject.includes(subject));
        if (i >= 0) {
          mails[i].taken = true;
          return mails[i];
        }
        if (Date.now() > deadline) {
          throw new Error(`no mail to ${to} with "${subject}" within ${timeoutMs} ms (got: ${mails.map((m) => `${m.to} "${m.subject}"`).join("; ") || "none"})`);
        }
        await new Promise((r) => {
          const done = () => {
            waiters.delete(done);
            r();
          };
          waiters.add(done);
          setTimeout(done, 250);
        });
      }
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

export function firstUrl(text) {
  const m = /https?:\/\/\S+/.exec(text);
  if (!m) throw new Error(`no URL in mail:\n${text}`);
  return m[0];
}

export function loginCode(text) {
  const m = /^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m.exec(text);
  if (!m) throw new Error(`no code in mail:\n${text}`);
  return m[1];
}

// ---- Gatehouse server --------------------------------------------------------------------------

export async function startServer({ smtpPort, settings = {}, name = "server" }) {
  const dll = join(ROOT, "src/Gatehouse.Server/bin/Debug/net10.0/Gatehouse.Server.dll");
  if (!existsSync(dll)) throw new Error(`${dll} is missing: build the server first (dotnet build src/Gatehouse.Server)`);
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-"));
  const args = {
    // Port 0: Kestrel binds a free port itself and logs it ("Now listening on: ..."). Choosing a port
    // first and binding it later races with the other test runs on this machine.
    Urls: "http://127.0.0.1:0",
    "Gatehouse:Database:Provider": "Sqlite",
    "Gatehouse:Database:ConnectionString": `Data Source=${join(dir, "gatehouse.db")}`,
    "Gatehouse:Database:AutoMigrate": "true",
    "Gatehouse:RateLimits:Enabled": "false",
    "Gatehouse:Email:Delivery": "Smtp",
    "Gatehouse:Email:Smtp:Host": "127.0.0.1",
    "Gatehouse:Email:Smtp:Port": String(smtpPort),
    "Gatehouse:Email:OutboxPollInterval": "00:00:00.500",
    "Frontend:Path": join(WEB, "out"),
    ...settings,
  };
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, `${name}.log`));
  const child = spawn("dotnet", [dll, ...Object.entries(args).map(([k, v]) => `--${k}=${v}`)], {
    cwd: join(ROOT, "src/Gatehouse.Server"),
    env: { ...process.env, ASPNETCORE_ENVIRONMENT: "Development", DOTNET_NOLOGO: "1", DOTNET_CLI_TELEMETRY_OPTOUT: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on("exit", (code) => (exited = code));
  /** @type {string | null} */
  let base = null;
  let pending = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    if (base) return;
    pending += chunk;
    const m = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(pending);
    if (m) base = m[1] ?? null;
    else pending = pending.slice(-200);
  });
  const deadline = Date.now() + 60000;
  for (;;) {
    if (exited !== null) throw new Error(`the server exited (${exited}) before answering; see e2e-artifacts/${name}.log`);
    if (base) {
      try {
        const r = await fetch(`${base}/healthz`);
        if (r.ok) break;
      } catch {
        /* not yet */
      }
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 60 s; see e2e-artifacts/${name}.log`);
    await sleep(200);
  }
  return {
    base,
    async stop() {
      if (exited === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 10000);
        await new Promise((r) => (exited !== null ? r() : child.on("exit", r)));
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- Browser -----------------------------------------------------------------------------------

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

// ---- Runner ------------------------------------------------------------------------------------

export async function runTests(tests, { only } = {}) {
  let passed = 0;
  let failed = 0;
  const failures = [];
  for (const [name, fn] of tests) {
    if (only && !name.includes(only)) continue;
    const started = Date.now();
    try {
      await fn();
      passed++;
      console.log(`  ok    ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      failures.push([name, error]);
      console.log(`  FAIL  ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n        ${String(error?.stack ?? error).split("\n").slice(0, 8).join("\n        ")}`);
    }
  }
  return { passed, failed, failures };
}
