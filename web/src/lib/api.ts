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
  | "password_reset_by_code"
  | "mfa_trust"
  | "mfa_setup"
  | "mfa_signup_webauthn";

/** Authenticator types in allauth's order (the order of a flow's `types`). */
export type AuthenticatorType = "recovery_codes" | "totp" | "webauthn";

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
  login_methods?: LoginMethod[];
  is_open_for_signup: boolean;
  email_verification_by_code_enabled: boolean;
  login_by_code_enabled: boolean;
  password_reset_by_code_enabled?: boolean;
  authentication_method?: string;
}
export interface MfaConfiguration {
  supported_types: AuthenticatorType[];
  passkey_login_enabled: boolean;
}
export interface Config {
  account: AccountConfiguration;
  mfa?: MfaConfiguration;
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

/** An entry of GET account/authenticators (allauth's _authenticator_data). */
export interface Authenticator {
  id?: number;
  type: AuthenticatorType;
  created_at: number;
  last_used_at: number | null;
  /** recovery_codes */
  total_code_count?: number;
  unused_code_count?: number;
  /** webauthn */
  name?: string;
  is_passwordless?: boolean;
}

export interface RecoveryCodesData {
  type: "recovery_codes";
  total_code_count: number;
  unused_code_count: number;
  /** Only in the answer that made them (Gatehouse stores hashes; allauth shows them on every GET). */
  unused_codes?: string[];
}

/** GET account/authenticators/totp while TOTP is off: 404 with the secret to set up. */
export interface TotpSetupMeta {
  secret: string;
  totp_url: string;
}

/** `@github/webauthn-json`'s JSON forms of the options and of the credential. */
export type CreationOptionsJson = { publicKey: Record<string, unknown> };
export type RequestOptionsJson = { publicKey: Record<string, unknown> };
export type CredentialJson = Record<string, unknown>;

// ---- Transport ----------------------------------------------------------------------------------

export const DEFAULT_BASE = "/_allauth/browser/v1";

/** Error codes Gatehouse never sends; the frontend uses them for failures outside the API. */
export const NETWORK_ERROR = "network_error";
export const BAD_RESPONSE = "bad_response";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const UNSAFE: ReadonlySet<Method> = new Set<Method>(["POST", "PUT", "PATCH", "DELETE"]);

/** The request an auth answer came from, e.g. "POST auth/code/request". */
export type AuthListener = (response: AuthEnvelope, request: string) => void;

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
      for (const listener of listeners) listener(envelope, `${method} ${path}`);
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
    /** `key` is the link's key, or the mailed code when the server verifies by code. */
    verifyEmail: (key: string) => request<AuthData, AuthMeta>("POST", "auth/email/verify", { key }),
    /** Code verification only: allauth (and Gatehouse) answer 409 when verification is by link. */
    resendEmailVerification: () => request("POST", "auth/email/verify/resend"),

    /** 200 (a link was mailed), or 401 with password_reset_by_code pending when the server resets by code. */
    requestPasswordReset: (email: string) => request<AuthData, AuthMeta>("POST", "auth/password/request", { email }),
    /** With reset by code, `key` is the mailed code (checked, and counted as an attempt, on every call). */
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

    // MFA (allauth's headless/mfa). Every change to an authenticator may answer 401 with
    // reauthentication flows: the flow router then opens the reauthentication page.
    listAuthenticators: () => request<Authenticator[]>("GET", "account/authenticators"),
    /** 200 with the active authenticator, or 404 with meta.secret / meta.totp_url while TOTP is off. */
    getTotp: () => request<Authenticator, TotpSetupMeta>("GET", "account/authenticators/totp"),
    /** 200 (meta.recovery_codes_generated), or, for the mfa_setup stage, the logged-in auth answer. */
    activateTotp: (code: string) =>
      request<Authenticator, { recovery_codes_generated?: boolean }>("POST", "account/authenticators/totp", { code }),
    deactivateTotp: () => request("DELETE", "account/authenticators/totp"),
    getRecoveryCodes: () => request<RecoveryCodesData>("GET", "account/authenticators/recovery-codes"),
    regenerateRecoveryCodes: () => request<RecoveryCodesData>("POST", "account/authenticators/recovery-codes"),
    /** The second factor of a login (code of an authenticator app, or a recovery code). */
    mfaAuthenticate: (code: string) => request<AuthData, AuthMeta>("POST", "auth/2fa/authenticate", { code }),
    mfaReauthenticate: (code: string) => request<AuthData, AuthMeta>("POST", "auth/2fa/reauthenticate", { code }),
    mfaTrust: (trust: boolean) => request<AuthData, AuthMeta>("POST", "auth/2fa/trust", { trust }),

