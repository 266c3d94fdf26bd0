// The flow router: the one place that decides where the app goes when the auth state changes
// (a pending flow appears, the user logs in or out, the API asks for reauthentication). Pure
// functions, no React, so it is unit-tested on its own; <FlowRouter/> applies its answers.

import type { AuthEnvelope, AuthenticatorType, Flow, FlowId, UnauthenticatedData } from "./api";

export const paths = {
  home: "/",
  dashboard: "/dashboard",
  login: "/account/login",
  signup: "/account/signup",
  logout: "/account/logout",
  verifyEmail: "/account/verify-email",
  passwordReset: "/account/password/reset",
  passwordResetConfirm: "/account/password/reset/confirm",
  loginCode: "/account/login/code",
  loginCodeConfirm: "/account/login/code/confirm",
  reauthenticate: "/account/reauthenticate",
  unsupportedFlow: "/account/unsupported",
  email: "/account/email",
  passwordChange: "/account/password/change",
  sessions: "/account/sessions",
  mfa: "/account/2fa",
  mfaTrust: "/account/2fa/trust",
  totpActivate: "/account/2fa/totp/activate",
  totpDeactivate: "/account/2fa/totp/deactivate",
  recoveryCodes: "/account/2fa/recovery-codes",
  recoveryCodesGenerate: "/account/2fa/recovery-codes/generate",
  webauthn: "/account/2fa/webauthn",
  webauthnAdd: "/account/2fa/webauthn/add",
  signupPasskey: "/account/signup/passkey",
  signupPasskeyCreate: "/account/signup/passkey/create",
} as const;

/** Where a second factor of each type is entered (allauth's SPA paths): during a login, and to reauthenticate. */
export const mfaPaths: Readonly<Record<"mfa_authenticate" | "mfa_reauthenticate", Record<AuthenticatorType, string>>> = {
  mfa_authenticate: {
    totp: "/account/authenticate/totp",
    recovery_codes: "/account/authenticate/recovery-codes",
    webauthn: "/account/authenticate/webauthn",
  },
  mfa_reauthenticate: {
    totp: "/account/reauthenticate/totp",
    recovery_codes: "/account/reauthenticate/recovery-codes",
    webauthn: "/account/reauthenticate/webauthn",
  },
};

/**
 * Which of a flow's `types` its page opens with. The server lists them in allauth's order
 * (recovery_codes, totp, webauthn), and allauth's SPA opens the first; a recovery code is the
 * fallback, not the factor a user reaches for, so the authenticator app and the security key come first.
 */
const PREFERRED_TYPES: readonly AuthenticatorType[] = ["totp", "webauthn", "recovery_codes"];

export function defaultMfaType(types: readonly string[] | undefined): AuthenticatorType {
  return PREFERRED_TYPES.find((t) => types?.includes(t)) ?? "totp";
}

/**
 * Where each pending flow is completed (allauth's SPA paths). Flows this frontend cannot complete go
 * to one page that says so. verify_email has one page for both kinds: it shows the code form when
 * the server verifies by code (config email_verification_by_code_enabled), else "open the link".
 */
const PENDING_FLOW_PATHS: Partial<Record<FlowId, string>> = {
  verify_email: paths.verifyEmail,
  password_reset_by_code: paths.passwordResetConfirm,
  login_by_code: paths.loginCodeConfirm,
  reauthenticate: paths.reauthenticate,
  mfa_trust: paths.mfaTrust,
  // Staff without MFA (RequiredForStaff): the TOTP set-up page, which the stage allows (docs/design.md).
  // Activating logs in; `next` then shows the recovery codes made with it (kept for one GET).
  mfa_setup: `${paths.totpActivate}?next=${encodeURIComponent(paths.recoveryCodes)}`,
  mfa_signup_webauthn: paths.signupPasskeyCreate,
  provider_signup: paths.unsupportedFlow,
  verify_phone: paths.unsupportedFlow,
};

export type AuthStatus = "authenticated" | "reauthentication_required" | "pending" | "anonymous";

export function pendingFlow(auth: AuthEnvelope | null | undefined): Flow | undefined {
  if (!auth || auth.status !== 401) return undefined;
  const data = auth.data as UnauthenticatedData | undefined;
  return data?.flows?.find((f) => f.is_pending);
}

export function authStatus(auth: AuthEnvelope | null | undefined): AuthStatus {
  if (!auth) return "anonymous";
  if (auth.status === 200 && auth.meta?.is_authenticated) return "authenticated";
  if (auth.status === 401 && auth.meta?.is_authenticated) return "reauthentication_required";
  if (pendingFlow(auth)) return "pending";
  return "anonymous";
}

/** A `next` value that stays on this site: a path, not `//host` or `/\host` or `https://…`. */
export function safeNext(next: string | null | undefined, fallback: string = paths.dashboard): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  if (/[\u0000-\u001f]/.test(next)) return fallback;
  return next;
}

export function loginPathFor(currentPath: string): string {
  return `${paths.login}?next=${encodeURIComponent(currentPath)}`;
}

