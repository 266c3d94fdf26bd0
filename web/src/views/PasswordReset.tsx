"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, formErrors, type Envelope, type PasswordResetInfo } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { useApiAction, useKeyFromLocation, useKeyInfo } from "@/lib/hooks";
import { useAuthStore } from "@/lib/store";
import { Card, Field, FormErrors, Loading, Notice, Submit } from "@/components/Form";
import { CodeForm } from "@/components/CodeForm";
import { NewPasswordFields, useNewPassword } from "@/components/NewPassword";

/**
 * /account/password/reset: asks for the address to send a reset link to. With reset by code
 * (config password_reset_by_code_enabled) the server answers 401 with password_reset_by_code
 * pending, and the flow router opens the code page.
 */
export function PasswordResetRequest() {
  const byCode = useAuthStore((s) => s.config?.account.password_reset_by_code_enabled === true);
  const [email, setEmail] = useState("");
  const { busy, response, run, edited, fieldErrors } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(() => api.requestPasswordReset(email));
  }

  if (response?.status === 200) {
    return (
      <Card title="Check your inbox">
        <Notice kind="success">
          If <span className="value">{email}</span> belongs to an account, we have sent it a link to choose a new
          password.
        </Notice>
        <p>
          <Link href={paths.login}>Back to log in</Link>
        </p>
      </Card>
    );
  }
  return (
    <Card
      title="Reset your password"
      intro={`Enter your email address and we will send you a ${byCode ? "code" : "link"} to choose a new password.`}
    >
      <form onSubmit={submit} noValidate className="form">
        <FormErrors
          messages={
            response?.status === 409
              ? ["You are logged in: change your password on the password page instead."]
              : response?.status === 401
                ? []
                : formErrors(response, ["email"])
          }
        />
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
        <Submit busy={busy}>{byCode ? "Send the code" : "Send the link"}</Submit>
      </form>
      <ul className="links">
        <li>
          <Link href={paths.login}>Back to log in</Link>
        </li>
      </ul>
    </Card>
  );
}

export const PASSWORD_RESET_KEY_PREFIX = "/account/password/reset/key/";

/** /account/password/reset/key/{key}: chooses the new password. */
export function PasswordResetKey() {
  const key = useKeyFromLocation(PASSWORD_RESET_KEY_PREFIX);
  const info = useKeyInfo(key, api.getPasswordReset);
  const newPassword = useNewPassword();
  const { busy, response, run, edited, fieldErrors } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!newPassword.confirm()) {
      return;
    }
    if (key) await run(() => api.resetPassword({ key, password: newPassword.password }));
  }

  if (key === undefined || (key && !info)) return <Loading />;
  if (!key || (info && info.status !== 200)) {
    return (
      <Card title="Reset your password">
        <FormErrors
          messages={
            info && (info.status === 0 || info.status === 429 || info.status >= 500)
              ? formErrors(info)
              : ["This password reset link is invalid or has expired."]
          }
        />
        <p>
          <Link href={paths.passwordReset}>Ask for a new link</Link>
        </p>
      </Card>
    );
  }
  if (response?.status === 401 || response?.status === 200) {
    return (
      <Card title="Password changed">
        <Notice kind="success">Your password has been changed.</Notice>
        <p>
          <Link href={paths.login}>Log in with your new password</Link>
        </p>
      </Card>
    );
  }
  const keyInvalid = (response?.errors ?? []).some((e) => e.param === "key");
  return (
    <Card title="Choose a new password" intro={info?.data?.user.email ? `For ${info.data.user.email}.` : undefined}>
      <form onSubmit={submit} noValidate className="form">
        <FormErrors
          messages={[
            ...(keyInvalid ? ["This password reset link is invalid or has expired."] : []),
            ...formErrors(response, ["password", "key"]),
          ]}
        />
        <NewPasswordFields
          state={newPassword}
          name="password"
          label="New password"
          errors={fieldErrors("password")}
          onEdit={() => edited("password")}
          autoFocus
        />
        <Submit busy={busy}>Change password</Submit>
      </form>
    </Card>
  );
}

/**
 * /account/password/reset/confirm: reset by code (allauth's SPA path). First the mailed code, which
 * GET auth/password/reset checks (a wrong one counts as an attempt), then the new password, sent
 * with the same code as `key`. The page keeps the code in memory only, never in the address.
 */
export function PasswordResetCode() {
  const phase = useAuthStore((s) => s.phase);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  const [accepted, setAccepted] = useState<{ code: string; email?: string } | null>(null);
  const check = useApiAction();
  const reset = useApiAction();
  const newPassword = useNewPassword();

  async function submitCode(value: string) {
    const r = await api.getPasswordReset(value);
    if (r.status === 200) setAccepted({ code: value, email: r.data?.user.email });
    return r;
  }
  async function submitPassword(event: FormEvent) {
    event.preventDefault();
    if (!accepted || !newPassword.confirm()) return;
    await reset.run(() => api.resetPassword({ key: accepted.code, password: newPassword.password }));
  }

  const resetStatus = reset.response?.status;
  if (resetStatus === 401 || resetStatus === 200) {
    // 200 when the server logs in after a reset (the flow router goes on), else 401.
    return (
      <Card title="Password changed">
        <Notice kind="success">Your password has been changed.</Notice>
        <p>
          <Link href={paths.login}>Log in with your new password</Link>
        </p>
      </Card>
    );
  }
  // 409: no reset by code is pending any more (it expired, or a wrong code was entered too often).
  const ended =
    check.response?.status === 409 || resetStatus === 409 || (reset.response?.errors ?? []).some((e) => e.param === "key");
  if (ended) {
    return (
      <Card title="Reset your password">
        <FormErrors messages={["This reset code can no longer be used: it has expired, or a wrong code was entered too often."]} />
        <p>
          <Link href={paths.passwordReset}>Ask for a new code</Link>
        </p>
      </Card>
    );
  }
  if (phase !== "ready") return <Loading />;
  if (!accepted && pending?.id !== "password_reset_by_code") {
    return (
      <Card title="Enter your reset code">
        <Notice>There is no password reset waiting in this browser, or it has expired.</Notice>
        <p>
          <Link href={paths.passwordReset}>Ask for a new code</Link>
        </p>
      </Card>
    );
  }
  if (accepted) {
    return (
      <Card title="Choose a new password" intro={accepted.email ? `For ${accepted.email}.` : undefined}>
        <form onSubmit={submitPassword} noValidate className="form">
          <FormErrors messages={formErrors(reset.response, ["password", "key"])} />
          <NewPasswordFields
            state={newPassword}
            name="password"
            label="New password"
            errors={reset.fieldErrors("password")}
            onEdit={() => reset.edited("password")}
            autoFocus
          />
          <Submit busy={reset.busy}>Change password</Submit>
        </form>
      </Card>
    );
  }
  return (
    <Card title="Enter your reset code" intro="We have emailed you a code. It expires shortly, so please enter it soon.">
      <CodeForm action={check} submit={submitCode} param="key" submitLabel="Continue" />
      <ul className="links">
        <li>
          <Link href={paths.passwordReset}>Ask for a new code</Link>
        </li>
      </ul>
    </Card>
  );
}
