// The one module that talks to Gatehouse: the django-allauth headless API, browser client.
// Types are written by hand from ../shared/allauth-headless-openapi.yaml (account, email, sessions,
// password and code parts). Session cookie (HttpOnly) + `csrftoken` cookie echoed in X-CSRFToken
// on unsafe methods. Every answer is returned as an envelope, never thrown: network failures and
// non-JSON answers become synthetic envelopes (status 0 / the HTTP status) with one error.

// ---- Wire types ---------------------------------------------------------------------------------

export type FlowId =
  | "login"
  | "login_by_code"
  | "mfa_authenticate"
  | "mfa_reauthenticate"
  | "provider_redirect"
  | "provider_signup"
  | "provider_token"
  | "reauthenticate"
  | "signup"
  | "verify_email"
  | "verify_phone"
  | "password_reset_by_code";

export interface Flow {
  id: FlowId;
  is_pending?: true;
  types?: string[];
  provider?: unknown;
}

export interface User {
  id: number | string;
  display?: string;
  has_usable_password?: boolean;
  email?: string;
  username?: string;
}

export interface AuthenticationMethod {
  method: "password" | "password_reset" | "code" | "socialaccount" | "mfa";
  at: number;
  email?: string;
  username?: string;
  reauthenticated?: boolean;
}

export interface AuthMeta {
  is_authenticated: boolean;
  session_token?: string;
  access_token?: string;
}

export interface ApiErrorItem {
  code: string;
  message: string;
  param?: string;
}

/** The envelope every API answer comes in. */
export interface Envelope<D = unknown, M = unknown> {
  status: number;
  data?: D;
  meta?: M;
  errors?: ApiErrorItem[];
}

/** 200: logged in. */
export interface AuthenticatedData {
  user: User;
  methods: AuthenticationMethod[];
}
/** 401 (not logged in, maybe a pending flow) or 401 with is_authenticated=true (reauthentication required). */
export interface UnauthenticatedData {
  flows: Flow[];
  user?: User;
  methods?: AuthenticationMethod[];
}
export type AuthData = AuthenticatedData | UnauthenticatedData;
export type AuthEnvelope = Envelope<AuthData, AuthMeta>;

export interface AccountConfiguration {
  login_methods?: ("email" | "username")[];
  is_open_for_signup: boolean;
  email_verification_by_code_enabled: boolean;
  login_by_code_enabled: boolean;
  password_reset_by_code_enabled?: boolean;
  authentication_method?: string;
}
export interface Config {
  account: AccountConfiguration;
  usersessions?: { track_activity: boolean };
}

export interface EmailAddress {
  email: string;
  primary: boolean;
  verified: boolean;
}

export interface Session {
  id: number;
  user_agent: string;
  ip: string;
  created_at: number;
  last_seen_at?: number;
  is_current: boolean;
}

export interface EmailVerificationInfo {
  email: string;
  user: User;
}

export interface PasswordResetInfo {
  user: User;
}

// ---- Transport ----------------------------------------------------------------------------------

export const DEFAULT_BASE = "/_allauth/browser/v1";

/** Error codes Gatehouse never sends; the frontend uses them for failures outside the API. */
export const NETWORK_ERROR = "network_error";
export const BAD_RESPONSE = "bad_response";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const UNSAFE: ReadonlySet<Method> = new Set<Method>(["POST", "PUT", "PATCH", "DELETE"]);

export type AuthListener = (response: AuthEnvelope) => void;

export interface ApiClientOptions {
  /** Defaults to NEXT_PUBLIC_GATEHOUSE_API_BASE or /_allauth/browser/v1 (same origin). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Reads document.cookie by default. */
  getCookie?: (name: string) => string | null;
}

