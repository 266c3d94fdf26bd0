"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, fieldErrors, formErrors } from "@/lib/api";
import { paths } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Notice, Submit } from "@/components/Form";

const FIELDS = ["email", "password", "password2"] as const;

export function Signup() {
  const config = useAuthStore((s) => s.config);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [password2, setPassword2] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const { busy, response, run } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== password2) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    await run(() => api.signup({ email, password }));
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
      <Card title="Create an account" intro="We will email you a link to confirm your address.">
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
            onChange={(e) => setEmail(e.target.value)}
            errors={fieldErrors(response, "email")}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            errors={fieldErrors(response, "password")}
            hint="At least 8 characters; not a common or all-numeric password."
          />
          <Field
            label="Password (again)"
            name="password2"
            type="password"
            autoComplete="new-password"
            required
            value={password2}
            onChange={(e) => setPassword2(e.target.value)}
            errors={mismatch ? ["The two passwords do not match."] : []}
          />
          <Submit busy={busy}>Sign up</Submit>
        </form>
        <ul className="links">
          <li>
            Already have an account? <Link href={paths.login}>Log in</Link>
          </li>
        </ul>
      </Card>
    </RequireAnonymous>
  );
}
