"use client";
// The one form for a short secret typed from elsewhere: a mailed code (verify email, login by code,
// password reset by code), an authenticator app's code, a recovery code. The page owns the action
// (useApiAction), so it can read the answer (409: the flow ended) and say what that means there.
import { useState, type FormEvent, type ReactNode } from "react";
import { formErrors, type Envelope } from "@/lib/api";
import type { useApiAction } from "@/lib/hooks";
import { Field, FormErrors, Submit } from "./Form";

export interface CodeFormProps {
  /** The form's action; its last answer's errors are shown. */
  action: ReturnType<typeof useApiAction>;
  /** Sends the trimmed code; the answer goes to `action`. */
  submit: (code: string) => Promise<Envelope>;
  /** The request's field the server names in errors[].param ("code", or "key" for mailed keys). */
  param: string;
  submitLabel: string;
  label?: string;
  hint?: ReactNode;
  /** "numeric" for an authenticator app's digits; mailed codes are letters and digits. */
  inputMode?: "numeric" | "text";
}

export function CodeForm({ action, submit, param, submitLabel, label = "Code", hint, inputMode = "text" }: CodeFormProps) {
  const [code, setCode] = useState("");
  const { busy, response, run, edited, fieldErrors } = action;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    await run(() => submit(code.trim()));
  }

  return (
    <form onSubmit={onSubmit} noValidate className="form">
      <FormErrors messages={formErrors(response, [param])} />
      <Field
        label={label}
        name="code"
        type="text"
        inputMode={inputMode}
        autoComplete="one-time-code"
        autoCapitalize={inputMode === "numeric" ? "none" : "characters"}
        spellCheck={false}
        required
        autoFocus
        hint={hint}
        value={code}
        onChange={(e) => {
          setCode(e.target.value);
          edited(param);
        }}
        errors={fieldErrors(param)}
      />
      <Submit busy={busy}>{submitLabel}</Submit>
    </form>
  );
}
