"use client";
import { useState, type FormEvent } from "react";
import { api, fieldErrors, formErrors } from "@/lib/api";
import { useApiAction } from "@/lib/hooks";
import { useUser } from "@/lib/store";
import { RequireAuth } from "@/components/Guards";
import { Card, Field, FormErrors, Notice, Submit } from "@/components/Form";
import { NewPasswordFields, useNewPassword } from "@/components/NewPassword";

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
  const newPassword = useNewPassword();
  const { busy, response, run } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!newPassword.confirm()) {
      return;
    }
    const password = newPassword.password;
    const r = await run(() =>
      api.changePassword(hasPassword ? { current_password: current, new_password: password } : { new_password: password }),
    );
    if (r.status === 200) {
      setCurrent("");
      newPassword.clear();
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
        <NewPasswordFields state={newPassword} name="new_password" label="New password" errors={fieldErrors(response, "new_password")} />
        <Submit busy={busy}>{hasPassword ? "Change password" : "Set password"}</Submit>
      </form>
    </Card>
  );
}
