"use client";
import Link from "next/link";
import { type FormEvent } from "react";
import { api, formErrors, isAuthenticatedData, type EmailVerificationInfo, type Envelope } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { useApiAction, useKeyFromLocation, useKeyInfo } from "@/lib/hooks";
import { useAuthStatus, useAuthStore } from "@/lib/store";
import { Card, FormErrors, Loading, Notice, Submit } from "@/components/Form";

/** /account/verify-email: "check your inbox" while a signup or login waits for the address to be confirmed. */
export function VerifyEmailWaiting() {
  const phase = useAuthStore((s) => s.phase);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  const { busy, response, run } = useApiAction();

  async function resend(event: FormEvent) {
    event.preventDefault();
    await run(() => api.resendEmailVerification());
  }

  if (phase !== "ready") return <Loading />;
  const waiting = pending?.id === "verify_email";
  return (
    <Card title="Confirm your email address">
      <Notice>
        We have sent you an email with a link. Open it to confirm your address
        {waiting ? " and finish logging in" : ""}. The link works in this browser and in any other.
      </Notice>
      {waiting ? (
        <form onSubmit={resend} className="form form--inline">
          {response?.status === 200 ? <Notice kind="success">A new link is on its way.</Notice> : null}
          <FormErrors
            messages={
              response?.status === 403 || response?.status === 429
                ? ["A link was sent a moment ago. Please wait a few minutes before asking for another."]
                : formErrors(response)
            }
          />
          <Submit busy={busy} variant="secondary">
            Send the link again
          </Submit>
        </form>
      ) : null}
      <ul className="links">
        <li>
          <Link href={paths.login}>Back to log in</Link>
        </li>
      </ul>
    </Card>
  );
}

export const VERIFY_EMAIL_PREFIX = "/account/verify-email/";

/** /account/verify-email/{key}: shows the address the link is for and confirms it on a click. */
export function VerifyEmailKey() {
  const key = useKeyFromLocation(VERIFY_EMAIL_PREFIX);
  const phase = useAuthStore((s) => s.phase);
  const status = useAuthStatus();
  const info = useKeyInfo(key, api.getEmailVerification);
  const { busy, response, run } = useApiAction();

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (key) await run(() => api.verifyEmail(key));
  }

  if (key === undefined || phase !== "ready" || (key && !info)) return <Loading />;
  if (!key || (info && info.status !== 200)) {
    return (
      <Card title="Confirm email address">
        <FormErrors
          messages={
            info && (info.status === 0 || info.status === 429 || info.status >= 500)
              ? formErrors(info)
              : ["This confirmation link is invalid or has expired."]
          }
        />
        <p>
          {status === "authenticated" ? (
            <Link href={paths.email}>Manage your email addresses</Link>
          ) : (
            <Link href={paths.login}>Log in</Link>
          )}{" "}
          to ask for a new link.
        </p>
      </Card>
    );
  }

  if (response?.status === 200 || response?.status === 401) {
    // 200 while logged in, or 401 (confirmed; this browser is not logged in). A 200 that logs
    // this browser in is routed on by the flow router.
    const loggedIn = response.status === 200 && isAuthenticatedData(response.data as never);
    return (
      <Card title="Email address confirmed">
        <Notice kind="success">
          <span className="value">{info?.data?.email ?? ""}</span> is confirmed.
        </Notice>
        <p>
          {loggedIn || status === "authenticated" ? (
            <Link href={paths.email}>Back to your email addresses</Link>
          ) : (
            <Link href={paths.login}>Log in</Link>
          )}
        </p>
      </Card>
    );
  }

  return (
    <Card title="Confirm email address">
      <p>
        Please confirm that <strong className="value">{info?.data?.email ?? ""}</strong> is an email address for user{" "}
        <strong className="value">{info?.data?.user.display ?? info?.data?.user.username ?? ""}</strong>.
      </p>
      <form onSubmit={confirm} className="form">
        <FormErrors
          messages={
            response && response.status === 400 && !(response.errors ?? []).some((e) => e.code !== "invalid")
              ? ["This confirmation link is invalid or has expired."]
              : formErrors(response)
          }
        />
        <Submit busy={busy}>Confirm</Submit>
      </form>
    </Card>
  );
}