    getWebAuthnCreateOptions: (passwordless: boolean) =>
      request<{ creation_options: CreationOptionsJson }>(
        "GET",
        passwordless ? "account/authenticators/webauthn?passwordless" : "account/authenticators/webauthn",
      ),
    addWebAuthn: (name: string, credential: CredentialJson) =>
      request<Authenticator, { recovery_codes_generated?: boolean }>("POST", "account/authenticators/webauthn", {
        name,
        credential,
      }),
    renameWebAuthn: (id: number, name: string) =>
      request<Authenticator>("PUT", "account/authenticators/webauthn", { id, name }),
    removeWebAuthn: (ids: number[]) => request("DELETE", "account/authenticators/webauthn", { authenticators: ids }),
    getWebAuthnAuthenticateOptions: () =>
      request<{ request_options: RequestOptionsJson }>("GET", "auth/webauthn/authenticate"),
    authenticateWebAuthn: (credential: CredentialJson) =>
      request<AuthData, AuthMeta>("POST", "auth/webauthn/authenticate", { credential }),
    getWebAuthnReauthenticateOptions: () =>
      request<{ request_options: RequestOptionsJson }>("GET", "auth/webauthn/reauthenticate"),
    reauthenticateWebAuthn: (credential: CredentialJson) =>
      request<AuthData, AuthMeta>("POST", "auth/webauthn/reauthenticate", { credential }),
    getWebAuthnLoginOptions: () => request<{ request_options: RequestOptionsJson }>("GET", "auth/webauthn/login"),
    loginWebAuthn: (credential: CredentialJson) =>
      request<AuthData, AuthMeta>("POST", "auth/webauthn/login", { credential }),
    /** Passkey signup (server setting PasskeySignupEnabled): the signup without a password. */
    signupByPasskey: (body: { email: string; username?: string }) =>
      request<AuthData, AuthMeta>("POST", "auth/webauthn/signup", body),
    getWebAuthnSignupOptions: () => request<{ creation_options: CreationOptionsJson }>("GET", "auth/webauthn/signup"),
    completeWebAuthnSignup: (name: string, credential: CredentialJson) =>
      request<AuthData, AuthMeta>("PUT", "auth/webauthn/signup", { name, credential }),

