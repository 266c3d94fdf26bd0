"use client";
import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { api, formErrors } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { runCreationCeremony } from "@/lib/webauthn";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Loading, Notice, Submit } from "@/components/Form";

let passkeySignupProbe: Promise<boolean> | null = null;

/**
 * Whether the server signs up by passkey (Gatehouse:Mfa:PasskeySignupEnabled). Neither Gatehouse's
 * config nor allauth's publishes it (allauth's SPA always shows the link), so this asks the route
 * itself: GET auth/webauthn/signup answers 409 without a pending passkey signup when the feature is
 * on, and 404 when it is off (its routes are not mapped). The GET changes nothing. Asked once per page load.
 */
export function usePasskeySignup(): boolean | null {
  const [on, setOn] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    passkeySignupProbe ??= api.getWebAuthnSignupOptions().then((r) => r.status === 409 || r.status === 200);
    void passkeySignupProbe.then((v) => live && setOn(v));
    return () => {
      live = false;
    };
  }, []);
  return on;
}

/** /account/signup/passkey: an account without a password; the address is confirmed by code first. */
export function SignupByPasskey() {
  const on = usePasskeySignup();
  const [email, setEmail] = useState("");
  const { busy, response, run, edited, fieldErrors } = useApiAction();
  const noteVerificationMail = useAuthStore((s) => s.noteVerificationMail);

  async function submit(event: FormEvent) {
    event.preventDefault();
    // 401 with verify_email pending: the flow router opens the code page, then the passkey step.
    const r = await run(() => api.signupByPasskey({ email }));
    if (r.status === 401 && pendingFlow(r)?.id === "verify_email") noteVerificationMail("sent");
  }

  if (on === null) return <Loading />;
  if (!on) {
    return (
      <Card title="Sign up with a passkey">
        <Notice>This server does not offer sign-up with a passkey.</Notice>
        <p>
          <Link href={paths.signup}>Sign up with a password</Link>
        </p>
      </Card>
    );
  }
  return (
    <RequireAnonymous>
      <Card title="Sign up with a passkey" intro="No password: we email you a code to confirm your address, then your device creates a passkey.">
        <form onSubmit={submit} noValidate className="form">
          <FormErrors messages={formErrors(response, ["email"])} />
          <Field
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            required
            autoFocus
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
              edited("email");
            }}
            errors={fieldErrors("email")}
          />
          <Submit busy={busy}>Continue</Submit>
        </form>
        <ul className="links">
          <li>
            <Link href={paths.signup}>Sign up with a password instead</Link>
          </li>
          <li>
            Already have an account? <Link href={paths.login}>Log in</Link>
          </li>
        </ul>
      </Card>
    </RequireAnonymous>
  );
}

/** /account/signup/passkey/create: pending mfa_signup_webauthn: the passkey is made, and that logs in. */
export function CreateSignupPasskey() {
  const phase = useAuthStore((s) => s.phase);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  const [name, setName] = useState("");
  const { busy, response, run, edited, fieldErrors } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    // 200 logs in: the flow router goes on.
    await run(() => runCreationCeremony(api.getWebAuthnSignupOptions, (credential) => api.completeWebAuthnSignup(name.trim(), credential)));
  }

  if (phase !== "ready") return <Loading />;
  if (response?.status === 409 || pending?.id !== "mfa_signup_webauthn") {
    return (
      <Card title="Create your passkey">
        <Notice>There is no passkey sign-up waiting in this browser, or it has expired.</Notice>
        <p>
          <Link href={paths.signupPasskey}>Start again</Link>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Create your passkey" intro="Your address is confirmed. Your device now creates the passkey you will log in with.">
      <form onSubmit={submit} noValidate className="form">
        <FormErrors messages={formErrors(response, ["name"])} />
        <Field
          label="Name"
          name="name"
          hint="To tell your passkeys apart later, e.g. “Work laptop”."
          maxLength={255}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            edited("name");
          }}
          errors={fieldErrors("name")}
        />
        <Submit busy={busy}>Create passkey</Submit>
      </form>
    </Card>
  );
}
