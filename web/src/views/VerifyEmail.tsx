"use client";
import Link from "next/link";
import { type FormEvent } from "react";
import { api, formErrors, isAuthenticatedData } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { formatClock, useApiAction, useKeyFromLocation, useKeyInfo, useTimeReached } from "@/lib/hooks";
import { useAuthStatus, useAuthStore, VERIFICATION_MAIL_COOLDOWN_MS } from "@/lib/store";
import { Card, FormErrors, Loading, Notice, Submit } from "@/components/Form";
import { CodeForm } from "@/components/CodeForm";

/**
 * /account/verify-email: while a signup or login waits for the address to be confirmed. With
 * verification by code (config email_verification_by_code_enabled) it is the code form, as in
 * allauth's SPA; otherwise it says to open the mailed link.
 */
export function VerifyEmailWaiting() {
  const phase = useAuthStore((s) => s.phase);
  const byCode = useAuthStore((s) => s.config?.account.email_verification_by_code_enabled === true);
  const pending = useAuthStore((s) => pendingFlow(s.auth));
  if (phase !== "ready") return <Loading />;
  const waiting = pending?.id === "verify_email";
  if (byCode) return waiting ? <VerifyEmailCode /> : <NothingWaiting />;
  return <CheckInbox waiting={waiting} />;
}

/** When another verification mail may be asked for, or null when this browser does not know. */
function useNextMailAt(): number | null {
  const sentAt = useAuthStore((s) => s.verificationMailAt);
  return sentAt === null ? null : sentAt + VERIFICATION_MAIL_COOLDOWN_MS;
}

/**
 * Link verification. allauth's resend endpoint (auth/email/verify/resend) is for codes only and
 * answers 409 for links, so this page offers no "send again" button that cannot work: a new link is
 * mailed when the user logs in again, at most one per cooldown. The page says from when.
 */
function CheckInbox({ waiting }: { waiting: boolean }) {
  const sentAt = useAuthStore((s) => s.verificationMailAt);
  const nextAt = useNextMailAt();
  const canAskNow = useTimeReached(nextAt);
  return (
    <Card title="Confirm your email address">
      <Notice>
        We have sent you an email with a link{sentAt !== null ? ` at ${formatClock(sentAt)}` : ""}. Open it to confirm your
        address{waiting ? " and finish logging in" : ""}. The link works in this browser and in any other.
      </Notice>
      {waiting ? (
        <p data-testid="resend-hint">
          No email? It can take a minute; check your spam folder too.{" "}
          {nextAt !== null && !canAskNow
            ? `From ${formatClock(nextAt)} you can get a new link by logging in again.`
            : nextAt !== null
              ? "You can get a new link now by logging in again."
              : "You can get a new link by logging in again, a few minutes after the last one."}
        </p>
      ) : null}
      <ul className="links">
        <li>
          <Link href={paths.login}>{waiting ? "Log in again" : "Back to log in"}</Link>
        </li>
      </ul>
    </Card>
  );
}

function NothingWaiting() {
  return (
    <Card title="Confirm your email address">
      <Notice>There is no email confirmation waiting in this browser, or it has expired.</Notice>
      <p>
        <Link href={paths.login}>Log in</Link> to get a new code.
      </p>
    </Card>
  );
}

/** Code verification: the code form, and "send a new code" (auth/email/verify/resend). */
function VerifyEmailCode() {
  const verify = useApiAction();
  const { response } = verify;
  const resend = useApiAction();
  const noteVerificationMail = useAuthStore((s) => s.noteVerificationMail);
  const sentAt = useAuthStore((s) => s.verificationMailAt);
  const nextAt = useNextMailAt();

  async function again(event: FormEvent) {
    event.preventDefault();
    const r = await resend.run(() => api.resendEmailVerification());
    if (r.status === 200) noteVerificationMail("sent");
  }

  // 409: the flow ended (the code expired, or was mistyped too often); only a new login mails a new one.
  if (response?.status === 409 || resend.response?.status === 409) {
    return (
      <Card title="Confirm your email address">
        <FormErrors messages={["This code can no longer be used: it has expired, or a wrong code was entered too often."]} />
        <p>
          <Link href={paths.login}>Log in again</Link> to get a new code.
        </p>
      </Card>
    );
  }

  const resendStatus = resend.response?.status;
  const tooSoon = resendStatus === 429 || resendStatus === 403;
  return (
    <Card title="Confirm your email address" intro="We have emailed you a code. Enter it here to confirm your address.">
      {/* 200 logs in (the flow router goes on); a wrong code is a field error on `key`. */}
      <CodeForm action={verify} submit={api.verifyEmail} param="key" submitLabel="Confirm" />
      <form onSubmit={again} className="form form--inline">
        {resendStatus === 200 ? <Notice kind="success">A new code is on its way.</Notice> : null}
        <FormErrors messages={tooSoon ? [waitText(sentAt, nextAt)] : formErrors(resend.response)} />
        <Submit busy={resend.busy} variant="secondary">
          Send a new code
        </Submit>
      </form>
    </Card>
  );
}

/** "Wait, and from when": the server refused another mail because one went out a moment ago. */
function waitText(sentAt: number | null, nextAt: number | null, now = Date.now()): string {
  const sent = sentAt !== null ? `A code was sent at ${formatClock(sentAt)}` : "A code was sent a moment ago";
  const when =
    nextAt !== null && nextAt > now
      ? `You can ask for another from ${formatClock(nextAt)}.`
      : "Please wait a few minutes before asking for another.";
  return `${sent}. ${when}`;
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
