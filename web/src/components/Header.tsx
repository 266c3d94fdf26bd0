"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useAuthStatus, useUser, useAuthStore } from "@/lib/store";
import { paths } from "@/lib/flows";

function NavLink({ href, children }: { href: string; children: string }) {
  const pathname = usePathname();
  const current = pathname === href;
  return (
    <Link href={href} aria-current={current ? "page" : undefined} className="nav__link">
      {children}
    </Link>
  );
}

export function Header() {
  const status = useAuthStatus();
  const user = useUser();
  const phase = useAuthStore((s) => s.phase);
  const loggedIn = status === "authenticated" || status === "reauthentication_required";
  return (
    <header className="header">
      <div className="header__inner">
        <Link href={paths.home} className="brand">
          <svg className="brand__mark" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
            <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z" fill="currentColor" opacity="0.18" />
            <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z" fill="none" stroke="currentColor" strokeWidth="1.8" />
            <path d="M9 21v-6a3 3 0 0 1 6 0v6" fill="none" stroke="currentColor" strokeWidth="1.8" />
          </svg>
          Gatehouse
        </Link>
        <nav aria-label="Main" className="nav">
          {phase === "loading" ? null : loggedIn ? (
            <>
              <NavLink href={paths.dashboard}>Dashboard</NavLink>
              <NavLink href={paths.email}>Email</NavLink>
              <NavLink href={paths.passwordChange}>Password</NavLink>
              <NavLink href={paths.sessions}>Sessions</NavLink>
              <NavLink href={paths.mfa}>Two-factor</NavLink>
              <span className="nav__user" title="Signed in as">
                {user?.display ?? user?.email ?? ""}
              </span>
              <NavLink href={paths.logout}>Log out</NavLink>
            </>
          ) : (
            <>
              <NavLink href={paths.login}>Log in</NavLink>
              <NavLink href={paths.signup}>Sign up</NavLink>
            </>
          )}
        </nav>
      </div>
    </header>
  );
}

export function LoadErrorBanner() {
  const loadError = useAuthStore((s) => s.loadError);
  if (!loadError) return null;
  return (
    <div className="alert alert--error banner" role="alert">
      <p>{loadError}</p>
    </div>
  );
}
