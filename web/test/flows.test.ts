import { describe, expect, it } from "vitest";
import type { AuthEnvelope } from "@/lib/api";
import {
  FLOW_STARTING_REQUESTS,
  authEvent,
  authStatus,
  guardAnonymous,
  guardAuthenticated,
  loginPathFor,
  pathForFlow,
  routeAfterAuthChange,
  safeNext,
} from "@/lib/flows";

const user = { id: 1, display: "alice", email: "alice@example.com", has_usable_password: true };
const anonymous: AuthEnvelope = {
  status: 401,
  data: { flows: [{ id: "login" }, { id: "login_by_code" }, { id: "signup" }] },
  meta: { is_authenticated: false },
};
const pending = (id: "verify_email" | "login_by_code" | "mfa_authenticate" | "password_reset_by_code" | "verify_phone"): AuthEnvelope => ({
  status: 401,
  data: { flows: [{ id: "login" }, { id: "signup" }, { id, is_pending: true }] },
  meta: { is_authenticated: false },
});
const authenticated: AuthEnvelope = {
  status: 200,
  data: { user, methods: [{ method: "password", at: 1, email: user.email }] },
  meta: { is_authenticated: true },
};
const reauthRequired: AuthEnvelope = {
  status: 401,
  data: { flows: [{ id: "reauthenticate" }], user, methods: [] },
  meta: { is_authenticated: true },
};
const gone: AuthEnvelope = { status: 410, data: {} as never, meta: { is_authenticated: false } };

describe("authStatus", () => {
  it("reads the four states from the envelope", () => {
    expect(authStatus(null)).toBe("anonymous");
    expect(authStatus(anonymous)).toBe("anonymous");
    expect(authStatus(pending("verify_email"))).toBe("pending");
    expect(authStatus(authenticated)).toBe("authenticated");
    expect(authStatus(reauthRequired)).toBe("reauthentication_required");
    expect(authStatus(gone)).toBe("anonymous");
  });
});

describe("authEvent", () => {
  it("detects login, logout, reauthentication and new pending flows", () => {
    expect(authEvent(anonymous, authenticated)).toBe("logged_in");
    expect(authEvent(pending("verify_email"), authenticated)).toBe("logged_in");
    expect(authEvent(authenticated, anonymous)).toBe("logged_out");
    expect(authEvent(authenticated, gone)).toBe("logged_out");
    expect(authEvent(authenticated, reauthRequired)).toBe("reauthentication_required");
    expect(authEvent(reauthRequired, authenticated)).toBe("reauthenticated");
    expect(authEvent(anonymous, pending("verify_email"))).toBe("flow_updated");
    expect(authEvent(pending("verify_email"), pending("login_by_code"))).toBe("flow_updated");
  });
  it("sees no change when nothing changed", () => {
    expect(authEvent(authenticated, authenticated)).toBeNull();
    expect(authEvent(anonymous, anonymous)).toBeNull();
    expect(authEvent(pending("login_by_code"), pending("login_by_code"))).toBeNull();
  });
  it("sees a new flow when a request starts the same kind of flow again", () => {
    expect(authEvent(pending("login_by_code"), pending("login_by_code"), true)).toBe("flow_updated");
    expect(authEvent(pending("verify_email"), pending("verify_email"), true)).toBe("flow_updated");
  });
});

