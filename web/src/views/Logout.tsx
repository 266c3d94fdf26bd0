"use client";
import Link from "next/link";
import type { FormEvent } from "react";
import { api, formErrors } from "@/lib/api";
import { paths } from "@/lib/flows";
import { useApiAction } from "@/lib/hooks";
import { useAuthStatus, useAuthStore } from "@/lib/store";
import { Card, FormErrors, Loading, Notice, Submit } from "@/components/Form";

export function Logout() {
  const phase = useAuthStore((s) => s.phase);
  const status = useAuthStatus();
  const { busy, response, run } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(() => api.logout()); // 401 → the flow router goes home
  }

  if (phase !== "ready") return <Loading />;
  if (status !== "authenticated" && status !== "reauthentication_required") {
    return (
      <Card title="Log out">
        <Notice>You are not logged in.</Notice>
        <p>
          <Link href={paths.login}>Log in</Link>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Log out" intro="Do you want to log out of this browser?">
      <form onSubmit={submit} className="form">
        <FormErrors messages={response?.status === 401 ? [] : formErrors(response)} />
        <Submit busy={busy}>Log out</Submit>
      </form>
    </Card>
  );
}
