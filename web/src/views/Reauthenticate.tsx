"use client";
import { useState, type FormEvent } from "react";
import { api, formErrors } from "@/lib/api";
import { useApiAction } from "@/lib/hooks";
import { useUser } from "@/lib/store";
import { RequireAuth } from "@/components/Guards";
import { Card, Field, FormErrors, Submit } from "@/components/Form";
import { ReauthenticateAlternatives } from "./MfaAuthenticate";

/** /account/reauthenticate?next=: confirms the password before a sensitive action (then back to next). */
export function Reauthenticate() {
  const user = useUser();
  const [password, setPassword] = useState("");
  const { busy, response, run, edited, fieldErrors } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(() => api.reauthenticate({ password }));
  }

  return (
    <RequireAuth>
      <Card title="Confirm it is you" intro="For your security, enter your password again to continue.">
        <form onSubmit={submit} noValidate className="form">
          <FormErrors messages={formErrors(response, ["password"])} />
          <input type="text" name="username" autoComplete="username" value={user?.email ?? ""} readOnly hidden />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              edited("password");
            }}
            errors={fieldErrors("password")}
          />
          <Submit busy={busy}>Confirm</Submit>
        </form>
        <ReauthenticateAlternatives />
      </Card>
    </RequireAuth>
  );
}
