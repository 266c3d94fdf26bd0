"use client";
import { useState, type FormEvent } from "react";
import { api, fieldErrors, formErrors } from "@/lib/api";
import { useApiAction } from "@/lib/hooks";
import { useUser } from "@/lib/store";
import { RequireAuth } from "@/components/Guards";
import { Card, Field, FormErrors, Notice, Submit } from "@/components/Form";

export function PasswordChange() {
  return (
    <RequireAuth>
      <PasswordChangeForm />
    </RequireAuth>
  );
}

function PasswordChangeForm() {
  const user = useUser();
  const hasPassword = user?.has_usable_password !== false;
  const [current, setCurrent] = useState("");
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
    const r = await run(() =>
      api.changePassword(hasPassword ? { current_password: current, new_password: password } : { new_password: password }),
    );
    if (r.status === 200) {
      setCurrent("");
      setPassword("");
      setPassword2("");
    }
  }

  return (
    <Card
      title={hasPassword ? "Change password" : "Set a password"}
      intro={hasPassword ? "Changing your password logs you out of your other sessions." : "Your account has no password yet."}
    >
      {response?.status === 200 ? <Notice kind="success">Your password has been {hasPassword ? "changed" : "set"}.</Notice> : null}
      <form onSubmit={submit} noValidate className="form">
        <FormErrors messages={formErrors(response, ["current_password", "new_password"])} />
        <input type="text" name="username" autoComplete="username" value={user?.email ?? ""} readOnly hidden />
        {hasPassword ? (
          <Field
            label="Current password"
            name="current_password"
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            errors={fieldErrors(response, "current_password")}
          />
        ) : null}
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          errors={fieldErrors(response, "new_password")}
        />
        <Field
          label="New password (again)"
          name="new_password2"
          type="password"
          autoComplete="new-password"
          required
          value={password2}
          onChange={(e) => setPassword2(e.target.value)}
          errors={mismatch ? ["The two passwords do not match."] : []}
        />
        <Submit busy={busy}>{hasPassword ? "Change password" : "Set password"}</Submit>
      </form>
    </Card>
  );
}
