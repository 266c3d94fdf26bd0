"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, fieldErrors, formErrors, type Envelope, type PasswordResetInfo } from "@/lib/api";
import { paths } from "@/lib/flows";
import { useApiAction, useKeyFromLocation, useKeyInfo } from "@/lib/hooks";
import { Card, Field, FormErrors, Loading, Notice, Submit } from "@/components/Form";
import { NewPasswordFields, useNewPassword } from "@/components/NewPassword";

/** /account/password/reset: asks for the address to send a reset link to. */
export function PasswordResetRequest() {
  const [email, setEmail] = useState("");
  const { busy, response, run } = useApiAction();

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
    <Card title="Reset your password" intro="Enter your email address and we will send you a link to choose a new password.">
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
          onChange={(e) => setEmail(e.target.value)}
          errors={fieldErrors(response, "email")}
        />
        <Submit busy={busy}>Send the link</Submit>
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
  const { busy, response, run } = useApiAction();

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
        <NewPasswordFields state={newPassword} name="password" label="New password" errors={fieldErrors(response, "password")} autoFocus />
        <Submit busy={busy}>Change password</Submit>
      </form>
    </Card>
  );
}
