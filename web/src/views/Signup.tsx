"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, fieldErrors, formErrors } from "@/lib/api";
import { paths } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Notice, Submit } from "@/components/Form";
import { NewPasswordFields, useNewPassword } from "@/components/NewPassword";

const FIELDS = ["email", "password", "password2"] as const;

export function Signup() {
  const config = useAuthStore((s) => s.config);
  const [email, setEmail] = useState("");
  const newPassword = useNewPassword();
  const { busy, response, run } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!newPassword.confirm()) {
      return;
    }
    await run(() => api.signup({ email, password: newPassword.password }));
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
          <NewPasswordFields
            state={newPassword}
            name="password"
            label="Password"
            errors={fieldErrors(response, "password")}
            hint="At least 8 characters; not a common or all-numeric password."
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
