"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, formErrors, loginField } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Notice, Submit } from "@/components/Form";
import { NewPasswordFields, useNewPassword } from "@/components/NewPassword";
import { usePasskeySignup } from "./PasskeySignup";

const FIELDS = ["email", "username", "password", "password2"] as const;

export function Signup() {
  const config = useAuthStore((s) => s.config);
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  // A server that logs in by username has signup ask for one (Gatehouse refuses to start otherwise;
  // allauth's ACCOUNT_SIGNUP_FIELDS needs "username*" then too). The config has no signup fields.
  const askUsername = loginField(config?.account.login_methods) !== "email";
  const newPassword = useNewPassword();
  const { busy, response, run, edited, fieldErrors } = useApiAction();
  const noteVerificationMail = useAuthStore((s) => s.noteVerificationMail);
  const byCode = config?.account.email_verification_by_code_enabled === true;
  const passkeySignup = usePasskeySignup();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!newPassword.confirm()) {
      return;
    }
    const password = newPassword.password;
    const r = await run(() => api.signup(askUsername ? { email, username: username.trim(), password } : { email, password }));
    if (r.status === 401 && pendingFlow(r)?.id === "verify_email") noteVerificationMail("sent");
  }

  if (config && !config.account.is_open_for_signup) {
    return (
      <Card title="Sign up">
        <Notice>Sign-up is closed on this server.</Notice>
      </Card>
    );
  }

  return (
    <RequireAnonymous>
      <Card title="Create an account" intro={`We will email you a ${byCode ? "code" : "link"} to confirm your address.`}>
        <form onSubmit={submit} noValidate className="form">
          <FormErrors messages={formErrors(response, FIELDS)} />
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
          {askUsername ? (
            <Field
              label="Username"
              name="username"
              type="text"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => {
                setUsername(e.target.value);
                edited("username");
              }}
              errors={fieldErrors("username")}
            />
          ) : null}
          <NewPasswordFields
            state={newPassword}
            name="password"
            label="Password"
            errors={fieldErrors("password")}
            onEdit={() => edited("password")}
          />
          <Submit busy={busy}>Sign up</Submit>
        </form>
        <ul className="links">
          {passkeySignup ? (
            <li>
              <Link href={paths.signupPasskey}>Sign up with a passkey instead</Link>
            </li>
          ) : null}
          <li>
            Already have an account? <Link href={paths.login}>Log in</Link>
          </li>
        </ul>
      </Card>
    </RequireAnonymous>
  );
}
