"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, formErrors } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { RequireAnonymous } from "@/components/Guards";
import { Card, Field, FormErrors, Loading, Notice, Submit } from "@/components/Form";
import { CodeForm } from "@/components/CodeForm";

/** /account/login/code: asks for the address to mail a sign-in code to. */
export function LoginCodeRequest() {
  const [email, setEmail] = useState("");
  const { busy, response, run, edited, fieldErrors } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(() => api.requestLoginCode(email)); // 401 with login_by_code pending → the code page
  }

  return (
    <RequireAnonymous>
      <Card title="Sign in with a code" intro="We will email you a one-time code; no password needed.">
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
          <Submit busy={busy}>Email me a code</Submit>
        </form>
        <ul className="links">
          <li>
            <Link href={paths.login}>Log in with a password instead</Link>
          </li>
        </ul>
      </Card>
    </RequireAnonymous>
  );
}

/** /account/login/code/confirm: enters the mailed code. */
export function LoginCodeConfirm() {
  const phase = useAuthStore((s) => s.phase);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  const confirm = useApiAction();
  const { response } = confirm;
  const resend = useApiAction();

  async function again(event: FormEvent) {
    event.preventDefault();
    await resend.run(() => api.resendLoginCode());
  }

  if (phase !== "ready") return <Loading />;
  // 409: the code flow ended (it expired, or a wrong code was entered too often).
  if (response?.status === 409 || resend.response?.status === 409) {
    return (
      <Card title="Enter your code">
        <FormErrors messages={["This sign-in code can no longer be used: it has expired, or a wrong code was entered too often."]} />
        <p>
          <Link href={paths.loginCode}>Ask for a new code</Link>
        </p>
      </Card>
    );
  }
  if (pending?.id !== "login_by_code") {
    return (
      <RequireAnonymous>
        <Card title="Enter your code">
          <Notice>There is no sign-in code waiting in this browser, or it has expired.</Notice>
          <p>
            <Link href={paths.loginCode}>Ask for a new code</Link>
          </p>
        </Card>
      </RequireAnonymous>
    );
  }
  return (
    <Card title="Enter your code" intro="We have emailed you a code. It is valid for a few minutes.">
      <CodeForm action={confirm} submit={api.confirmLoginCode} param="code" submitLabel="Sign in" />
      <form onSubmit={again} className="form form--inline">
        {resend.response?.status === 200 ? <Notice kind="success">A new code is on its way.</Notice> : null}
        <FormErrors
          messages={
            resend.response?.status === 429
              ? ["A code was sent a moment ago. Please wait a minute before asking for another."]
              : formErrors(resend.response)
          }
        />
        <Submit busy={resend.busy} variant="secondary">
          Send a new code
        </Submit>
      </form>
    </Card>
  );
}
