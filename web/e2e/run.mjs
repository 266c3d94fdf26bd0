// End-to-end tests: the real server, real SMTP, Debian's Chromium. `node e2e/run.mjs [name filter]`.
// Prints one line per test and a final "N passed, N failed"; exits 1 when a test failed.
import assert from "node:assert/strict";
import { cookieJwtTests } from "./cookie-jwt.mjs";
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
import { mfaTests } from "./mfa.mjs";

const TIMEOUT = 20000;
let counter = 0;
const uniqueEmail = (tag) => `${tag}-${Date.now().toString(36)}-${++counter}@example.com`;
const PASSWORD = "Tr0ub4dor&3-horse";
// The hint under every new-password field (web/src/components/NewPassword.tsx).
const RULES = "At least 8 characters; not a common or all-numeric password";

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

  /** A fresh browser context; `options` may set a phone's viewport or another user agent. */
  async function newPage(base = BASE, options = {}) {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1100, height: 800 }, ...options });
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

  /** Servers with other settings, started on first use and shared by the tests that need them. */
  const extraServers = new Map();
  async function serverWith(name, settings) {
    if (!extraServers.has(name)) {
      const s = await startServer({ smtpPort: mail.port, name, settings });
      servers.push(s);
      extraServers.set(name, s);
    }
    return extraServers.get(name).base;
  }
  const USERNAME_LOGIN = {
    "Gatehouse:Account:LoginMethods:0": "email",
    "Gatehouse:Account:LoginMethods:1": "username",
    "Gatehouse:Account:SignupUsername": "true",
  };
  // Verification and reset by code; rate limits on, with one resend of a verification code per day,
  // so a second resend meets the server's real 429.
  const BY_CODE = {
    "Gatehouse:Account:EmailVerificationByCodeEnabled": "true",
    "Gatehouse:Account:PasswordResetByCodeEnabled": "true",
    "Gatehouse:RateLimits:Enabled": "true",
    // The signup mail counts too (allauth counts every verification mail): one resend a day after it.
    "Gatehouse:RateLimits:Rules:confirm_email": "2/1d/key",
  };

  /** The key of a verification link, or the code when the server verifies by code. */
  function verificationSecret(text) {
    return /https?:\/\//.test(text) ? decodeURIComponent(firstUrl(text).split("/account/verify-email/")[1]) : loginCode(text);
  }

  /** A verified account made over the app API (no browser), for tests that start logged out. */
  async function createVerifiedUser(email, password = PASSWORD, base = BASE, extra = {}) {
    const app = `${base}/_allauth/app/v1`;
    const r = await fetch(`${app}/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password, ...extra }),
    });
    const body = await r.json();
    assert.equal(body.status, 401, JSON.stringify(body));
    const m = await mail.waitFor(email, "Confirm");
    const key = verificationSecret(m.text);
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

  /** The page does not scroll sideways, and nothing in it reaches past the viewport's right edge. */
  async function assertFitsWidth(page) {
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll("body *")]
        .filter((el) => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && (r.right > width + 0.5 || r.left < -0.5) && !el.closest(".sr-only, .skip-link");
        })
        .map((el) => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`);
      return { width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5) };
    });
    assert.ok(overflow.scrollWidth <= overflow.width, `the page scrolls sideways: ${JSON.stringify(overflow)}`);
    assert.deepEqual(overflow.wide, [], `wider than ${overflow.width} px`);
  }

  async function logout(page) {
    await page.goto("/account/logout");
    await page.getByRole("button", { name: "Log out" }).click();
    await waitForPath(page, "/");
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
      ...cookieJwtTests({ serverWith, newPage, uniqueEmail, PASSWORD, createVerifiedUser, login, shot }),
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
          // The password rules are shown wherever a new password is chosen, not only on signup.
          await page.getByText(RULES).waitFor();
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
          // The server's own message for email_password_mismatch, as allauth words it.
          await page.getByText("The email address and/or password you specified are not correct.").waitFor();
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
          await page.getByText(RULES).waitFor();
          await page.getByRole("button", { name: "Change password" }).click();
          await page.locator(".field--invalid").first().waitFor();
          assert.equal(await page.getByLabel("Current password").getAttribute("aria-invalid"), "true");
          // A wrong password is called wrong, not "Please type your current password." as if the field were empty.
          await page.locator(".field--invalid").getByText("Incorrect password.", { exact: true }).waitFor();
          assert.equal(await page.getByText("Please type your current password.").count(), 0);
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
          // The list arrives in one answer: once the current session shows, all of them do.
          const rows = a.page.locator("li[data-session-id]");
          await a.page.locator("li[data-session-id][data-current=true]").waitFor();
          assert.equal(await rows.count(), 2);
          await shot(a.page, "sessions");
          const other = a.page.locator("li[data-session-id]:not([data-current])");
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
          await page.locator(".field__errors").getByText("Incorrect password.", { exact: true }).waitFor();
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
        "both login methods: a username is sent as username, an address as email",
        async () => {
          const base = await serverWith("server-usernames", USERNAME_LOGIN);
          const email = uniqueEmail("both");
          const username = `user${Date.now().toString(36)}${++counter}`;
          const { context, page, consoleErrors } = await newPage(base);
          // Signup asks for a username too: this server logs in by username, so it requires one.
          await page.goto("/account/signup");
          await page.getByLabel("Email").fill(email);
          await page.getByLabel("Username").fill(username);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByLabel("Password (again)").fill(PASSWORD);
          await page.getByRole("button", { name: "Sign up" }).click();
          await waitForPath(page, "/account/verify-email");
          await page.goto(firstUrl((await mail.waitFor(email, "Confirm")).text));
          await page.getByRole("button", { name: "Confirm" }).click();
          await waitForPath(page, "/dashboard");
          await logout(page);

          const loginBodies = [];
          page.on("request", (r) => {
            if (r.method() === "POST" && r.url().endsWith("/auth/login")) loginBodies.push(r.postDataJSON());
          });
          await page.goto("/account/login");
          const identifier = page.getByLabel("Email or username");
          await identifier.fill(username);
          await page.getByLabel("Password", { exact: true }).fill("not-the-password");
          await page.getByRole("button", { name: "Log in" }).click();
          // The server's message for username_password_mismatch: it was asked by username.
          await page.getByText("The username and/or password you specified are not correct.").waitFor();
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByRole("button", { name: "Log in" }).click();
          await waitForPath(page, "/dashboard");
          await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          await shot(page, "login-username");
          await logout(page);

          await page.goto("/account/login");
          await page.getByLabel("Email or username").fill(email);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByRole("button", { name: "Log in" }).click();
          await waitForPath(page, "/dashboard");
          await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          assert.deepEqual(loginBodies, [
            { username, password: "not-the-password" },
            { username, password: PASSWORD },
            { email, password: PASSWORD },
          ]);
          assert.deepEqual(consoleErrors, []);
          await context.close();
        },
      ],
      [
        "email verification by code: signup, a wrong code, then the mailed code logs in",
        async () => {
          const base = await serverWith("server-codes", BY_CODE);
          const email = uniqueEmail("vcode");
          const { context, page, consoleErrors } = await newPage(base);
          await page.goto("/account/signup");
          await page.getByText("We will email you a code to confirm your address.").waitFor();
          await page.getByLabel("Email").fill(email);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByLabel("Password (again)").fill(PASSWORD);
          await page.getByRole("button", { name: "Sign up" }).click();
          // verify_email pending with verification by code → the code form, not "unsupported".
          await waitForPath(page, "/account/verify-email");
          const codeField = page.getByRole("textbox", { name: "Code" });
          await codeField.waitFor();
          const code = loginCode((await mail.waitFor(email, "Confirm")).text);
          await codeField.fill("AAAA-AAAA");
          await page.getByRole("button", { name: "Confirm", exact: true }).click();
          await page.locator(".field__errors").getByText("Incorrect code.").waitFor();
          assert.equal(await codeField.getAttribute("aria-invalid"), "true");
          await shot(page, "verify-email-code");
          await codeField.fill(code);
          await page.getByRole("button", { name: "Confirm", exact: true }).click();
          await waitForPath(page, "/dashboard");
          await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
          assert.deepEqual(consoleErrors, []);
          await context.close();
        },
      ],
      [
        "password reset by code: asking again after going back, a wrong code, the mailed code, then the new password",
        async () => {
          const base = await serverWith("server-codes", BY_CODE);
          const email = uniqueEmail("rcode");
          await createVerifiedUser(email, PASSWORD, base);
          const { context, page, consoleErrors } = await newPage(base);
          await page.goto("/account/password/reset");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Send the code" }).click();
          // password_reset_by_code pending → the code page (allauth's SPA path).
          await waitForPath(page, "/account/password/reset/confirm");
          await mail.waitFor(email, "Password Reset Code");
          // Back, and ask again: a new flow, a new code, and the code page opens again.
          await page.goBack();
          await waitForPath(page, "/account/password/reset");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Send the code" }).click();
          await waitForPath(page, "/account/password/reset/confirm");
          const code = loginCode((await mail.waitFor(email, "Password Reset Code")).text);

          const codeField = page.getByRole("textbox", { name: "Code" });
          await codeField.fill("AAAA-AAAA");
          await page.getByRole("button", { name: "Continue" }).click();
          await page.locator(".field__errors").getByText("Incorrect code.").waitFor();
          await codeField.fill(code);
          await page.getByRole("button", { name: "Continue" }).click();
          await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
          await page.getByText(RULES).waitFor();
          const newPassword = "Code-reset-horse-42";
          await page.getByLabel("New password", { exact: true }).fill("12345678");
          await page.getByLabel("New password (again)").fill("12345678");
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByText("This password is entirely numeric.").waitFor();
          await shot(page, "password-reset-code");
          await page.getByLabel("New password", { exact: true }).fill(newPassword);
          await page.getByLabel("New password (again)").fill(newPassword);
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByRole("heading", { name: "Password changed" }).waitFor();
          await login(page, email, newPassword);
          assert.deepEqual(consoleErrors, []);
          await context.close();
        },
      ],
      [
        "link verification: right after signup the page says when a new link can be had, never to start again",
        async () => {
          const email = uniqueEmail("resend");
          const { context, page } = await newPage();
          await page.goto("/account/signup");
          await page.getByLabel("Email").fill(email);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByLabel("Password (again)").fill(PASSWORD);
          await page.getByRole("button", { name: "Sign up" }).click();
          await waitForPath(page, "/account/verify-email");
          const hint = page.getByTestId("resend-hint");
          await hint.waitFor();
          const text = await hint.innerText();
          assert.match(text, /From \d{1,2}:\d{2}.* you can get a new link by logging in again\./, text);
          await shot(page, "verify-email-resend");
          await mail.waitFor(email, "Confirm");
          // Logging in again within the cooldown sends no new link (the server skips it), so the time stays.
          await page.getByRole("link", { name: "Log in again" }).click();
          // The link is a client-side navigation: until the login page is shown, "Email" would
          // match the verification page's own heading.
          await waitForPath(page, "/account/login");
          await page.getByLabel("Email", { exact: true }).fill(email);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByRole("button", { name: "Log in" }).click();
          await waitForPath(page, "/account/verify-email");
          assert.equal(await hint.innerText(), text);
          assert.equal(await page.getByText(/start again/i).count(), 0);
          await context.close();
        },
      ],
      [
        "code verification: a new code once, then the page says when to ask again (the server's 429)",
        async () => {
          const base = await serverWith("server-codes", BY_CODE);
          const email = uniqueEmail("vresend");
          const { context, page } = await newPage(base);
          await page.goto("/account/signup");
          await page.getByLabel("Email").fill(email);
          await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
          await page.getByLabel("Password (again)").fill(PASSWORD);
          await page.getByRole("button", { name: "Sign up" }).click();
          await waitForPath(page, "/account/verify-email");
          await mail.waitFor(email, "Confirm");
          await page.getByRole("button", { name: "Send a new code" }).click();
          await page.getByText("A new code is on its way.").waitFor();
          const code = loginCode((await mail.waitFor(email, "Confirm")).text);
          // The server allows one resend per day here: the second answers 429.
          await page.getByRole("button", { name: "Send a new code" }).click();
          const wait = page.getByRole("alert").filter({ hasText: "You can ask for another from" });
          await wait.waitFor();
          assert.match(await wait.innerText(), /A code was sent at \d{1,2}:\d{2}.*\. You can ask for another from \d{1,2}:\d{2}/);
          assert.equal(await page.getByText(/start again/i).count(), 0);
          await shot(page, "verify-email-code-wait");
          await page.getByRole("textbox", { name: "Code" }).fill(code);
          await page.getByRole("button", { name: "Confirm", exact: true }).click();
          await waitForPath(page, "/dashboard");
          await context.close();
        },
      ],
      [
        "login by code: asking again after going back opens the code page again",
        async () => {
          const email = uniqueEmail("again");
          await createVerifiedUser(email);
          const { context, page } = await newPage();
          await page.goto("/account/login/code");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Email me a code" }).click();
          await waitForPath(page, "/account/login/code/confirm");
          await mail.waitFor(email, "Sign-In Code");
          await page.goBack();
          await waitForPath(page, "/account/login/code");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Email me a code" }).click();
          await waitForPath(page, "/account/login/code/confirm");
          const code = loginCode((await mail.waitFor(email, "Sign-In Code")).text);
          await page.getByRole("textbox", { name: "Code" }).fill(code);
          await page.getByRole("button", { name: "Sign in" }).click();
          await waitForPath(page, "/dashboard");
          await context.close();
        },
      ],
      [
        "signup: a field's old errors go away as soon as the field changes",
        async () => {
          const { context, page } = await newPage();
          await page.goto("/account/signup");
          const email = page.getByLabel("Email");
          const pw = page.getByLabel("Password", { exact: true });
          await email.fill("not-an-address");
          await pw.fill("password");
          await page.getByLabel("Password (again)").fill("password");
          await page.getByRole("button", { name: "Sign up" }).click();
          await page.getByText("This password is too common.").waitFor();
          assert.equal(await pw.getAttribute("aria-invalid"), "true");
          assert.equal(await email.getAttribute("aria-invalid"), "true");
          await pw.fill(PASSWORD);
          // No request was made: the errors belonged to the old value.
          await page.getByText("This password is too common.").waitFor({ state: "detached" });
          assert.equal(await pw.getAttribute("aria-invalid"), null);
          assert.equal(await email.getAttribute("aria-invalid"), "true");
          await email.fill(uniqueEmail("fixed"));
          await page.locator('input[name="email"]:not([aria-invalid])').waitFor();
          await page.getByLabel("Password (again)").fill("something-else-1");
          await page.getByRole("button", { name: "Sign up" }).click();
          await page.getByText("The two passwords do not match.").waitFor();
          await page.getByLabel("Password (again)").fill(PASSWORD);
          await page.getByText("The two passwords do not match.").waitFor({ state: "detached" });
          await context.close();
        },
      ],
      [
        "set a password: an account without one is shown the password rules",
        async () => {
          // Signed up but never verified, then logged in by code: the code proves the mailbox, and the
          // password chosen at signup is dropped (someone else may have chosen it).
          const email = uniqueEmail("nopw");
          const r = await fetch(`${BASE}/_allauth/app/v1/auth/signup`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ email, password: PASSWORD }),
          });
          assert.equal(r.status, 401);
          await mail.waitFor(email, "Confirm");
          const { context, page } = await newPage();
          await page.goto("/account/login/code");
          await page.getByLabel("Email").fill(email);
          await page.getByRole("button", { name: "Email me a code" }).click();
          await waitForPath(page, "/account/login/code/confirm");
          await page.getByRole("textbox", { name: "Code" }).fill(loginCode((await mail.waitFor(email, "Sign-In Code")).text));
          await page.getByRole("button", { name: "Sign in" }).click();
          await waitForPath(page, "/dashboard");
          await page.goto("/account/password/change");
          await page.getByRole("heading", { name: "Set a password" }).waitFor();
          await page.getByText(RULES).waitFor();
          assert.equal(await page.getByLabel("Current password").count(), 0);
          await page.getByLabel("New password", { exact: true }).fill("Set-horse-password-5");
          await page.getByLabel("New password (again)").fill("Set-horse-password-5");
          await page.getByRole("button", { name: "Set password" }).click();
          await page.getByText("Your password has been set.").waitFor();
          await context.close();
        },
      ],
      [
        "sessions on a 360 px phone: browser and OS, no raw user agent, last seen, nothing overflows",
        async () => {
          const email = uniqueEmail("phone");
          await createVerifiedUser(email);
          const PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
          const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
          const phone = await newPage(BASE, { viewport: { width: 360, height: 740 }, userAgent: PHONE, isMobile: true, hasTouch: true });
          const desktop = await newPage(BASE, { userAgent: DESKTOP });
          await login(desktop.page, email);
          await login(phone.page, email);
          const page = phone.page;
          await page.goto("/account/sessions");
          const current = page.locator("li[data-session-id][data-current=true]");
          await current.waitFor();
          await current.getByTestId("session-device").filter({ hasText: /^Chrome 126 on Android 14$/ }).waitFor();
          await current.getByText("This browser").waitFor();
          const other = page.locator("li[data-session-id]:not([data-current])");
          await other.getByTestId("session-device").filter({ hasText: /^Firefox 128 on Windows 10$/ }).waitFor();
          // The End button names the session by its device for screen readers too.
          await other.getByRole("button", { name: "End the session of Firefox 128 on Windows 10" }).waitFor();
          const text = await page.locator("main").innerText();
          assert.ok(!text.includes("Mozilla/5.0"), text);
          // The server tracks activity (config usersessions.track_activity): each session shows when it was last seen.
          assert.ok(!text.includes("—"), text);
          await current.getByTestId("session-last-seen").waitFor();
          assert.equal(await page.getByTestId("session-last-seen").count(), 2);
          await assertFitsWidth(page);
          await shot(page, "sessions-360");
          await phone.context.close();
          await desktop.context.close();
        },
      ],
      [
        "the login page fits a 360 px phone",
        async () => {
          const { context, page } = await newPage(BASE, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
          await page.goto("/account/login");
          await page.getByRole("heading", { name: "Log in" }).waitFor();
          await page.getByLabel("Email").fill("someone-with-a-rather-long-address@example.com");
          await page.getByLabel("Password", { exact: true }).fill("wrong-password-1");
          await page.getByRole("button", { name: "Log in" }).click();
          await page.getByText("The email address and/or password you specified are not correct.").waitFor();
          await assertFitsWidth(page);
          await shot(page, "login-360");
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
      ...mfaTests({ ARTIFACTS, mail, startServer, servers, newPage, shot, waitForPath, uniqueEmail, createVerifiedUser, logout, PASSWORD, sleep, firstUrl, loginCode }),
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
