"use client";
import Link from "next/link";
import { useAuthStatus } from "@/lib/store";
import { paths } from "@/lib/flows";

export function Home() {
  const status = useAuthStatus();
  const loggedIn = status === "authenticated";
  return (
    <div className="hero">
      <h1>Gatehouse</h1>
      <p className="lead">
        A headless authentication server for single-page and mobile apps. It speaks the django-allauth headless API, so
        allauth frontends work against it unchanged: sign-up with email verification, login by password or by a mailed
        code, password reset, several email addresses per account, and your sessions.
      </p>
      <p className="lead">This is its reference web frontend, served by the same server on the same origin.</p>
      <p className="hero__actions">
        {loggedIn ? (
          <Link className="button button--primary" href={paths.dashboard}>
            Go to your dashboard
          </Link>
        ) : (
          <>
            <Link className="button button--primary" href={paths.signup}>
              Create an account
            </Link>
            <Link className="button button--secondary" href={paths.login}>
              Log in
            </Link>
          </>
        )}
      </p>
      <ul className="features">
        <li>
          <strong>Same wire as allauth</strong>
          <span>Browser (cookie + CSRF) and app (session token) clients under /_allauth.</span>
        </li>
        <li>
          <strong>Mail done right</strong>
          <span>An outbox written with the change that caused it; links and codes stored only as hashes.</span>
        </li>
        <li>
          <strong>Runs anywhere .NET runs</strong>
          <span>SQLite or PostgreSQL; one command to start.</span>
        </li>
      </ul>
    </div>
  );
}
