// End-to-end tests of the SimpleJWT-style cookie endpoints (Gatehouse:CookieTokens) in Chromium, and of the
// dashboard's card that reads GET /api/v1/users/me. run.mjs spreads cookieJwtTests(...) into its list.
import assert from "node:assert/strict";

const PREFIX = "/api/auth/";

/**
 * @param {{ serverWith: (name: string, settings: Record<string, string>) => Promise<string>,
 *   newPage: (base?: string) => Promise<{ context: any, page: any, consoleErrors: string[] }>,
 *   uniqueEmail: (tag: string) => string, PASSWORD: string, createVerifiedUser: Function,
 *   login: Function, shot: Function }} h the run's helpers
 */
export function cookieJwtTests({ serverWith, newPage, uniqueEmail, PASSWORD, createVerifiedUser, login, shot }) {
  const COOKIE_JWT = {
    "Gatehouse:CookieTokens:Enabled": "true",
    // register/ logs in at once, as the seeds' register view does; with mandatory verification it mails a link.
    "Gatehouse:Account:EmailVerification": "None",
  };

  return [
    [
      "cookie JWT: register, HttpOnly tokens unreadable by script, auth-check, users/me, refresh, logout, login",
      async () => {
        const base = await serverWith("cookie-jwt", COOKIE_JWT);
        const { context, page, consoleErrors } = await newPage(base);
        await page.goto("/"); // a page of the server's origin: the SPA's fetch calls are same-origin
        const email = uniqueEmail("cookie");

        // Everything below runs in the page, as the SPA's own code would: fetch with the cookies, and the
        // csrftoken cookie (readable, unlike the tokens) echoed in X-CSRFToken on the cookie-authenticated POSTs.
        const run = (steps) => page.evaluate(steps, { prefix: PREFIX, email, password: PASSWORD });

        const registered = await run(async ({ prefix, email, password }) => {
          const r = await fetch(`${prefix}register/`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Accept: "application/json" },
            body: JSON.stringify({ email, password }),
            credentials: "include",
          });
          return { status: r.status, body: await r.json(), cookie: document.cookie };
        });
        assert.equal(registered.status, 201, JSON.stringify(registered.body));
        assert.equal(registered.body.user.email, email);
        assert.ok(registered.body.access, "the access token is in the body");
        assert.ok(!("refresh" in registered.body), "the refresh token is never in the body");
        // Script sees the CSRF cookie, never a token.
        assert.match(registered.cookie, /csrftoken=/);
        assert.doesNotMatch(registered.cookie, /access_token|refresh_token/);
        const jar = await context.cookies();
        const access = jar.find((c) => c.name === "access_token");
        const refresh = jar.find((c) => c.name === "refresh_token");
        assert.ok(access?.httpOnly && access.sameSite === "Lax" && access.path === "/", JSON.stringify(access));
        assert.ok(refresh?.httpOnly && refresh.sameSite === "Lax" && refresh.path === PREFIX, JSON.stringify(refresh));

        const checked = await run(async ({ prefix }) => {
          const check = await fetch(`${prefix}auth-check/`, { credentials: "include" });
          const me = await fetch("/api/v1/users/me", { credentials: "include", headers: { Accept: "application/json" } });
          return { check: check.status, checkBody: await check.json(), me: me.status, meBody: await me.json() };
        });
        assert.equal(checked.check, 200, JSON.stringify(checked.checkBody));
        assert.equal(checked.checkBody.user.email, email);
        assert.equal(checked.me, 200, JSON.stringify(checked.meBody));
        assert.equal(checked.meBody.email, email);
        assert.equal(checked.meBody.has_mfa, false);

        const refreshed = await run(async ({ prefix }) => {
          const csrf = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie)?.[1] ?? "";
          const without = await fetch(`${prefix}token/refresh/`, { method: "POST", credentials: "include" });
          const r = await fetch(`${prefix}token/refresh/`, { method: "POST", credentials: "include", headers: { "X-CSRFToken": csrf } });
          return { without: without.status, status: r.status, body: await r.json(), cookie: document.cookie };
        });
        assert.equal(refreshed.without, 403, "a cookie-authenticated POST without the CSRF header is refused");
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.notEqual(refreshed.body.access, registered.body.access);
        assert.doesNotMatch(refreshed.cookie, /access_token|refresh_token/);
        const rotated = (await context.cookies()).find((c) => c.name === "refresh_token");
        assert.ok(rotated && rotated.value !== refresh.value, "the refresh cookie rotated");

        const loggedOut = await run(async ({ prefix }) => {
          const csrf = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie)?.[1] ?? "";
          const r = await fetch(`${prefix}logout/`, { method: "POST", credentials: "include", headers: { "X-CSRFToken": csrf } });
          const check = await fetch(`${prefix}auth-check/`, { credentials: "include" });
          const me = await fetch("/api/v1/users/me", { credentials: "include", headers: { Accept: "application/json" } });
          return { status: r.status, check: check.status, me: me.status };
        });
        assert.deepEqual(loggedOut, { status: 200, check: 401, me: 401 });
        assert.ok(!(await context.cookies()).some((c) => c.name === "access_token" || c.name === "refresh_token"));

        const again = await run(async ({ prefix, email, password }) => {
          const wrong = await fetch(`${prefix}token/`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ email, password: password + "x" }),
            credentials: "include",
          });
          const r = await fetch(`${prefix}token/`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ email, password }),
            credentials: "include",
          });
          const check = await fetch(`${prefix}auth-check/`, { credentials: "include" });
          return { wrong: wrong.status, wrongBody: await wrong.json(), status: r.status, check: check.status };
        });
        assert.equal(again.wrong, 401);
        assert.equal(again.wrongBody.detail, "No active account found with the given credentials");
        assert.equal(again.status, 200);
        assert.equal(again.check, 200);
        assert.deepEqual(consoleErrors, []);
        await context.close();
      },
    ],
    [
      "dashboard shows the user from the server's own API (GET /api/v1/users/me) with the session cookie",
      async () => {
        const { context, page, consoleErrors } = await newPage();
        const email = uniqueEmail("hostapi");
        await createVerifiedUser(email);
        await login(page, email);
        await page.getByTestId("host-user-email").filter({ hasText: email }).waitFor();
        await shot(page, "dashboard-users-me");
        assert.deepEqual(consoleErrors, []);
        await context.close();
      },
    ],
  ];
}
