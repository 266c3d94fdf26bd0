// End-to-end tests: the real server, real SMTP, Debian's Chromium. `node e2e/run.mjs [name filter]`.
// Prints one line per test and a final "N passed, N failed"; exits 1 when a test failed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import {
  ARTIFACTS,
  firstUrl,
  launchBrowser,
  loginCode,
  runTests,
  startMailCatcher,
  startServer,
  sleep,
} from "./harness.mjs";

const TIMEOUT = 20000;
let counter = 0;
const uniqueEmail = (tag) => `${tag}-${Date.now().toString(36)}-${++counter}@example.com`;
const PASSWORD = "Tr0ub4dor&3-horse";

mkdirSync(ARTIFACTS, { recursive: true });
const mail = await startMailCatcher();
/** @type {Awaited<ReturnType<typeof startServer>>[]} */
const servers = [];
let browser;

async function shutdown() {
  await browser?.close().catch(() => {});
  for (const s of servers) await s.stop().catch(() => {});
  await mail.close().catch(() => {});
}
process.on("SIGINT", () => void shutdown().then(() => process.exit(130)));
process.on("SIGTERM", () => void shutdown().then(() => process.exit(143)));

let result = { passed: 0, failed: 1 };
try {
  const server = await startServer({ smtpPort: mail.port });
  servers.push(server);
  const BASE = server.base;
  browser = await launchBrowser();
  console.log(`e2e: Gatehouse at ${BASE}, SMTP catcher on ${mail.port}, ${browser.version()}`);

  async function newPage(base = BASE) {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1100, height: 800 } });
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const consoleErrors = [];
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    return { context, page, consoleErrors };
  }

  async function shot(page, name) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  /** Path + query of the page, e.g. "/account/login?next=%2Fdashboard". */
  const here = (page) => {
    const u = new URL(page.url());
    return u.pathname + u.search;
  };

  async function waitForPath(page, path) {
    await page.waitForURL((u) => u.pathname + u.search === path || u.pathname === path, { timeout: TIMEOUT });
  }

  /** A verified account made over the app API (no browser), for tests that start logged out. */
  async function createVerifiedUser(email, password = PASSWORD, base = BASE) {
    const app = `${base}/_allauth/app/v1`;
    const r = await fetch(`${app}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const body = await r.json();
    assert.equal(body.status, 401, JSON.stringify(body));
    const m = await mail.waitFor(email, "Confirm");
    const key = decodeURIComponent(firstUrl(m.text).split("/account/verify-email/")[1]);
    const v = await fetch(`${app}/auth/email/verify`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Session-Token": body.meta.session_token },
      body: JSON.stringify({ key }),
    });
    const verified = await v.text();
    assert.equal(v.status, 200, verified);
    // Log that app session out again, so the user's session list holds only the browsers of the test.
    const token = JSON.parse(verified).meta.session_token;
    await fetch(`${app}/auth/session`, { method: "DELETE", headers: { "X-Session-Token": token } });
  }

  async function login(page, email, password = PASSWORD) {
    await page.goto("/account/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await waitForPath(page, "/dashboard");
    await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
  }

  result = await runTests(
    [
      [
        "home and protected dashboard redirect",
        async () => {
          const { context, page } = await newPage();
          await page.goto("/");
          await page.getByRole("heading", { name: "Gatehouse", level: 1 }).waitFor();
          await shot(page, "home");
          await page.goto("/dashboard");
          await waitForPath(page, "/account/login?next=%2Fdashboard");
          await page.getByRole("heading", { name: "Log in" }).waitFor();
          await shot(page, "login");
          await context.close();
        },
      ],
      [
        "signup -> mail -> verify -> dashboard -> logout -> reset password by mail -> login with the new password",
        async () => {
          const { context, page, consoleErrors } = await newPage();
          const email = uniqueEmail("alice");
          await page.goto("/account/signup");
          await page.getByLabel("Email").fill(email);
          // A field error from errors[].param shows next to its field.
          await page.getByLabel("Password", { exact: true }).fill("short");
          await page.getByLabel("Password (again)").fill("short");
          await page.getByRole("button", { name: "Sign up" }).click();
          const pw = page.getByLabel("Password", { exact: true });
          await page.getByText("This password is too short").waitFor();
          assert.equal(await pw.getAttribute("aria-invalid"), "true");
          await shot(page, "signup-errors");
          await pw.fill(PASSWORD);
          await page.getByLabel("Password (again)").fill(PASSWORD);
          await page.getByRole("button", { name: "Sign up" }).click();
          // 401 with verify_email pending → the flow router opens the waiting page.
          await waitForPath(page, "/account/verify-email");
          await page.getByRole("heading", { name: "Confirm your email address" }).waitFor();
          await shot(page, "verify-email-waiting");

          const confirm = await mail.waitFor(email, "Confirm");
          const link = firstUrl(confirm.text);
          assert.ok(link.startsWith(`${BASE}/account/verify-email/`), link);
          await page.goto(link);
          await page.getByText(email).waitFor();
          await shot(page, "verify-email-key");
          await page.getByRole("button", { name: "Confirm" }).click();
          await waitForPath(page, "/dashboard");
          await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          await shot(page, "dashboard");

          await page.getByRole("link", { name: "Log out" }).click();
          await waitForPath(page, "/account/logout");
          await page.getByRole("button", { name: "Log out" }).click();
          await waitForPath(page, "/");
          await page.getByRole("link", { name: "Log in" }).first().waitFor();

          await page.goto("/account/password/reset");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Send the link" }).click();
          await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
          const reset = await mail.waitFor(email, "Password Reset");
          const resetLink = firstUrl(reset.text);
          assert.ok(resetLink.startsWith(`${BASE}/account/password/reset/key/`), resetLink);
          await page.goto(resetLink);
          const newPassword = "Another-horse-77!";
          await page.getByLabel("New password", { exact: true }).fill(newPassword);
          await page.getByLabel("New password (again)").fill(newPassword);
          await shot(page, "password-reset-key");
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByRole("heading", { name: "Password changed" }).waitFor();

          // The old password no longer works; the new one does, and ?next= is honoured.
          await page.goto("/dashboard");
          await waitForPath(page, "/account/login?next=%2Fdashboard");
          await page.getByLabel("Email").fill(email);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByRole("button", { name: "Log in" }).click();
          await page.locator(".alert--error, .field__errors").first().waitFor();
          assert.match(here(page), /^\/account\/login/);
          await page.getByLabel("Password", { exact: true }).fill(newPassword);
          await page.getByRole("button", { name: "Log in" }).click();
          await waitForPath(page, "/dashboard");
          await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          assert.deepEqual(consoleErrors, []);
          await context.close();
        },
      ],
      [
        "login by code",
        async () => {
          const email = uniqueEmail("code");
          await createVerifiedUser(email);
          const { context, page } = await newPage();
          await page.goto("/account/login");
          await page.getByRole("link", { name: "Email me a sign-in code" }).click();
          await waitForPath(page, "/account/login/code");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Email me a code" }).click();
          // 401 with login_by_code pending → the code page.
          await waitForPath(page, "/account/login/code/confirm");
          const m = await mail.waitFor(email, "Sign-In Code").catch(() => mail.waitFor(email, "Code"));
          const code = loginCode(m.text);
          await page.getByRole("textbox", { name: "Code" }).fill("AAAA-AAAA");
          await page.getByRole("button", { name: "Sign in" }).click();
          await page.locator(".field__errors").first().waitFor();
          assert.equal(await page.getByRole("textbox", { name: "Code" }).getAttribute("aria-invalid"), "true");
          await shot(page, "login-code-confirm");
          await page.getByRole("textbox", { name: "Code" }).fill(code);
          await page.getByRole("button", { name: "Sign in" }).click();
          await waitForPath(page, "/dashboard");
          await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          await context.close();
        },
      ],
      [
        "add and verify a second email, make it primary",
        async () => {
          const email = uniqueEmail("first");
          const second = uniqueEmail("second");
          await createVerifiedUser(email);
          const { context, page } = await newPage();
          await login(page, email);
          await page.getByRole("link", { name: "Email", exact: true }).click();
          await waitForPath(page, "/account/email");
          await page.getByLabel("New email address").fill(second);
          await page.getByRole("button", { name: "Add address" }).click();
          await page.getByText(`We have sent a confirmation link to ${second}.`).waitFor();
          const row = page.locator(`li[data-email="${second}"]`);
          await row.getByText("Unverified").waitFor();
          await shot(page, "email");

          const m = await mail.waitFor(second, "Confirm");
          await page.goto(firstUrl(m.text));
          await page.getByText(second).first().waitFor();
          await page.getByRole("button", { name: "Confirm" }).click();
          await page.getByRole("heading", { name: "Email address confirmed" }).waitFor();
          await page.getByRole("link", { name: "Back to your email addresses" }).click();
          await waitForPath(page, "/account/email");
          await row.getByText("Verified", { exact: true }).waitFor();
          await row.getByRole("button", { name: /Make primary/ }).click();
          await page.getByText(`${second} is now your primary address.`).waitFor();
          await row.getByText("Primary", { exact: true }).waitFor();
          assert.equal(await page.locator(`li[data-email="${email}"]`).getByText("Primary", { exact: true }).count(), 0);
          await shot(page, "email-primary");
          await page.goto("/dashboard");
          await page.getByTestId("user-email").filter({ hasText: second }).waitFor();
          await context.close();
        },
      ],
      [
        "change password",
        async () => {
          const email = uniqueEmail("change");
          await createVerifiedUser(email);
          const { context, page } = await newPage();
          await login(page, email);
          await page.goto("/account/password/change");
          const newPassword = "Brand-new-horse-91";
          await page.getByLabel("Current password").fill("not-my-password");
          await page.getByLabel("New password", { exact: true }).fill(newPassword);
          await page.getByLabel("New password (again)").fill(newPassword);
          await page.getByRole("button", { name: "Change password" }).click();
          await page.locator(".field--invalid").first().waitFor();
          assert.equal(await page.getByLabel("Current password").getAttribute("aria-invalid"), "true");
          await shot(page, "password-change-error");
          await page.getByLabel("Current password").fill(PASSWORD);
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByText("Your password has been changed.").waitFor();
          await shot(page, "password-change");
          // Still logged in here; log out and back in with the new password.
          await page.goto("/account/logout");
          await page.getByRole("button", { name: "Log out" }).click();
          await waitForPath(page, "/");
          await login(page, email, newPassword);
          await context.close();
        },
      ],
      [
        "sessions: a second browser is ended from the first",
        async () => {
          const email = uniqueEmail("sessions");
          await createVerifiedUser(email);
          const a = await newPage();
          const b = await newPage();
          await login(a.page, email);
          await login(b.page, email);
          await a.page.goto("/account/sessions");
          const rows = a.page.locator("tbody tr");
          await a.page.locator("tbody tr[data-current=true]").waitFor();
          await sleep(100);
          assert.equal(await rows.count(), 2);
          await shot(a.page, "sessions");
          const other = a.page.locator("tbody tr:not([data-current])");
          await other.getByRole("button", { name: /End/ }).click();
          await a.page.getByText("The session was ended.").waitFor();
          assert.equal(await rows.count(), 1);
          // The second browser is logged out: its next page load goes to the login page.
          await b.page.goto("/dashboard");
          await waitForPath(b.page, "/account/login?next=%2Fdashboard");
          // The first one is not.
          await a.page.goto("/dashboard");
          await a.page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          await a.context.close();
          await b.context.close();
        },
      ],
      [
        "a request without the CSRF token is refused (403)",
        async () => {
          const email = uniqueEmail("csrf");
          await createVerifiedUser(email);
          const { context, page } = await newPage();
          await login(page, email);
          const outcome = await page.evaluate(async () => {
            const url = "/_allauth/browser/v1/account/email";
            const body = JSON.stringify({ email: "csrf-probe@example.com" });
            const without = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
            const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
            const wrong = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": "x" + token.slice(1) }, body });
            const withToken = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body });
            return { without: without.status, withoutBody: await without.json(), wrong: wrong.status, withToken: withToken.status };
          });
          assert.equal(outcome.without, 403, JSON.stringify(outcome));
          assert.equal(outcome.withoutBody.status, 403);
          assert.equal(outcome.wrong, 403, JSON.stringify(outcome));
          assert.equal(outcome.withToken, 200, JSON.stringify(outcome));
          await context.close();
        },
      ],
      [
        "reauthentication: a sensitive action asks for the password, then returns",
        async () => {
          // A second server where managing email needs an authentication younger than 2 s.
          const strict = await startServer({
            smtpPort: mail.port,
            name: "server-reauth",
            settings: {
              "Gatehouse:Account:ReauthenticationRequired": "true",
              "Gatehouse:Account:ReauthenticationTimeout": "00:00:02",
            },
          });
          servers.push(strict);
          const email = uniqueEmail("reauth");
          const extra = uniqueEmail("reauth-extra");
          await createVerifiedUser(email, PASSWORD, strict.base);
          const { context, page } = await newPage(strict.base);
          await login(page, email);
          await sleep(2500);
          await page.goto("/account/email");
          await page.getByLabel("New email address").fill(extra);
          await page.getByRole("button", { name: "Add address" }).click();
          // 401 with the reauthenticate flow → /account/reauthenticate?next=<the email page>.
          await waitForPath(page, "/account/reauthenticate?next=%2Faccount%2Femail");
          await page.getByLabel("Password", { exact: true }).fill("wrong-password-1");
          await page.getByRole("button", { name: "Confirm" }).click();
          await page.locator(".field__errors, .alert--error").first().waitFor();
          await shot(page, "reauthenticate");
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByRole("button", { name: "Confirm" }).click();
          await waitForPath(page, "/account/email");
          await page.getByLabel("New email address").fill(extra);
          await page.getByRole("button", { name: "Add address" }).click();
          await page.getByText(`We have sent a confirmation link to ${extra}.`).waitFor();
          await context.close();
        },
      ],
      [
        "429 and network errors are shown clearly",
        async () => {
          const { context, page } = await newPage();
          await page.goto("/account/login");
          await page.getByLabel("Email").fill("nobody@example.com");
          await page.getByLabel("Password", { exact: true }).fill("whatever-password");
          await page.route("**/_allauth/browser/v1/auth/login", (route) =>
            route.fulfill({ status: 429, contentType: "application/json", body: JSON.stringify({ status: 429 }) }),
          );
          await page.getByRole("button", { name: "Log in" }).click();
          await page.getByRole("alert").filter({ hasText: "Too many requests" }).waitFor();
          await page.unroute("**/_allauth/browser/v1/auth/login");
          await page.route("**/_allauth/browser/v1/auth/login", (route) => route.abort("connectionrefused"));
          await page.getByRole("button", { name: "Log in" }).click();
          await page.getByRole("alert").filter({ hasText: "Could not reach the server" }).waitFor();
          await shot(page, "network-error");
          await context.close();
        },
      ],
    ],
    { only: process.argv[2] },
  );
} catch (error) {
  console.error(`e2e: setup failed: ${error?.stack ?? error}`);
  result = { passed: result.passed ?? 0, failed: Math.max(1, result.failed ?? 1) };
} finally {
  await shutdown();
}

writeFileSync(join(ARTIFACTS, "result.json"), JSON.stringify({ passed: result.passed, failed: result.failed }));
console.log(`\n${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed ? 1 : 0);
