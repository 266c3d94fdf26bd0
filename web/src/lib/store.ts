// Auth state (Zustand): the last auth envelope the API sent and the server's configuration.
// The API module reports every auth answer here; nothing else writes `auth`.
import { create } from "zustand";
import { api, isAuthenticatedData, type AuthEnvelope, type Config, type User } from "./api";
import { authStatus, type AuthStatus } from "./flows";

export interface AuthState {
  /** "loading" until the first GET auth/session answered (or failed). */
  phase: "loading" | "ready";
  auth: AuthEnvelope | null;
  /** The request `auth` came from ("POST auth/signup"), for the flow router. */
  authRequest: string | null;
  config: Config | null;
  /** Set when the first load could not reach the API. */
  loadError: string | null;
  setAuth: (auth: AuthEnvelope, request?: string) => void;
  /** When this browser last made the server mail a verification (epoch ms); null when unknown. */
  verificationMailAt: number | null;
  /**
   * Records a verification mail: "sent" when the server always sends (signup, a resend that
   * answered 200), "unless-recent" when it skips the mail within the cooldown (a login of an
   * unverified account), so an earlier time within the cooldown stays.
   */
  noteVerificationMail: (kind: "sent" | "unless-recent", now?: number) => void;
  init: () => Promise<void>;
}

/**
 * How long the server waits before it mails another verification to the same address: Gatehouse's
 * Gatehouse:Account:EmailConfirmationCooldown and allauth's confirm_email rate limit ("1/3m/key")
 * both default to 3 minutes. The server publishes neither (no config field, no Retry-After), so the
 * frontend assumes the default to tell the user when to ask again.
 */
export const VERIFICATION_MAIL_COOLDOWN_MS = 3 * 60 * 1000;

let initStarted = false;

export const useAuthStore = create<AuthState>()((set) => ({
  phase: "loading",
  auth: null,
  authRequest: null,
  config: null,
  loadError: null,
  setAuth: (auth, request) => set({ auth, authRequest: request ?? null }),
  verificationMailAt: null,
  noteVerificationMail: (kind, now = Date.now()) =>
    set((s) => {
      const recent = s.verificationMailAt !== null && now - s.verificationMailAt < VERIFICATION_MAIL_COOLDOWN_MS;
      return { verificationMailAt: kind === "unless-recent" && recent ? s.verificationMailAt : now };
    }),
  init: async () => {
    if (initStarted) return;
    initStarted = true;
    const [config, session] = await Promise.all([api.getConfig(), api.getSession()]);
    const loadError =
      session.status === 0 || config.status === 0
        ? "Could not reach the Gatehouse server. Check that it is running, then reload."
        : session.status >= 500
          ? "The Gatehouse server had a problem. Reload to try again."
          : null;
    set({
      phase: "ready",
      config: config.status === 200 && config.data ? (config.data as Config) : null,
      loadError,
    });
  },
}));

api.onAuthChange((auth, request) => useAuthStore.getState().setAuth(auth, request));

export function useAuthStatus(): AuthStatus {
  return useAuthStore((s) => authStatus(s.auth));
}

export function useUser(): User | null {
  return useAuthStore((s) => {
    const data = s.auth?.data;
    if (isAuthenticatedData(data)) return data.user;
    if (data && "user" in data && data.user) return data.user;
    return null;
  });
}