    listSessions: () => request<Session[]>("GET", "auth/sessions"),
    endSessions: (ids: number[]) => request<Session[]>("DELETE", "auth/sessions", { sessions: ids }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The app's client (same origin unless NEXT_PUBLIC_GATEHOUSE_API_BASE says otherwise). */
export const api = createApiClient();

// ---- Login identifier ---------------------------------------------------------------------------

export type LoginMethod = "email" | "username";

/** What the login form asks for: one field, labelled for the methods the server enables. */
export function loginField(methods: readonly LoginMethod[] | undefined): LoginMethod | "email_or_username" {
  const email = !methods || methods.length === 0 || methods.includes("email");
  const username = !!methods?.includes("username");
  if (email && username) return "email_or_username";
  return username ? "username" : "email";
}

/**
 * The auth/login body for what the user typed. With both methods on, the server needs exactly one
 * of `email` and `username`: an identifier with "@" is sent as an email address, anything else as a
 * username (allauth's own login form, derive_login_method, likewise takes what looks like an email
 * address for one).
 */
export function loginBody(
  methods: readonly LoginMethod[] | undefined,
  identifier: string,
  password: string,
): { email: string; password: string } | { username: string; password: string } {
  const field = loginField(methods);
  const value = identifier.trim();
  const asEmail = field === "email" || (field === "email_or_username" && value.includes("@"));
  return asEmail ? { email: value, password } : { username: value, password };
}

// ---- Error helpers ------------------------------------------------------------------------------

/**
 * django-allauth's wording for its error codes (allauth/account/adapter.py and allauth/mfa/adapter.py
 * `error_messages`, plus Django's password validators and form fields). Used only when an error comes
 * without a message: the server's own `message` is always preferred.
 */
export const ERROR_TEXT: Readonly<Record<string, string>> = {
  account_inactive: "This account is currently inactive.",
  cannot_remove_primary_email: "You cannot remove your primary email address.",
  duplicate_email: "This email address is already associated with this account.",
  email_password_mismatch: "The email address and/or password you specified are not correct.",
  email_taken: "A user is already registered with this email address.",
  enter_current_password: "Please type your current password.",
  incorrect_code: "Incorrect code.",
  incorrect_password: "Incorrect password.",
  invalid_or_expired_key: "Invalid or expired key.",
  invalid_login: "Invalid login.",
  invalid_password_reset: "The password reset token was invalid.",
  max_email_addresses: "You cannot add more email addresses.",
  too_many_login_attempts: "Too many failed login attempts. Try again later.",
  unknown_email: "The email address is not assigned to any user account.",
  unverified_primary_email: "Your primary email address must be verified.",
  username_blacklisted: "Username can not be used. Please use other username.",
  username_blocked: "Username can not be used. Please use other username.",
  username_password_mismatch: "The username and/or password you specified are not correct.",
  username_taken: "A user with that username already exists.",
  select_only_one: "Please select only one.",
  same_as_current: "The new value must be different from the current one.",
  rate_limited: "Be patient, you are sending too many requests.",
  add_email_blocked: "You cannot add an email address to an account protected by two-factor authentication.",
  cannot_delete_authenticator: "You cannot deactivate two-factor authentication.",
  cannot_generate_recovery_codes: "You cannot generate recovery codes without having two-factor authentication enabled.",
  unverified_email: "You cannot activate two-factor authentication until you have verified your email address.",
  password_too_short: "This password is too short.",
  password_too_common: "This password is too common.",
  password_entirely_numeric: "This password is entirely numeric.",
  password_too_similar: "The password is too similar to your personal information.",
  required: "This field is required.",
  invalid: "Enter a valid value.",
  invalid_choice: "Select a valid choice.",
  max_length: "This value is too long.",
  min_length: "This value is too short.",
  null_characters_not_allowed: "Null characters are not allowed.",
  disposable_email: "Addresses from disposable email providers are not accepted.",
};

/** The text to show for one error: the server's message, else allauth's wording for its code. */
export function errorText(error: ApiErrorItem): string {
  const message = typeof error.message === "string" ? error.message.trim() : "";
  if (message) return message;
  return ERROR_TEXT[error.code] ?? "Something went wrong. Please try again.";
}

/** Errors about one input (`errors[].param`). */
export function fieldErrors(response: Envelope | null | undefined, param: string): string[] {
  return (response?.errors ?? []).filter((e) => e.param === param).map(errorText);
}

/** Whether the answer has an error with this code (for pages that explain a case better in context). */
export function hasErrorCode(response: Envelope | null | undefined, code: string, param?: string): boolean {
  return (response?.errors ?? []).some((e) => e.code === code && (param === undefined || e.param === param));
}

const CSRF_TEXT = "Your session's security token was missing or out of date. Reload the page and try again.";

/**
 * Messages to show above a form: errors without a param (or about a param the form has no field
 * for), and a clear sentence for 429, 403, network and server failures. 409 has no generic
 * sentence on purpose beyond "not possible now": each page says what the conflict means there.
 */
export function formErrors(response: Envelope | null | undefined, fields: readonly string[] = []): string[] {
  if (!response || (response.status >= 200 && response.status < 300)) return [];
  const errors = response.errors ?? [];
  const messages = errors
    .filter((e) => !e.param || !fields.includes(e.param))
    // The server's CSRF message ("CSRF verification failed") does not say what to do about it.
    .map((e) => (e.code === "csrf_failed" ? CSRF_TEXT : errorText(e)));
  if (messages.length === 0 && !errors.some((e) => e.param && fields.includes(e.param))) {
    if (response.status === 429) messages.push("Too many requests. Please wait a minute, then try again.");
    else if (response.status >= 500) messages.push("The server had a problem. Please try again later.");
    else if (response.status === 403) messages.push("This action is not allowed.");
    else if (response.status === 409) messages.push("This is not possible at the moment. Reload the page to see where you are.");
    else if (response.status >= 400 && response.status !== 401) messages.push(`The request failed (HTTP ${response.status}).`);
  }
  return messages;
}

export function isAuthenticatedData(data: AuthData | undefined): data is AuthenticatedData {
  return !!data && "user" in data && !!data.user && !("flows" in data && Array.isArray(data.flows));
}

// ---- The server's own API (not allauth's) -------------------------------------------------------

/** GET /api/v1/users/me: the seeds' current-user answer (a DRF serializer of these four fields). */
export interface HostUser {
  id: number;
  email: string | null;
  username: string | null;
  has_mfa: boolean;
}

/**
 * The current user from the server's own API, `GET /api/v1/users/me` at the origin of the allauth base URL.
 * It is protected by Gatehouse's ASP.NET Core scheme, which reads this browser's HttpOnly session cookie: the
 * dashboard shows it to prove the cookie works beyond /_allauth. Never throws: status 0 on a network failure.
 */
export async function fetchHostUser(
  options: { baseUrl?: string; fetch?: typeof fetch } = {},
): Promise<{ status: number; user?: HostUser }> {
  const apiBase = (options.baseUrl ?? process.env.NEXT_PUBLIC_GATEHOUSE_API_BASE ?? DEFAULT_BASE).replace(/\/$/, "");
  const origin = apiBase.replace(/\/_allauth\/browser\/v1$/, "");
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  try {
    const response = await doFetch(`${origin}/api/v1/users/me`, {
      headers: { Accept: "application/json" },
      credentials: "include",
      cache: "no-store",
    });
    if (response.status !== 200) return { status: response.status };
    const body: unknown = await response.json();
    if (!body || typeof body !== "object" || typeof (body as HostUser).id !== "number") return { status: 200 };
    return { status: 200, user: body as HostUser };
  } catch {
    return { status: 0 };
  }
}
