"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { api, formErrors, loginBody, loginField } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Submit } from "@/components/Form";
import { runRequestCeremony } from "@/lib/webauthn";

const FIELDS = ["email", "username", "password"] as const;

export function Login() {
  const search = useSearchParams();
  const next = search.get("next");
  const config = useAuthStore((s) => s.config);
  const methods = config?.account.login_methods;
  const field = loginField(methods);
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const { busy, response, run, edited, fieldErrors } = useApiAction();
  const noteVerificationMail = useAuthStore((s) => s.noteVerificationMail);
  const passkey = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    // The flow router sends the user on (next, dashboard, or a pending step); errors stay here.
    const r = await run(() => api.login(loginBody(methods, login, password)));
    // An unverified account is mailed a new link, unless one went out within the cooldown.
    if (r.status === 401 && pendingFlow(r)?.id === "verify_email") noteVerificationMail("unless-recent");
  }

  const withNext = (path: string) => (next ? `${path}?next=${encodeURIComponent(next)}` : path);
  const loginErrors = [...fieldErrors("email"), ...fieldErrors("username")];
  const label = field === "email_or_username" ? "Email or username" : field === "username" ? "Username" : "Email";

  return (
    <RequireAnonymous>
      <Card title="Log in" intro={next ? "Log in to continue." : undefined}>
        <form onSubmit={submit} noValidate className="form">
          <FormErrors messages={formErrors(response, FIELDS)} />
          <Field
            label={label}
            name={field === "email_or_username" ? "login" : field}
            type={field === "email" ? "email" : "text"}
            autoComplete={field === "email" ? "email" : "username"}
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            value={login}
            onChange={(e) => {
              setLogin(e.target.value);
              // "The email address and/or password ... are not correct" sits under the password, but is about both.
              edited("email", "username", "password");
            }}
            errors={loginErrors}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              edited("password");
            }}
            errors={fieldErrors("password")}
          />
          <Submit busy={busy}>Log in</Submit>
        </form>
        {config?.mfa?.passkey_login_enabled ? (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              // auth/webauthn/login: a discoverable credential, no address typed; the flow router goes on.
              void passkey.run(() => runRequestCeremony(api.getWebAuthnLoginOptions, api.loginWebAuthn));
            }}
          >
            <FormErrors messages={formErrors(passkey.response)} />
            <button type="submit" className="button button--secondary" disabled={passkey.busy} aria-busy={passkey.busy || undefined}>
              {passkey.busy ? "Waiting for your passkey…" : "Sign in with a passkey"}
            </button>
          </form>
        ) : null}
        <ul className="links">
          <li>
            <Link href={paths.passwordReset}>Forgot your password?</Link>
          </li>
          {config?.account.login_by_code_enabled !== false ? (
            <li>
              <Link href={withNext(paths.loginCode)}>Email me a sign-in code</Link>
            </li>
          ) : null}
          {config?.account.is_open_for_signup !== false ? (
            <li>
              No account? <Link href={withNext(paths.signup)}>Sign up</Link>
            </li>
          ) : null}
        </ul>
      </Card>
    </RequireAnonymous>
  );
}
