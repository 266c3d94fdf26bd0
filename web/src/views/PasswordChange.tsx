"use client";
import { useState, type FormEvent } from "react";
import { api, ERROR_TEXT, formErrors, hasErrorCode } from "@/lib/api";
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
  const { busy, response, run, edited, fieldErrors } = useApiAction();
  const [sentCurrent, setSentCurrent] = useState(false);
  // What the last success did: the user's has_usable_password turns true once a first password is
  // set, so the notice cannot be worded from the current state.
  const [done, setDone] = useState<"changed" | "set" | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!newPassword.confirm()) {
      return;
    }
    setSentCurrent(current !== "");
    setDone(null);
    const password = newPassword.password;
    const r = await run(() =>
      api.changePassword(hasPassword ? { current_password: current, new_password: password } : { new_password: password }),
    );
    if (r.status === 200) {
      setDone(hasPassword ? "changed" : "set");
      setCurrent("");
      newPassword.clear();
    }
  }

  // allauth's headless API answers a wrong current password with enter_current_password, whose
  // message ("Please type your current password.") reads as if the field were empty. When a
  // password was typed, say what happened, in allauth's wording for a wrong password.
  const currentErrors =
    sentCurrent && hasErrorCode(response, "enter_current_password", "current_password")
      ? fieldErrors("current_password").length
        ? [ERROR_TEXT.incorrect_password!]
        : []
      : fieldErrors("current_password");

  return (
    <Card
      title={hasPassword ? "Change password" : "Set a password"}
      intro={hasPassword ? "Changing your password logs you out of your other sessions." : "Your account has no password yet."}
    >
      {done ? <Notice kind="success">Your password has been {done}.</Notice> : null}
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
            onChange={(e) => {
              setCurrent(e.target.value);
              edited("current_password");
            }}
            errors={currentErrors}
          />
        ) : null}
        <NewPasswordFields
          state={newPassword}
          name="new_password"
          label="New password"
          errors={fieldErrors("new_password")}
          onEdit={() => edited("new_password")}
        />
        <Submit busy={busy}>{hasPassword ? "Change password" : "Set password"}</Submit>
      </form>
    </Card>
  );
}