export function readCookie(cookieString: string, name: string): string | null {
  for (const part of cookieString.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

/** Whether an answer tells the auth state: it is what allauth's own SPA treats as an auth change. */
export function isAuthResponse(response: Envelope): response is AuthEnvelope {
  if (response.status === 410) return true;
  const meta = response.meta as Partial<AuthMeta> | undefined;
  if (response.status === 401) {
    const data = response.data as Partial<UnauthenticatedData> | undefined;
    return Array.isArray(data?.flows);
  }
  return response.status === 200 && typeof meta?.is_authenticated === "boolean";
}

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? process.env.NEXT_PUBLIC_GATEHOUSE_API_BASE ?? DEFAULT_BASE).replace(/\/$/, "");
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const getCookie =
    options.getCookie ?? ((name: string) => (typeof document === "undefined" ? null : readCookie(document.cookie, name)));
  const listeners = new Set<AuthListener>();

  async function request<D = unknown, M = unknown>(
    method: Method,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Envelope<D, M>> {
    const headers: Record<string, string> = { Accept: "application/json", ...extraHeaders };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (UNSAFE.has(method)) {
      const token = getCookie("csrftoken");
      if (token) headers["X-CSRFToken"] = token;
    }
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "include",
        cache: "no-store",
      });
    } catch {
      return {
        status: 0,
        errors: [{ code: NETWORK_ERROR, message: "Could not reach the server. Check your connection and try again." }],
      };
    }
    let envelope: Envelope<D, M>;
    try {
      const parsed: unknown = await response.json();
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an envelope");
      envelope = parsed as Envelope<D, M>;
      if (typeof envelope.status !== "number") envelope.status = response.status;
    } catch {
      envelope = {
        status: response.status,
        errors: [{ code: BAD_RESPONSE, message: `The server sent an unexpected answer (HTTP ${response.status}).` }],
      };
    }
    if (isAuthResponse(envelope)) {
      for (const listener of listeners) listener(envelope);
    }
    return envelope;
  }

  return {
    baseUrl,
    /** Called with every answer that tells the auth state (see isAuthResponse). Returns an unsubscribe. */
    onAuthChange(listener: AuthListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    request,

    getConfig: () => request<Config>("GET", "config"),
    getSession: () => request<AuthData, AuthMeta>("GET", "auth/session"),
    logout: () => request<AuthData, AuthMeta>("DELETE", "auth/session"),
    login: (body: { email?: string; username?: string; password: string }) =>
      request<AuthData, AuthMeta>("POST", "auth/login", body),
    signup: (body: { email: string; password: string; username?: string }) =>
      request<AuthData, AuthMeta>("POST", "auth/signup", body),
    reauthenticate: (body: { password: string }) => request<AuthData, AuthMeta>("POST", "auth/reauthenticate", body),

    getEmailVerification: (key: string) =>
      request<EmailVerificationInfo>("GET", "auth/email/verify", undefined, { "X-Email-Verification-Key": key }),
    verifyEmail: (key: string) => request<AuthData, AuthMeta>("POST", "auth/email/verify", { key }),
    resendEmailVerification: () => request("POST", "auth/email/verify/resend"),

    requestPasswordReset: (email: string) => request("POST", "auth/password/request", { email }),
    getPasswordReset: (key: string) =>
      request<PasswordResetInfo>("GET", "auth/password/reset", undefined, { "X-Password-Reset-Key": key }),
    resetPassword: (body: { key: string; password: string }) =>
      request<AuthData, AuthMeta>("POST", "auth/password/reset", body),

    requestLoginCode: (email: string) => request<AuthData, AuthMeta>("POST", "auth/code/request", { email }),
    confirmLoginCode: (code: string) => request<AuthData, AuthMeta>("POST", "auth/code/confirm", { code }),
    resendLoginCode: () => request("POST", "auth/code/resend"),

    changePassword: (body: { current_password?: string; new_password: string }) =>
      request<AuthData, AuthMeta>("POST", "account/password/change", body),

    listEmails: () => request<EmailAddress[]>("GET", "account/email"),
    addEmail: (email: string) => request<EmailAddress[]>("POST", "account/email", { email }),
    resendEmail: (email: string) => request("PUT", "account/email", { email }),
    makePrimaryEmail: (email: string) => request<EmailAddress[]>("PATCH", "account/email", { email, primary: true }),
    removeEmail: (email: string) => request<EmailAddress[]>("DELETE", "account/email", { email }),

    listSessions: () => request<Session[]>("GET", "auth/sessions"),
    endSessions: (ids: number[]) => request<Session[]>("DELETE", "auth/sessions", { sessions: ids }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The app's client (same origin unless NEXT_PUBLIC_GATEHOUSE_API_BASE says otherwise). */
export const api = createApiClient();

// ---- Error helpers ------------------------------------------------------------------------------

/** Errors about one input (`errors[].param`). */
export function fieldErrors(response: Envelope | null | undefined, param: string): string[] {
  return (response?.errors ?? []).filter((e) => e.param === param).map((e) => e.message);
}

/**
 * Messages to show above a form: errors without a param (or about a param the form has no field
 * for), and a clear sentence for 429, 403, network and server failures.
 */
export function formErrors(response: Envelope | null | undefined, fields: readonly string[] = []): string[] {
  if (!response || (response.status >= 200 && response.status < 300)) return [];
  if (response.status === 429) return ["Too many requests. Please wait a minute, then try again."];
  const messages = (response.errors ?? [])
    .filter((e) => !e.param || !fields.includes(e.param))
    .map((e) => (e.code === "csrf_failed" ? "Your session's security token was missing or out of date. Reload the page and try again." : e.message));
  if (messages.length === 0 && !(response.errors ?? []).some((e) => e.param && fields.includes(e.param))) {
    if (response.status >= 500) messages.push("The server had a problem. Please try again later.");
    else if (response.status === 403) messages.push("This action is not allowed.");
    else if (response.status === 409) messages.push("This step is no longer possible. Please start again.");
    else if (response.status >= 400 && response.status !== 401) messages.push(`The request failed (HTTP ${response.status}).`);
  }
  return messages;
}

export function isAuthenticatedData(data: AuthData | undefined): data is AuthenticatedData {
  return !!data && "user" in data && !!data.user && !("flows" in data && Array.isArray(data.flows));
}
