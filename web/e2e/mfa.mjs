// End-to-end tests of the MFA and passkey pages: TOTP codes computed here (RFC 6238), passkeys with
// Chromium's virtual authenticator (CDP WebAuthn domain). run.mjs calls mfaTests() with its helpers.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// ---- RFC 6238 --------------------------------------------------------------------------------------

/** RFC 4648 base32 (the otpauth secret), without padding. */
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits: the server's defaults) for time step `step`. */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f; // RFC 4226 section 5.3, dynamic truncation
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, "0");
}

const nowStep = () => Math.floor(Date.now() / 1000 / 30);

/**
 * Codes for one secret that the server accepts in turn: it refuses a step at or before the last one
 * accepted (activation included) and accepts one step either side of now, so each code is for the
 * step after the last used one, which is at most now + 1 while codes are used less than once per step.
 */
function totpCodes(secret) {
  let last = -1;
  return () => {
    const step = Math.max(nowStep(), last + 1);
    assert.ok(step <= nowStep() + 1, "more TOTP codes asked for than 30-second steps went by");
    last = step;
    return totp(secret, step);
  };
}

// RFC 6238 appendix B: the SHA-1 vector at T = 59 s is 94287082 (8 digits), so 287082 with 6.
assert.equal(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1), "287082");

// ---- A same-host proxy on localhost ---------------------------------------------------------------

/**
 * WebAuthn needs a secure context and an rp id that is a domain, so these pages run on
 * http://localhost (Chromium treats it as secure). The server must know the origin with its port
 * before it starts (Gatehouse:FrontendUrls:BaseUrl gives the rp id and origin), but it binds port 0
 * and tells its port only when it runs; so a proxy binds first, on a port the kernel picks, and
 * forwards to the server once that one is known. The Host header passes unchanged, so the
 * server's CSRF origin check sees its own origin.
 */
