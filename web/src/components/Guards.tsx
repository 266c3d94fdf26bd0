"use client";
import { useEffect, type ReactNode } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useAuthStore } from "@/lib/store";
import { guardAnonymous, guardAuthenticated } from "@/lib/flows";
import { Loading } from "./Form";

/** Renders children for a logged-in user; otherwise redirects to /account/login?next=<this page>. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const phase = useAuthStore((s) => s.phase);
  const auth = useAuthStore((s) => s.auth);
  const loadError = useAuthStore((s) => s.loadError);
  const query = search.toString();
  const redirect = phase === "ready" && !loadError ? guardAuthenticated(auth, pathname + (query ? `?${query}` : "")) : null;

  useEffect(() => {
    if (redirect) router.replace(redirect);
  }, [redirect, router]);

  if (loadError) return null;
  if (phase !== "ready" || redirect) return <Loading />;
  return <>{children}</>;
}

/** Renders children for a visitor; a logged-in user is sent on (to ?next= or the dashboard). */
export function RequireAnonymous({ children }: { children: ReactNode }) {
  const router = useRouter();
  const search = useSearchParams();
  const phase = useAuthStore((s) => s.phase);
  const auth = useAuthStore((s) => s.auth);
  const redirect = phase === "ready" ? guardAnonymous(auth, search.get("next")) : null;

  useEffect(() => {
    if (redirect) router.replace(redirect);
  }, [redirect, router]);

  if (phase !== "ready" || redirect) return <Loading />;
  return <>{children}</>;
}
