"use client";
// Applies the flow router (lib/flows.ts) to every auth change the API reports. Mounted once, in the
// root layout: pages never decide on their own where a pending flow or a login leads.
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useAuthStore } from "@/lib/store";
import { FLOW_STARTING_REQUESTS, routeAfterAuthChange } from "@/lib/flows";

export function FlowRouter() {
  const router = useRouter();
  const init = useAuthStore((s) => s.init);

  useEffect(() => {
    void init();
  }, [init]);

  useEffect(
    () =>
      useAuthStore.subscribe((state, prevState) => {
        if (state.auth === prevState.auth || !state.auth || prevState.phase !== "ready") return;
        const current = window.location.pathname + window.location.search;
        const next = new URLSearchParams(window.location.search).get("next");
        const startsFlow = FLOW_STARTING_REQUESTS.has(state.authRequest ?? "");
        const target = routeAfterAuthChange(prevState.auth, state.auth, { current, next, startsFlow });
        if (target) router.push(target);
      }),
    [router],
  );

  return null;
}
