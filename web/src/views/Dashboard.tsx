"use client";
import Link from "next/link";
import { useEffect } from "react";
import { useAuthStore, useUser } from "@/lib/store";
import { formatTime } from "@/lib/hooks";
import { api, isAuthenticatedData } from "@/lib/api";
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
