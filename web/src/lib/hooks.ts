"use client";
import { useCallback, useEffect, useState } from "react";
import type { Envelope } from "./api";

/** Runs one API call at a time for a form; keeps the last answer to show its errors. */
export function useApiAction() {
  const [busy, setBusy] = useState(false);
  const [response, setResponse] = useState<Envelope | null>(null);
  const run = useCallback(async <T extends Envelope>(call: () => Promise<T>): Promise<T> => {
    setBusy(true);
    try {
      const result = await call();
      setResponse(result);
      return result;
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => setResponse(null), []);
  return { busy, response, run, reset };
}

/**
 * The key of a link like /account/verify-email/<key>. The static export has one placeholder page per
 * keyed route; the server serves it for every key, and the page reads the real one from the URL.
 */
export function keyFromPath(pathname: string, prefix: string): string | null {
  const normalized = prefix.endsWith("/") ? prefix : `${prefix}/`;
  if (!pathname.startsWith(normalized)) return null;
  const raw = pathname.slice(normalized.length).replace(/\/+$/, "");
  if (!raw || raw.includes("/")) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

export function useKeyFromLocation(prefix: string): string | null | undefined {
  const [key, setKey] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setKey(keyFromPath(window.location.pathname, prefix));
  }, [prefix]);
  return key;
}

export function formatTime(epochSeconds: number | undefined): string {
  if (typeof epochSeconds !== "number" || !Number.isFinite(epochSeconds)) return "—";
  return new Date(epochSeconds * 1000).toLocaleString();
}