/** The page of a flow; for the MFA flows, of one of its types (default: defaultMfaType). */
export function pathForFlow(flow: Flow, type?: AuthenticatorType): string {
  if (flow.id === "mfa_authenticate" || flow.id === "mfa_reauthenticate") {
    const t = type && flow.types?.includes(type) ? type : defaultMfaType(flow.types);
    return mfaPaths[flow.id][t];
  }
  return PENDING_FLOW_PATHS[flow.id] ?? paths.unsupportedFlow;
}

/**
 * Where a "reauthentication required" answer sends the user: the password page when the flows
 * offer `reauthenticate` (it links to the factors too), else the page of the first factor offered
 * (an account without a usable password, e.g. one signed up with a passkey).
 */
export function reauthenticationPath(auth: AuthEnvelope): string {
  const flows = (auth.data as UnauthenticatedData | undefined)?.flows ?? [];
  if (flows.some((f) => f.id === "reauthenticate")) return paths.reauthenticate;
  const mfa = flows.find((f) => f.id === "mfa_reauthenticate");
  return mfa ? pathForFlow(mfa) : paths.reauthenticate;
}

function isReauthenticationPage(path: string): boolean {
  const p = path.split("?")[0]!.replace(/\/$/, "");
  return p === paths.reauthenticate || Object.values(mfaPaths.mfa_reauthenticate).includes(p);
}

export interface RouteContext {
  /** Current path with query, e.g. "/account/email?x=1". */
  current: string;
  /** The `next` query parameter of the current page, if any. */
  next?: string | null;
  /** The answer came from a request in FLOW_STARTING_REQUESTS. */
  startsFlow?: boolean;
}

export type AuthEvent =
  | "logged_in"
  | "logged_out"
  | "reauthentication_required"
  | "reauthenticated"
  | "flow_updated"
  | null;

/**
 * Requests that start a flow afresh ("METHOD path" as the API module reports them). Their answer
 * opens the pending flow's page even when the same kind of flow was pending before: asking for a
 * sign-in code again (after going back) starts a new login_by_code flow, and its page must open
 * again. Other answers that repeat the pending flow (a session reload, a link confirmed for another
 * account) leave the user where they are.
 */
export const FLOW_STARTING_REQUESTS: ReadonlySet<string> = new Set([
  "POST auth/login",
  "POST auth/signup",
  "POST auth/code/request",
  "POST auth/password/request",
  "POST auth/webauthn/signup",
]);

export function authEvent(prev: AuthEnvelope | null | undefined, next: AuthEnvelope, startsFlow = false): AuthEvent {
  const before = authStatus(prev);
  const after = authStatus(next);
  if (after === "reauthentication_required") return "reauthentication_required";
  if (after === "authenticated") {
    if (before === "reauthentication_required") return "reauthenticated";
    return before === "authenticated" ? null : "logged_in";
  }
  if (before === "authenticated" || before === "reauthentication_required") return "logged_out";
  if (after === "pending") {
    const a = pendingFlow(prev);
    const b = pendingFlow(next);
    return a?.id === b?.id && before === "pending" && !startsFlow ? null : "flow_updated";
  }
  return null;
}

function samePath(a: string, b: string): boolean {
  return a.split("?")[0]!.replace(/\/$/, "") === b.split("?")[0]!.replace(/\/$/, "");
}

/**
 * Where to go after the auth state changed from `prev` to `next`, or null to stay.
 * - logged in / reauthenticated: the page's `next` (when safe), else the dashboard;
 * - reauthentication required: /account/reauthenticate?next=<here>;
 * - logged out: the login page (a session ended elsewhere lands there too);
 * - a (new) pending flow: that flow's page (verify_email: the waiting page; login_by_code: the code page).
 */
export function routeAfterAuthChange(
  prev: AuthEnvelope | null | undefined,
  next: AuthEnvelope,
  ctx: RouteContext,
): string | null {
  const event = authEvent(prev, next, ctx.startsFlow);
  let target: string | null = null;
  switch (event) {
    case "logged_in":
    case "reauthenticated":
      target = safeNext(ctx.next);
      break;
    case "reauthentication_required":
      target = isReauthenticationPage(ctx.current)
        ? null
        : `${reauthenticationPath(next)}?next=${encodeURIComponent(ctx.current)}`;
      break;
    case "logged_out":
      target = samePath(ctx.current, paths.logout) ? paths.home : paths.login;
      break;
    case "flow_updated": {
      const flow = pendingFlow(next);
      target = flow ? pathForFlow(flow) : null;
      break;
    }
    default:
      target = null;
  }
  if (target && target === ctx.current) return null;
  if (target && event === "flow_updated" && samePath(target, ctx.current)) return null;
  return target;
}

/** What a page that needs a logged-in user does for the given state: null (render) or a redirect. */
export function guardAuthenticated(auth: AuthEnvelope | null | undefined, currentPath: string): string | null {
  const status = authStatus(auth);
  if (status === "authenticated" || status === "reauthentication_required") return null;
  return loginPathFor(currentPath);
}

/** What a page for anonymous users (login, signup) does when the user is already logged in. */
export function guardAnonymous(auth: AuthEnvelope | null | undefined, next?: string | null): string | null {
  return authStatus(auth) === "authenticated" ? safeNext(next) : null;
}
