"use client";
import { useCallback, useEffect, useState } from "react";
import { fieldErrors, type Envelope } from "./api";

/**
 * Runs one API call at a time for a form; keeps the last answer to show its errors. A field's errors
 * belong to the value that was sent: once the user edits the field (`edited`), they are hidden until
 * the next answer, so a now-valid value never sits under an old "too short".
 */
export function useApiAction() {
  const [busy, setBusy] = useState(false);
  const [response, setResponse] = useState<Envelope | null>(null);
  const [editedSince, setEditedSince] = useState<ReadonlySet<string>>(() => new Set());
  const run = useCallback(async <T extends Envelope>(call: () => Promise<T>): Promise<T> => {
    setBusy(true);
    try {
      const result = await call();
      setResponse(result);
      setEditedSince(new Set());
      return result;
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => {
    setResponse(null);
    setEditedSince(new Set());
  }, []);
  /** Marks fields (by `param`) as changed since the last answer: their errors are hidden. */
  const edited = useCallback((...params: string[]) => {
    setEditedSince((prev) => (params.every((p) => prev.has(p)) ? prev : new Set([...prev, ...params])));
  }, []);
  const errorsFor = useCallback(
    (param: string): string[] => (editedSince.has(param) ? [] : fieldErrors(response, param)),
    [editedSince, response],
  );
  return { busy, response, run, reset, edited, fieldErrors: errorsFor };
}

/**
 * A list the page loads on mount (addresses, sessions): the list, or the failed answer, and a reload.
 * `setList` takes the list from an action's answer, which repeats it.
 */
export function useLoadedList<T>(fetchList: () => Promise<Envelope>) {
  const [list, setList] = useState<T[] | null>(null);
  const [loadError, setLoadError] = useState<Envelope | null>(null);
  const load = useCallback(async () => {
    const r = await fetchList();
    if (r.status === 200 && Array.isArray(r.data)) {
      setList(r.data as T[]);
      setLoadError(null);
    } else setLoadError(r);
  }, [fetchList]);
  useEffect(() => {
    void load();
  }, [load]);
  return { list, setList, loadError, load };
}

/** What a keyed link is for (GET with the key), loaded once the key is known; null until then. */
export function useKeyInfo<T>(key: string | null | undefined, fetchInfo: (key: string) => Promise<T>): T | null {
  const [info, setInfo] = useState<T | null>(null);
  useEffect(() => {
    if (!key) return;
    let live = true;
    void fetchInfo(key).then((r) => {
      if (live) setInfo(r);
    });
    return () => {
      live = false;
    };
  }, [key, fetchInfo]);
  return info;
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

/** A clock time for "you can ask again at 14:05" (epoch milliseconds). */
export function formatClock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Whether the time `at` (epoch ms) has come; turns true by itself when it comes. Null: true. */
export function useTimeReached(at: number | null): boolean {
  const [reached, setReached] = useState(() => at === null || Date.now() >= at);
  useEffect(() => {
    const wait = at === null ? 0 : at - Date.now();
    if (wait <= 0) {
      setReached(true);
      return;
    }
    setReached(false);
    const timer = setTimeout(() => setReached(true), wait);
    return () => clearTimeout(timer);
  }, [at]);
  return reached;
}