describe("routeAfterAuthChange", () => {
  const at = (current: string, next?: string) => ({ current, next });

  it("sends a 401 with verify_email pending to the verification page", () => {
    expect(routeAfterAuthChange(anonymous, pending("verify_email"), at("/account/signup"))).toBe("/account/verify-email");
  });
  it("sends login_by_code pending to the code page", () => {
    expect(routeAfterAuthChange(anonymous, pending("login_by_code"), at("/account/login/code"))).toBe("/account/login/code/confirm");
  });
  it("opens the code page again when a code is asked for again (after going back)", () => {
    const startsFlow = FLOW_STARTING_REQUESTS.has("POST auth/code/request");
    expect(startsFlow).toBe(true);
    expect(routeAfterAuthChange(pending("login_by_code"), pending("login_by_code"), { current: "/account/login/code", startsFlow })).toBe(
      "/account/login/code/confirm",
    );
    expect(
      routeAfterAuthChange(pending("login_by_code"), pending("login_by_code"), { current: "/account/login/code/confirm", startsFlow }),
    ).toBeNull();
  });
  it("leaves a page alone when an answer only repeats the pending flow", () => {
    // A link confirmed for another account while this browser's own signup waits: the page shows the result.
    expect(FLOW_STARTING_REQUESTS.has("POST auth/email/verify")).toBe(false);
    expect(routeAfterAuthChange(pending("verify_email"), pending("verify_email"), at("/account/verify-email/k"))).toBeNull();
  });
  it("sends password_reset_by_code pending to the reset code page", () => {
    expect(
      routeAfterAuthChange(anonymous, pending("password_reset_by_code"), { current: "/account/password/reset", startsFlow: true }),
    ).toBe("/account/password/reset/confirm");
  });
  it("stays when already on the pending flow's page", () => {
    expect(routeAfterAuthChange(anonymous, pending("verify_email"), at("/account/verify-email"))).toBeNull();
  });
  it("sends mfa_authenticate to the page of its preferred type, recovery codes last", () => {
    const mfa = (types: string[]): AuthEnvelope => ({
      status: 401,
      data: { flows: [{ id: "login" }, { id: "mfa_authenticate", is_pending: true, types }] },
      meta: { is_authenticated: false },
    });
    const start = { current: "/account/login", startsFlow: true };
    expect(routeAfterAuthChange(anonymous, mfa(["recovery_codes", "totp", "webauthn"]), start)).toBe("/account/authenticate/totp");
    expect(routeAfterAuthChange(anonymous, mfa(["recovery_codes", "webauthn"]), start)).toBe("/account/authenticate/webauthn");
    expect(routeAfterAuthChange(anonymous, mfa(["recovery_codes"]), start)).toBe("/account/authenticate/recovery-codes");
    expect(pathForFlow({ id: "mfa_authenticate", types: ["recovery_codes", "totp"] }, "recovery_codes")).toBe(
      "/account/authenticate/recovery-codes",
    );
    // A type the flow does not offer is not linked to.
    expect(pathForFlow({ id: "mfa_authenticate", types: ["totp"] }, "webauthn")).toBe("/account/authenticate/totp");
  });
  it("sends mfa_trust, mfa_setup and the passkey signup step to their pages", () => {
    expect(pathForFlow({ id: "mfa_trust", is_pending: true })).toBe("/account/2fa/trust");
    expect(pathForFlow({ id: "mfa_setup", is_pending: true, types: ["totp", "webauthn"] })).toBe(
      "/account/2fa/totp/activate?next=%2Faccount%2F2fa%2Frecovery-codes",
    );
    expect(pathForFlow({ id: "mfa_signup_webauthn", is_pending: true })).toBe("/account/signup/passkey/create");
  });
  it("sends flows this app cannot finish to one page that says so", () => {
    expect(routeAfterAuthChange(anonymous, pending("verify_phone"), at("/account/login"))).toBe("/account/unsupported");
  });
  it("sends an account without a password to its factor when reauthentication is required", () => {
    const mfaOnly: AuthEnvelope = {
      status: 401,
      data: { flows: [{ id: "mfa_reauthenticate", types: ["recovery_codes", "webauthn"] }], user, methods: [] },
      meta: { is_authenticated: true },
    };
    expect(routeAfterAuthChange(authenticated, mfaOnly, at("/account/2fa"))).toBe("/account/reauthenticate/webauthn?next=%2Faccount%2F2fa");
    expect(routeAfterAuthChange(authenticated, mfaOnly, at("/account/reauthenticate/totp?next=%2Fx"))).toBeNull();
  });
  it("sends a reauthentication-required answer to /account/reauthenticate with next=here", () => {
    expect(routeAfterAuthChange(authenticated, reauthRequired, at("/account/email?tab=1"))).toBe(
      "/account/reauthenticate?next=%2Faccount%2Femail%3Ftab%3D1",
    );
    expect(routeAfterAuthChange(authenticated, reauthRequired, at("/account/reauthenticate?next=%2Fx"))).toBeNull();
  });
  it("after login or reauthentication goes to a safe next, else the dashboard", () => {
    expect(routeAfterAuthChange(anonymous, authenticated, at("/account/login?next=%2Faccount%2Fsessions", "/account/sessions"))).toBe(
      "/account/sessions",
    );
    expect(routeAfterAuthChange(anonymous, authenticated, at("/account/login", "https://evil.example/"))).toBe("/dashboard");
    expect(routeAfterAuthChange(pending("verify_email"), authenticated, at("/account/verify-email/abc"))).toBe("/dashboard");
    expect(routeAfterAuthChange(reauthRequired, authenticated, at("/account/reauthenticate", "/account/email"))).toBe("/account/email");
  });
  it("after logout goes home from the logout page and to login elsewhere", () => {
    expect(routeAfterAuthChange(authenticated, anonymous, at("/account/logout"))).toBe("/");
    expect(routeAfterAuthChange(authenticated, anonymous, at("/account/sessions"))).toBe("/account/login");
    expect(routeAfterAuthChange(authenticated, gone, at("/dashboard"))).toBe("/account/login");
  });
  it("does nothing for answers that do not change the state", () => {
    expect(routeAfterAuthChange(authenticated, authenticated, at("/account/password/change"))).toBeNull();
    expect(routeAfterAuthChange(anonymous, anonymous, at("/account/password/reset/key/k"))).toBeNull();
  });
});

describe("guards and next", () => {
  it("protects pages with /account/login?next=<path>", () => {
    expect(loginPathFor("/dashboard")).toBe("/account/login?next=%2Fdashboard");
    expect(guardAuthenticated(anonymous, "/dashboard")).toBe("/account/login?next=%2Fdashboard");
    expect(guardAuthenticated(pending("verify_email"), "/account/email")).toBe("/account/login?next=%2Faccount%2Femail");
    expect(guardAuthenticated(authenticated, "/dashboard")).toBeNull();
    expect(guardAuthenticated(reauthRequired, "/dashboard")).toBeNull();
  });
  it("sends logged-in users away from login and signup", () => {
    expect(guardAnonymous(authenticated, "/account/email")).toBe("/account/email");
    expect(guardAnonymous(authenticated, null)).toBe("/dashboard");
    expect(guardAnonymous(anonymous, "/x")).toBeNull();
  });
  it("accepts only same-site paths as next", () => {
    expect(safeNext("/account/email")).toBe("/account/email");
    for (const bad of [null, undefined, "", "dashboard", "//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/a\nb"]) {
      expect(safeNext(bad)).toBe("/dashboard");
    }
  });
  it("maps every pending flow to a page", () => {
    expect(pathForFlow({ id: "verify_email", is_pending: true })).toBe("/account/verify-email");
    expect(pathForFlow({ id: "reauthenticate" })).toBe("/account/reauthenticate");
    expect(pathForFlow({ id: "provider_signup", is_pending: true })).toBe("/account/unsupported");
    expect(pathForFlow({ id: "password_reset_by_code", is_pending: true })).toBe("/account/password/reset/confirm");
  });
});
