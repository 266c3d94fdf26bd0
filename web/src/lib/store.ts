// Auth state (Zustand): the last auth envelope the API sent and the server's configuration.
// The API module reports every auth answer here; nothing else writes `auth`.
import { create } from "zustand";
import { api, isAuthenticatedData, type AuthEnvelope, type Config, type User } from "./api";
import { authStatus, type AuthStatus } from "./flows";

export interface AuthState {
  /** "loading" until the first GET auth/session answered (or failed). */
  phase: "loading" | "ready";
  auth: AuthEnvelope | null;
  config: Config | null;
  /** Set when the first load could not reach the API. */
  loadError: string | null;
  setAuth: (auth: AuthEnvelope) => void;
  init: () => Promise<void>;
}

let initStarted = false;

export const useAuthStore = create<AuthState>()((set) => ({
  phase: "loading",
  auth: null,
  config: null,
  loadError: null,
  setAuth: (auth) => set({ auth }),
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

api.onAuthChange((auth) => useAuthStore.getState().setAuth(auth));

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
