"use client";
import { useState } from "react";
import { Field } from "@/components/Form";

/**
 * The rules a new password must meet: Gatehouse's defaults, which are Django's four default
 * validators (Gatehouse:Passwords MinLength 8, common, numeric, similarity). The config endpoint
 * does not publish the policy (allauth's does not either), so the text is fixed here; the server's
 * own messages still appear under the field when a password breaks a rule.
 */
export const PASSWORD_RULES =
  "At least 8 characters; not a common or all-numeric password, and not too like your email address or username.";

/** State of a "new password, typed twice" pair, shared by signup, reset, change and set. */
export function useNewPassword() {
  const [password, setFirst] = useState("");
  const [password2, setSecond] = useState("");
  const [mismatch, setMismatch] = useState(false);
  return {
    password,
    password2,
    // Typing in either field ends a shown mismatch: it is checked again on submit.
    setPassword(value: string) {
      setFirst(value);
      setMismatch(false);
    },
    setPassword2(value: string) {
      setSecond(value);
      setMismatch(false);
    },
    mismatch,
    /** True when both entries match; otherwise marks the mismatch (checked before any request). */
    confirm(): boolean {
      const same = password === password2;
      setMismatch(!same);
      return same;
    },
    clear() {
      setFirst("");
      setSecond("");
      setMismatch(false);
    },
  };
}

type NewPasswordState = ReturnType<typeof useNewPassword>;

/**
 * The two fields: `name`/`label`, then `name2`/`label (again)`; server errors go on the first, with
 * the password rules as its hint. `onEdit` is called when the first field changes (to drop its
 * errors from the last answer).
 */
export function NewPasswordFields({
  state,
  name,
  label,
  errors,
  onEdit,
  autoFocus,
}: {
  state: NewPasswordState;
  name: string;
  label: string;
  errors: string[];
  onEdit?: () => void;
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
        onChange={(e) => {
          state.setPassword(e.target.value);
          onEdit?.();
        }}
        errors={errors}
        hint={PASSWORD_RULES}
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
