"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useAuthStore, useUser } from "@/lib/store";
import { formatTime } from "@/lib/hooks";
import { api, fetchHostUser, isAuthenticatedData, type HostUser } from "@/lib/api";
import { paths } from "@/lib/flows";
import { RequireAuth } from "@/components/Guards";
import { Card } from "@/components/Form";

const METHOD_NAMES: Record<string, string> = {
  password: "Password",
  password_reset: "Password reset",
  code: "Emailed code",
  socialaccount: "Third-party account",
  mfa: "Two-factor",
};

export function Dashboard() {
  return (
    <RequireAuth>
      <DashboardBody />
      <HostUserCard />
    </RequireAuth>
  );
}

function DashboardBody() {
  // Refresh the user (the primary address may have changed on another page); the store updates itself.
  useEffect(() => {
    void api.getSession();
  }, []);
  const user = useUser();
  const methods = useAuthStore((s) => (isAuthenticatedData(s.auth?.data) ? s.auth.data.methods : []));
  return (
    <Card title="Dashboard">
      <p className="lead">
        Welcome, <strong className="value">{user?.display ?? ""}</strong>.
      </p>
      <dl className="details">
        <dt>Email</dt>
        <dd className="value" data-testid="user-email">{user?.email ?? "—"}</dd>
        <dt>Username</dt>
        <dd className="value">{user?.username ?? "—"}</dd>
        <dt>User id</dt>
        <dd className="value">{user ? String(user.id) : "—"}</dd>
        <dt>Password</dt>
        <dd>{user?.has_usable_password === false ? "Not set" : "Set"}</dd>
        <dt>Signed in with</dt>
        <dd>
          {methods.length
            ? methods.map((m, i) => (
                <span key={i} className="method">
                  {METHOD_NAMES[m.method] ?? m.method}
                  {m.reauthenticated ? " (confirmed)" : ""}, {formatTime(m.at)}
                </span>
              ))
            : "—"}
        </dd>
      </dl>
      <nav aria-label="Account" className="tiles">
        <Link className="tile" href={paths.email}>
          <strong>Email addresses</strong>
          <span>Add, verify, choose the primary one</span>
        </Link>
        <Link className="tile" href={paths.passwordChange}>
          <strong>Password</strong>
          <span>Change or set your password</span>
        </Link>
        <Link className="tile" href={paths.sessions}>
          <strong>Sessions</strong>
          <span>See and end where you are logged in</span>
        </Link>
        <Link className="tile" href={paths.mfa}>
          <strong>Two-factor authentication</strong>
          <span>Authenticator app, passkeys, recovery codes</span>
        </Link>
      </nav>
    </Card>
  );
}

/**
 * The user as the server's own API sees it (GET /api/v1/users/me, protected by Gatehouse's ASP.NET Core scheme):
 * the same HttpOnly session cookie that logs this browser in to /_allauth also authenticates the host's API.
 */
function HostUserCard() {
  const [answer, setAnswer] = useState<{ status: number; user?: HostUser } | null>(null);
  useEffect(() => {
    let live = true;
    void fetchHostUser().then((result) => {
      if (live) setAnswer(result);
    });
    return () => {
      live = false;
    };
  }, []);
  const user = answer?.user;
  return (
    <section className="card" aria-labelledby="host-user-title" data-testid="host-user">
      <h2 id="host-user-title">Your API</h2>
      <p className="card__intro">
        <code>GET /api/v1/users/me</code> on this server, protected by Gatehouse with this browser&apos;s session cookie.
      </p>
      {answer === null ? (
        <p>Loading…</p>
      ) : user ? (
        <dl className="details">
          <dt>User id</dt>
          <dd className="value" data-testid="host-user-id">{String(user.id)}</dd>
          <dt>Email</dt>
          <dd className="value" data-testid="host-user-email">{user.email ?? "—"}</dd>
          <dt>Username</dt>
          <dd className="value">{user.username ?? "—"}</dd>
          <dt>Two-factor</dt>
          <dd>{user.has_mfa ? "On" : "Off"}</dd>
        </dl>
      ) : (
        <p role="alert">
          {answer.status === 0 ? "Could not reach the server." : `The API refused the request (HTTP ${answer.status}).`}
        </p>
      )}
    </section>
  );
}
