"use client";
// Accessible form pieces: labelled inputs with their own errors (errors[].param), a summary of the
// other errors (role=alert), and a submit button that shows progress. Everything renders as text.
import { useId, useEffect, useRef, type InputHTMLAttributes, type ReactNode } from "react";

export function Field({
  label,
  errors = [],
  hint,
  ...input
}: { label: string; errors?: string[]; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : null, errors.length ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${errors.length ? " field--invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={errors.length ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint ? (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {errors.length ? (
        <ul className="field__errors" id={errorId}>
          {errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Errors that belong to no field, 429, network and server failures. Takes focus when it appears. */
export function FormErrors({ messages }: { messages: string[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const text = messages.join("\n");
  useEffect(() => {
    if (text) ref.current?.focus();
  }, [text]);
  if (!messages.length) return null;
  return (
    <div className="alert alert--error" role="alert" tabIndex={-1} ref={ref}>
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children, kind = "info" }: { children: ReactNode; kind?: "info" | "success" }) {
  return (
    <div className={`alert alert--${kind}`} role="status">
      {children}
    </div>
  );
}

export function Submit({ busy, children, variant = "primary" }: { busy: boolean; children: ReactNode; variant?: "primary" | "secondary" | "danger" }) {
  return (
    <button type="submit" className={`button button--${variant}`} disabled={busy} aria-busy={busy || undefined}>
      {busy ? "Please wait…" : children}
    </button>
  );
}

export function Loading() {
  return (
    <p className="loading" role="status">
      Loading…
    </p>
  );
}

export function Card({ title, children, intro }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      {intro ? <p className="card__intro">{intro}</p> : null}
      {children}
    </section>
  );
}