async function startProxy() {
  let target = null;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", target);
    const upstream = http.request(url, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  const { port } = server.address();
  return {
    port,
    setTarget: (base) => (target = base),
    stop: () => new Promise((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
}

// ---- The tests ---------------------------------------------------------------------------------------

/**
 * @param {object} h run.mjs's helpers: mail, startServer, servers (stopped at the end), newPage(base),
 *   shot(page, name), waitForPath(page, path), uniqueEmail(tag), createVerifiedUser(email, password, base),
 *   logout(page), PASSWORD, sleep, firstUrl, loginCode
 * @returns {[string, () => Promise<void>][]}
 */
export function mfaTests(h) {
  const { ARTIFACTS, mail, startServer, servers, newPage, shot, waitForPath, uniqueEmail, createVerifiedUser, logout, PASSWORD, sleep, firstUrl, loginCode } = h;

  const started = new Map();
  /** A server on http://localhost:<proxy port> with these settings, started on first use. */
  async function mfaServer(name, settings = {}) {
    if (!started.has(name)) {
      const proxy = await startProxy();
      servers.push(proxy);
      const base = `http://localhost:${proxy.port}`;
      const server = await startServer({
        smtpPort: mail.port,
        name,
        settings: { "Gatehouse:FrontendUrls:BaseUrl": base, ...settings },
      });
      servers.push(server);
      proxy.setTarget(server.base);
      started.set(name, base);
    }
    return started.get(name);
  }

  /** The page a failing test screenshots (e2e-artifacts/FAILED-<test>.png). */
  let lastPage = null;
  const open = async (base) => {
    const p = await newPage(base);
    lastPage = p.page;
    return p;
  };
  const withFailureShot = (tests) =>
    tests.map(([name, fn]) => [
      name,
      async () => {
        lastPage = null;
        try {
          await fn();
        } catch (error) {
          await lastPage?.screenshot({ path: `${ARTIFACTS}/FAILED-${name.slice(0, 40).replace(/\W+/g, "-")}.png` }).catch(() => {});
          throw error;
        }
      },
    ]);

  /** A page whose browser has a platform authenticator with resident keys and user verification. */
  async function pageWithAuthenticator(base) {
    const p = await open(base);
    const cdp = await p.context.newCDPSession(p.page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    const credentials = async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
    return { ...p, credentials };
  }

  async function passwordLogin(page, email, password = PASSWORD) {
    await page.goto("/account/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
  }

  /** The codes on /account/2fa/recovery-codes, once the list is there. */
  async function recoveryCodes(page) {
    const items = page.getByTestId("recovery-codes").locator("li");
    await items.first().waitFor();
    return items.allInnerTexts();
  }

  async function atDashboard(page, email) {
    await waitForPath(page, "/dashboard");
    await page.getByTestId("user-email").filter({ hasText: email }).waitFor();
  }

  /** From the overview: the QR page, the secret read from it, activated with a code. Returns the code source. */
  async function activateTotp(page) {
    await page.goto("/account/2fa");
    await page.getByTestId("mfa-totp").getByRole("link", { name: "Activate" }).click();
    await waitForPath(page, "/account/2fa/totp/activate");
    await page.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
    const secret = (await page.getByTestId("totp-secret").innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    const codes = totpCodes(secret);
    await page.getByLabel("Authenticator code").fill(codes());
    await page.getByRole("button", { name: "Activate" }).click();
    return { secret, codes };
  }

  return withFailureShot([
    [
      "mfa: sign up, turn on TOTP, add a passkey; log in with TOTP, a recovery code, the passkey as second factor, the passkey alone",
      async () => {
        const base = await mfaServer("server-mfa");
        const { context, page, consoleErrors, credentials } = await pageWithAuthenticator(base);
        const email = uniqueEmail("mfa");

        // Sign up in the web app and confirm the address by the mailed link. This server has no
        // passkey signup: once the page has asked (GET auth/webauthn/signup: 404), it offers none.
        const probe = page.waitForResponse((r) => r.url().endsWith("/auth/webauthn/signup"));
        await page.goto("/account/signup");
        assert.equal((await probe).status(), 404);
        await page.getByLabel("Email").waitFor();
        assert.equal(await page.getByRole("link", { name: /passkey/ }).count(), 0);
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByLabel("Password (again)").fill(PASSWORD);
        await page.getByRole("button", { name: "Sign up" }).click();
        await waitForPath(page, "/account/verify-email");
        await page.goto(firstUrl((await mail.waitFor(email, "Confirm")).text));
        await page.getByRole("button", { name: "Confirm" }).click();
        await atDashboard(page, email);

        // TOTP: QR code and secret; a wrong code is a field error; the right one activates and
        // shows the recovery codes made with it.
        await page.goto("/account/2fa");
        await page.getByText("An authenticator app is not active.").waitFor();
        await shot(page, "mfa-overview-empty");
        await page.getByTestId("mfa-totp").getByRole("link", { name: "Activate" }).click();
        await waitForPath(page, "/account/2fa/totp/activate");
        await page.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
        const secret = (await page.getByTestId("totp-secret").innerText()).trim();
        await page.getByLabel("Authenticator code").fill(String((Number(totp(secret, nowStep())) + 1) % 1_000_000).padStart(6, "0"));
        await page.getByRole("button", { name: "Activate" }).click();
        await page.locator(".field__errors").first().waitFor();
        assert.equal(await page.getByLabel("Authenticator code").getAttribute("aria-invalid"), "true");
        await shot(page, "mfa-totp-activate");
        // A right code, but signing up is no authentication allauth counts as recent (it records
        // none): the password is asked first, then the page comes back with the same secret.
        await page.getByLabel("Authenticator code").fill(totp(secret, nowStep()));
        await page.getByRole("button", { name: "Activate" }).click();
        await waitForPath(page, "/account/reauthenticate?next=%2Faccount%2F2fa%2Ftotp%2Factivate");
        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByRole("button", { name: "Confirm" }).click();
        await waitForPath(page, "/account/2fa/totp/activate");
        // GET account/authenticators/totp hands out a new secret each time (as allauth's), so the page shows a new one.
        const activeSecret = (await page.getByTestId("totp-secret").innerText()).trim();
        const codes = totpCodes(activeSecret);
        await page.getByLabel("Authenticator code").fill(codes());
        await page.getByRole("button", { name: "Activate" }).click();
        await waitForPath(page, "/account/2fa/recovery-codes");
        const recovery = await recoveryCodes(page);
        assert.equal(recovery.length, 10, recovery.join(","));
        // The download is the same codes as text, one per line.
        const href = await page.getByRole("link", { name: "Download as text" }).getAttribute("href");
        assert.equal(decodeURIComponent(href.split(",")[1]), recovery.join("\n") + "\n");
        await shot(page, "mfa-recovery-codes");

        // A passkey (resident key) on the virtual authenticator.
        await page.goto("/account/2fa/webauthn/add");
        await page.getByLabel("Name").fill("Laptop passkey");
        await page.getByRole("button", { name: "Add key" }).click();
        await waitForPath(page, "/account/2fa/webauthn");
        const row = page.locator("li[data-authenticator-id]");
        await row.getByText("Laptop passkey").waitFor();
        await row.getByText("Passkey", { exact: true }).waitFor();
        assert.equal((await credentials()).length, 1);
        assert.equal((await credentials())[0].isResidentCredential, true);
        await page.goto("/account/2fa");
        await page.getByText("You have added 1 key.").waitFor();
        await page.getByText("10 of 10 recovery codes are unused.").waitFor();
        await shot(page, "mfa-overview");

        // 1. Password + TOTP: the login stops at the TOTP page (the flow offers all three types).
        await logout(page);
        await passwordLogin(page, email);
        await waitForPath(page, "/account/authenticate/totp");
        await page.getByRole("link", { name: "Use a recovery code" }).waitFor();
        await page.getByRole("link", { name: "Use a security key or passkey" }).waitFor();
        await page.getByLabel("Authenticator code").fill("000000" === totp(activeSecret, nowStep()) ? "111111" : "000000");
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.locator(".field__errors").first().waitFor();
        await shot(page, "mfa-authenticate-totp");
        await page.getByLabel("Authenticator code").fill(codes());
        await page.getByRole("button", { name: "Sign in" }).click();
        await atDashboard(page, email);

        // 2. Password + a recovery code; the code is used up.
        await logout(page);
        await passwordLogin(page, email);
        await waitForPath(page, "/account/authenticate/totp");
        await page.getByRole("link", { name: "Use a recovery code" }).click();
        await waitForPath(page, "/account/authenticate/recovery-codes");
        await page.getByLabel("Recovery code").fill(recovery[0]);
        await shot(page, "mfa-authenticate-recovery-code");
        await page.getByRole("button", { name: "Sign in" }).click();
        await atDashboard(page, email);
        await page.goto("/account/2fa");
        await page.getByText("9 of 10 recovery codes are unused.").waitFor();

        // 3. Password + the passkey as second factor.
        await logout(page);
        await passwordLogin(page, email);
        await waitForPath(page, "/account/authenticate/totp");
        await page.getByRole("link", { name: "Use a security key or passkey" }).click();
        await waitForPath(page, "/account/authenticate/webauthn");
        await shot(page, "mfa-authenticate-webauthn");
        await page.getByRole("button", { name: "Use security key" }).click();
        await atDashboard(page, email);

        // 4. The passkey alone, from the login page: no address, no password, no second step.
        await logout(page);
        await page.goto("/account/login");
        await page.getByRole("button", { name: "Sign in with a passkey" }).click();
        await atDashboard(page, email);
        await page.getByText("Two-factor,").first().waitFor();
        assert.deepEqual(consoleErrors, []);
        await context.close();
      },
    ],
    [
      "mfa: rename and remove a passkey, regenerate recovery codes, deactivate TOTP",
      async () => {
        const base = await mfaServer("server-mfa");
        const email = uniqueEmail("mfa-manage");
        await createVerifiedUser(email, PASSWORD, base);
        const { context, page, credentials } = await pageWithAuthenticator(base);
        await passwordLogin(page, email);
        await atDashboard(page, email);

        // A security key that is not a passkey first: it brings the recovery codes.
        await page.goto("/account/2fa/webauthn/add");
        await page.getByLabel("Name").fill("Yubi");
        await page.getByLabel("Passkey: also use it to log in without a password").uncheck();
        await page.getByRole("button", { name: "Add key" }).click();
        await waitForPath(page, "/account/2fa/recovery-codes");
        const first = await recoveryCodes(page);
        assert.equal(first.length, 10);

        await page.goto("/account/2fa/webauthn");
        const row = page.locator("li[data-authenticator-id]");
        await row.getByRole("button", { name: "Rename Yubi" }).click();
        await row.getByLabel("Name").fill("Blue key");
        await row.getByRole("button", { name: "Save" }).click();
        await page.getByText("The key was renamed.").waitFor();
        await row.getByText("Blue key").waitFor();
        await shot(page, "mfa-webauthn-list");

        // New recovery codes replace the old ones.
        await page.goto("/account/2fa/recovery-codes");
        await page.getByText("10 of 10 codes are unused.").waitFor();
        const shownOnce = page.getByText("cannot be shown again", { exact: false });
        await shownOnce.waitFor();
        assert.equal(await page.getByTestId("recovery-codes").count(), 0);
        await page.getByRole("link", { name: "Regenerate" }).click();
        await waitForPath(page, "/account/2fa/recovery-codes/generate");
        await page.getByRole("button", { name: "Generate new codes" }).click();
        const second = await recoveryCodes(page);
        await shot(page, "mfa-recovery-codes-new");
        assert.equal(second.length, 10);
        assert.equal(second.filter((c) => first.includes(c)).length, 0);

        // TOTP on and off again.
        await activateTotp(page);
        await waitForPath(page, "/account/2fa");
        await page.getByText("Active", { exact: true }).waitFor();
        await page.getByTestId("mfa-totp").getByRole("link", { name: "Deactivate" }).click();
        await waitForPath(page, "/account/2fa/totp/deactivate");
        await page.getByRole("button", { name: "Deactivate" }).click();
        await waitForPath(page, "/account/2fa");
        await page.getByText("An authenticator app is not active.").waitFor();

        // Removing the last key leaves no second factor (and no recovery codes).
        await page.goto("/account/2fa/webauthn");
        await row.getByRole("button", { name: "Remove Blue key" }).click();
        await page.getByText("Blue key was removed.").waitFor();
        await page.getByText("No security keys or passkeys have been added.").waitFor();
        assert.equal((await credentials()).length, 1, "the browser keeps its credential; the server forgot it");
        await logout(page);
        await passwordLogin(page, email);
        await atDashboard(page, email);
        await context.close();
      },
    ],
    [
      "mfa: reauthentication with the password, with an authenticator code and with the passkey, then back to the action",
      async () => {
        // Authenticator changes need an authentication younger than 6 s here (long enough for the steps after one).
        const base = await mfaServer("server-mfa-reauth", { "Gatehouse:Account:ReauthenticationTimeout": "00:00:06" });
        const email = uniqueEmail("mfa-reauth");
        await createVerifiedUser(email, PASSWORD, base);
        const { context, page } = await pageWithAuthenticator(base);
        await passwordLogin(page, email);
        await atDashboard(page, email);
        await sleep(6500);

        // The password: activating TOTP asks for it, then the page comes back and activation goes on.
        await page.goto("/account/2fa/totp/activate");
        await page.getByTestId("totp-secret").waitFor();
        // The code is checked before the reauthentication (as allauth's form is): it must be right.
        const first = (await page.getByTestId("totp-secret").innerText()).trim();
        await page.getByLabel("Authenticator code").fill(totp(first, nowStep()));
        await page.getByRole("button", { name: "Activate" }).click();
        await waitForPath(page, "/account/reauthenticate?next=%2Faccount%2F2fa%2Ftotp%2Factivate");
        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByRole("button", { name: "Confirm" }).click();
        await waitForPath(page, "/account/2fa/totp/activate");
        const secret = (await page.getByTestId("totp-secret").innerText()).trim();
        const codes = totpCodes(secret);
        await page.getByLabel("Authenticator code").fill(codes());
        await page.getByRole("button", { name: "Activate" }).click();
        await waitForPath(page, "/account/2fa/recovery-codes");
        await page.getByTestId("recovery-codes").locator("li").first().waitFor();

        // An authenticator code: the password page links to the factors the 401 offered.
        await sleep(6500);
        await page.goto("/account/2fa/recovery-codes/generate");
        await page.getByRole("button", { name: "Generate new codes" }).click();
        await waitForPath(page, "/account/reauthenticate?next=%2Faccount%2F2fa%2Frecovery-codes%2Fgenerate");
        await page.getByRole("link", { name: "Use your authenticator app" }).click();
        await waitForPath(page, "/account/reauthenticate/totp?next=%2Faccount%2F2fa%2Frecovery-codes%2Fgenerate");
        await page.getByLabel("Authenticator code").fill(codes());
        await shot(page, "mfa-reauthenticate-totp");
        await page.getByRole("button", { name: "Confirm" }).click();
        await waitForPath(page, "/account/2fa/recovery-codes/generate");
        await page.getByRole("button", { name: "Generate new codes" }).click();
        await recoveryCodes(page);

        // The passkey, once one is added (adding it needs a recent login too: the password above).
        await sleep(6500);
        await page.goto("/account/2fa/webauthn/add");
        await page.getByLabel("Name").fill("Phone");
        await page.getByRole("button", { name: "Add key" }).click();
        await waitForPath(page, "/account/reauthenticate?next=%2Faccount%2F2fa%2Fwebauthn%2Fadd");
        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByRole("button", { name: "Confirm" }).click();
        await waitForPath(page, "/account/2fa/webauthn/add");
        await page.getByLabel("Name").fill("Phone");
        await page.getByRole("button", { name: "Add key" }).click();
        await waitForPath(page, "/account/2fa/webauthn");
        await sleep(6500);
        const row = page.locator("li[data-authenticator-id]");
        await row.getByRole("button", { name: "Remove Phone" }).click();
        await waitForPath(page, "/account/reauthenticate?next=%2Faccount%2F2fa%2Fwebauthn");
        await page.getByRole("link", { name: "Use a security key or passkey" }).click();
        await waitForPath(page, "/account/reauthenticate/webauthn?next=%2Faccount%2F2fa%2Fwebauthn");
        await page.getByRole("button", { name: "Use security key" }).click();
        await waitForPath(page, "/account/2fa/webauthn");
        await row.getByRole("button", { name: "Remove Phone" }).click();
        await page.getByText("Phone was removed.").waitFor();
        await context.close();
      },
    ],
    [
      "mfa: trust this browser skips the second factor on the next login",
      async () => {
        const base = await mfaServer("server-mfa-trust", { "Gatehouse:Mfa:TrustEnabled": "true" });
        const email = uniqueEmail("mfa-trust");
        await createVerifiedUser(email, PASSWORD, base);
        const { context, page } = await open(base);
        await passwordLogin(page, email);
        await atDashboard(page, email);
        const { codes } = await activateTotp(page);
        await waitForPath(page, "/account/2fa/recovery-codes");
        const recovery = await recoveryCodes(page);

        // Not trusted: the next login asks again. (A recovery code first: one TOTP code per 30 s step.)
        await logout(page);
        await passwordLogin(page, email);
        await waitForPath(page, "/account/authenticate/totp");
        await page.getByRole("link", { name: "Use a recovery code" }).click();
        await page.getByLabel("Recovery code").fill(recovery[0]);
        await page.getByRole("button", { name: "Sign in" }).click();
        await waitForPath(page, "/account/2fa/trust");
        await shot(page, "mfa-trust");
        await page.getByRole("button", { name: "Don't trust" }).click();
        await atDashboard(page, email);
        await logout(page);
        await passwordLogin(page, email);
        await waitForPath(page, "/account/authenticate/totp");
        await page.getByLabel("Authenticator code").fill(codes());
        await page.getByRole("button", { name: "Sign in" }).click();
        await waitForPath(page, "/account/2fa/trust");
        await page.getByRole("button", { name: "Trust this browser" }).click();
        await atDashboard(page, email);

        // Trusted: the password is enough in this browser, and only here.
        await logout(page);
        await passwordLogin(page, email);
        await atDashboard(page, email);
        const other = await newPage(base);
        await passwordLogin(other.page, email);
        await waitForPath(other.page, "/account/authenticate/totp");
        await other.context.close();
        await context.close();
      },
    ],
    [
      "mfa: passkey signup: an address confirmed by code, a passkey made, then logging in with it",
      async () => {
        const base = await mfaServer("server-mfa-passkey-signup", {
          "Gatehouse:Mfa:PasskeySignupEnabled": "true",
          "Gatehouse:Account:EmailVerificationByCodeEnabled": "true",
        });
        const email = uniqueEmail("passkey-signup");
        const { context, page, consoleErrors, credentials } = await pageWithAuthenticator(base);
        await page.goto("/account/signup");
        await page.getByRole("link", { name: "Sign up with a passkey instead" }).click();
        await waitForPath(page, "/account/signup/passkey");
        await page.getByLabel("Email").fill(email);
        await page.getByRole("button", { name: "Continue" }).click();
        await waitForPath(page, "/account/verify-email");
        await page.getByRole("textbox", { name: "Code" }).fill(loginCode((await mail.waitFor(email, "Confirm")).text));
        await page.getByRole("button", { name: "Confirm" }).click();
        await waitForPath(page, "/account/signup/passkey/create");
        await page.getByLabel("Name").fill("First passkey");
        await shot(page, "mfa-signup-passkey-create");
        await page.getByRole("button", { name: "Create passkey" }).click();
        await atDashboard(page, email);
        assert.equal((await credentials()).length, 1);
        // No password: the dashboard says so, and the passkey is how this account logs in.
        await page.getByText("Not set").waitFor();
        await logout(page);
        await page.goto("/account/login");
        await page.getByRole("button", { name: "Sign in with a passkey" }).click();
        await atDashboard(page, email);
        await page.goto("/account/2fa/webauthn");
        await page.locator("li[data-authenticator-id]").getByText("First passkey").waitFor();
        assert.deepEqual(consoleErrors, []);
        await context.close();
      },
    ],
    [
      "mfa: a staff account without MFA is sent to set up TOTP, which logs it in and shows its recovery codes",
      async () => {
        // The API cannot make a staff account, so this server's SQLite file is here, for the sqlite3 CLI.
        const dir = mkdtempSync(join(tmpdir(), "gatehouse-e2e-staff-"));
        const db = join(dir, "gatehouse.db");
        const base = await mfaServer("server-mfa-staff", {
          "Gatehouse:Database:ConnectionString": `Data Source=${db}`,
          "Gatehouse:Mfa:RequiredForStaff": "true",
        });
        servers.push({ stop: async () => rmSync(dir, { recursive: true, force: true }) });
        const email = uniqueEmail("staff");
        await createVerifiedUser(email, PASSWORD, base);
        execFileSync("sqlite3", [
          db,
          `UPDATE users SET is_staff = 1 WHERE id IN (SELECT user_id FROM email_addresses WHERE email = '${email}');`,
        ]);
        const { context, page, consoleErrors } = await open(base);
        await passwordLogin(page, email);
        // Pending mfa_setup: the TOTP page, for this user before the login completes.
        await waitForPath(page, "/account/2fa/totp/activate?next=%2Faccount%2F2fa%2Frecovery-codes");
        await page.getByText("Your account must have two-factor authentication.", { exact: false }).waitFor();
        const secret = (await page.getByTestId("totp-secret").innerText()).trim();
        const codes = totpCodes(secret);
        await shot(page, "mfa-setup");
        await page.getByLabel("Authenticator code").fill(codes());
        await page.getByRole("button", { name: "Activate" }).click();
        await waitForPath(page, "/account/2fa/recovery-codes");
        assert.equal((await recoveryCodes(page)).length, 10);
        // From now on the login asks for the second factor.
        await logout(page);
        await passwordLogin(page, email);
        await waitForPath(page, "/account/authenticate/totp");
        await page.getByLabel("Authenticator code").fill(codes());
        await page.getByRole("button", { name: "Sign in" }).click();
        await atDashboard(page, email);
        assert.deepEqual(consoleErrors, []);
        await context.close();
      },
    ],
  ]);
}
