"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { api, fieldErrors, formErrors } from "@/lib/api";
import { paths } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Submit } from "@/components/Form";

const FIELDS = ["email", "username", "password"] as const;

export function Login() {
  const search = useSearchParams();
  const next = search.get("next");
  const config = useAuthStore((s) => s.config);
  const methods = config?.account.login_methods ?? ["email"];
  const byUsername = methods.includes("username") && !methods.includes("email");
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const { busy, response, run } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    // The flow router sends the user on (next, dashboard, or a pending step); errors stay here.
    await run(() => api.login(byUsername ? { username: login, password } : { email: login, password }));
  }

  const withNext = (path: string) => (next ? `${path}?next=${encodeURIComponent(next)}` : path);
  const loginErrors = [...fieldErrors(response, "email"), ...fieldErrors(response, "username")];

  return (
    <RequireAnonymous>
      <Card title="Log in" intro={next ? "Log in to continue." : undefined}>
        <form onSubmit={submit} noValidate className="form">
          <FormErrors messages={formErrors(response, FIELDS)} />
          <Field
            label={byUsername ? "Username" : "Email"}
            name={byUsername ? "username" : "email"}
            type={byUsername ? "text" : "email"}
            autoComplete={byUsername ? "username" : "email"}
            required
            autoFocus
            value={login}
            onChange={(e) => setLogin(e.target.value)}
            errors={loginErrors}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            errors={fieldErrors(response, "password")}
          />
          <Submit busy={busy}>Log in</Submit>
        </form>
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
