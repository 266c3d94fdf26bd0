"use client";
import { useState } from "react";
import { Field } from "@/components/Form";

/** State of a "new password, typed twice" pair, shared by signup, reset and change. */
export function useNewPassword() {
  const [password, setPassword] = useState("");
  const [password2, setPassword2] = useState("");
  const [mismatch, setMismatch] = useState(false);
  return {
    password,
    password2,
    setPassword,
    setPassword2,
    mismatch,
    /** True when both entries match; otherwise marks the mismatch (checked before any request). */
    confirm(): boolean {
      const same = password === password2;
      setMismatch(!same);
      return same;
    },
    clear() {
      setPassword("");
      setPassword2("");
      setMismatch(false);
    },
  };
}

type NewPasswordState = ReturnType<typeof useNewPassword>;

/** The two fields: `name`/`label`, then `name2`/`label (again)`; server errors go on the first. */
export function NewPasswordFields({
  state,
  name,
  label,
  errors,
  hint,
  autoFocus,
}: {
  state: NewPasswordState;
  name: string;
  label: string;
  errors: string[];
  hint?: string;
  autoFocus?: boolean;
}) {
  return (
    <>
      <Field
        label={label}
        name={name}
        type="password"
        autoComplete="new-password"
        required
        autoFocus={autoFocus}
        value={state.password}
        onChange={(e) => state.setPassword(e.target.value)}
        errors={errors}
        hint={hint}
      />
      <Field
        label={`${label} (again)`}
        name={`${name}2`}
        type="password"
        autoComplete="new-password"
        required
        value={state.password2}
        onChange={(e) => state.setPassword2(e.target.value)}
        errors={state.mismatch ? ["The two passwords do not match."] : []}
      />
    </>
  );
}
