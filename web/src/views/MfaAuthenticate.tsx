"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState, type ReactNode } from "react";
import { api, formErrors, hasErrorCode, type AuthenticatorType, type Envelope, type Flow, type UnauthenticatedData } from "@/lib/api";
import { mfaPaths, paths, pathForFlow, pendingFlow } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { runRequestCeremony } from "@/lib/webauthn";
import { RequireAuth } from "@/components/Guards";
import { CodeForm } from "@/components/CodeForm";
import { Card, FormErrors, Loading, Notice } from "@/components/Form";

/** allauth SPA's labels for the links between a flow's types. */
export const MFA_TYPE_LABELS: Readonly<Record<AuthenticatorType, string>> = {
  totp: "Use your authenticator app",
  recovery_codes: "Use a recovery code",
  webauthn: "Use a security key or passkey",
};

/** Links to the other factors the flow offers (allauth SPA's "Alternative options"). */
function Alternatives({ flow, current, next, extra }: { flow: Flow; current: AuthenticatorType; next?: string | null; extra?: ReactNode }) {
  const others = (flow.types ?? []).filter((t): t is AuthenticatorType => t !== current && t in MFA_TYPE_LABELS);
  if (!others.length && !extra) return null;
  const q = next ? `?next=${encodeURIComponent(next)}` : "";
  return (
    <>
      <h2>Other options</h2>
      <ul className="links">
        {others.map((t) => (
          <li key={t}>
            <Link replace href={pathForFlow(flow, t) + q}>
              {MFA_TYPE_LABELS[t]}
            </Link>
          </li>
        ))}
        {extra}
      </ul>
    </>
  );
}

/** The body for one type: a code form (TOTP, recovery code) or the security key button. */
function FactorForm({
  type,
  submitCode,
  runWebAuthn,
  submitLabel,
}: {
  type: AuthenticatorType;
  submitCode: (code: string) => Promise<Envelope>;
  runWebAuthn: () => Promise<Envelope>;
  submitLabel: string;
}) {
  const action = useApiAction();
  if (type === "webauthn") {
    return (
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(runWebAuthn);
        }}
      >
        <FormErrors messages={formErrors(action.response)} />
        <button type="submit" className="button button--primary" disabled={action.busy} aria-busy={action.busy || undefined}>
          {action.busy ? "Waiting for your security key…" : "Use security key"}
        </button>
      </form>
    );
  }
  return (
    <CodeForm
      key={type}
      action={action}
      submit={submitCode}
      param="code"
      label={type === "totp" ? "Authenticator code" : "Recovery code"}
      hint={type === "totp" ? "The 6-digit code your authenticator app shows for this account." : "One of the codes you saved when you set up two-factor authentication. Each works once."}
      inputMode={type === "totp" ? "numeric" : "text"}
      submitLabel={submitLabel}
    />
  );
}

/**
 * /account/authenticate/{totp,recovery-codes,webauthn}: the second factor of a login (pending
 * mfa_authenticate). Success answers 200 (or the next stage, e.g. mfa_trust): the flow router goes on.
 */
export function MfaAuthenticate({ type }: { type: AuthenticatorType }) {
  const phase = useAuthStore((s) => s.phase);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  const [ended, setEnded] = useState(false);

  // The pending login ends after too many wrong codes (400 too_many_login_attempts) or when it
  // expired (409): only a new login can start another.
  const watch = async (r: Envelope) => {
    if (r.status === 409 || hasErrorCode(r, "too_many_login_attempts")) setEnded(true);
    return r;
  };

  if (phase !== "ready") return <Loading />;
  if (ended || pending?.id !== "mfa_authenticate") {
    return (
      <Card title="Two-factor authentication">
        {ended ? (
          <FormErrors messages={["This login can no longer be completed: it expired, or a wrong code was entered too often."]} />
        ) : (
          <Notice>There is no login waiting for a second factor in this browser, or it has expired.</Notice>
        )}
        <p>
          <Link href={paths.login}>Log in again</Link>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Two-factor authentication" intro="Your account is protected by two-factor authentication.">
      <FactorForm
        type={type}
        submitLabel="Sign in"
        submitCode={async (code) => watch(await api.mfaAuthenticate(code))}
        runWebAuthn={async () => watch(await runRequestCeremony(api.getWebAuthnAuthenticateOptions, api.authenticateWebAuthn))}
      />
      <Alternatives flow={pending} current={type} />
    </Card>
  );
}

/** The mfa_reauthenticate flow of the last "reauthentication required" answer, if any. */
const NO_FLOWS: Flow[] = [];
function useReauthenticationFlows(): Flow[] {
  // A constant for "none": a selector that returns a new [] on every call makes React re-render forever.
  return useAuthStore((s) => (s.auth?.status === 401 ? ((s.auth.data as UnauthenticatedData | undefined)?.flows ?? NO_FLOWS) : NO_FLOWS));
}

/**
 * /account/reauthenticate/{totp,recovery-codes,webauthn}?next=: confirms it is you with a factor
 * before a sensitive action (pending mfa_reauthenticate); success returns to `next` (flow router).
 */
export function MfaReauthenticate({ type }: { type: AuthenticatorType }) {
  const next = useSearchParams().get("next");
  const flows = useReauthenticationFlows();
  const config = useAuthStore((s) => s.config);
  // Opened directly (no 401 in the store): offer the types the server supports.
  const flow: Flow = flows.find((f) => f.id === "mfa_reauthenticate") ?? {
    id: "mfa_reauthenticate",
    types: config?.mfa?.supported_types ?? Object.keys(mfaPaths.mfa_reauthenticate),
  };
  const password = flows.length === 0 || flows.some((f) => f.id === "reauthenticate");
  const q = next ? `?next=${encodeURIComponent(next)}` : "";
  return (
    <RequireAuth>
      <Card title="Confirm it is you" intro="For your security, confirm with your second factor to continue.">
        <FactorForm
          type={type}
          submitLabel="Confirm"
          submitCode={api.mfaReauthenticate}
          runWebAuthn={() => runRequestCeremony(api.getWebAuthnReauthenticateOptions, api.reauthenticateWebAuthn)}
        />
        <Alternatives
          flow={flow}
          current={type}
          next={next}
          extra={
            password ? (
              <li>
                <Link replace href={paths.reauthenticate + q}>
                  Use your password
                </Link>
              </li>
            ) : null
          }
        />
      </Card>
    </RequireAuth>
  );
}

/** Links from the password reauthentication page to the factors the server offers. */
export function ReauthenticateAlternatives() {
  const next = useSearchParams().get("next");
  const flow = useReauthenticationFlows().find((f) => f.id === "mfa_reauthenticate");
  if (!flow?.types?.length) return null;
  const q = next ? `?next=${encodeURIComponent(next)}` : "";
  return (
    <ul className="links">
      {flow.types
        .filter((t): t is AuthenticatorType => t in MFA_TYPE_LABELS)
        .map((t) => (
          <li key={t}>
            <Link replace href={pathForFlow(flow, t) + q}>
              {MFA_TYPE_LABELS[t]}
            </Link>
          </li>
        ))}
    </ul>
  );
}

/** /account/2fa/trust: pending mfa_trust, after the second factor (server setting TrustEnabled). */
export function MfaTrust() {
  const phase = useAuthStore((s) => s.phase);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  const { busy, response, run } = useApiAction();
  if (phase !== "ready") return <Loading />;
  if (pending?.id !== "mfa_trust") {
    return (
      <Card title="Trust this browser?">
        <Notice>There is no login waiting in this browser, or it has expired.</Notice>
        <p>
          <Link href={paths.login}>Log in</Link>
        </p>
      </Card>
    );
  }
  return (
    <Card
      title="Trust this browser?"
      intro="If you trust this browser, you will not be asked for a second factor the next time you log in here. Do not trust a shared or public computer."
    >
      <FormErrors messages={formErrors(response)} />
      <div className="actions">
        <button type="button" className="button button--primary" disabled={busy} onClick={() => void run(() => api.mfaTrust(true))}>
          Trust this browser
        </button>
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => void run(() => api.mfaTrust(false))}>
          Don&apos;t trust
        </button>
      </div>
    </Card>
  );
}
