"use client";
import { useState } from "react";
import { api, formErrors, type Session } from "@/lib/api";
import { describeDevice } from "@/lib/devices";
import { formatTime, useApiAction, useLoadedList } from "@/lib/hooks";
import { RequireAuth } from "@/components/Guards";
import { Card, FormErrors, Loading, Notice } from "@/components/Form";

export function Sessions() {
  return (
    <RequireAuth>
      <SessionList />
    </RequireAuth>
  );
}

/** "Last seen" only when the server tracks activity and sent the field; nothing rather than a dash. */
function hasTime(value: number | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function SessionList() {
  const { list, setList, loadError, load } = useLoadedList<Session>(api.listSessions);
  const [notice, setNotice] = useState<string | null>(null);
  const action = useApiAction();

  async function end(ids: number[], what: string) {
    setNotice(null);
    const r = await action.run(() => api.endSessions(ids));
    if (r.status === 200) {
      setNotice(what);
      if (Array.isArray(r.data)) setList(r.data as Session[]);
      else await load();
    }
  }

  const others = (list ?? []).filter((s) => !s.is_current);
  return (
    <Card title="Sessions" intro="Browsers and apps where you are logged in.">
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <FormErrors messages={loadError ? formErrors(loadError) : formErrors(action.response)} />
      {list === null ? (
        loadError ? null : <Loading />
      ) : (
        <>
          {/* A list, not a table: each session wraps to the width of a phone. */}
          <ul className="list sessions" aria-label="Your sessions">
            {list.map((s) => {
              const device = describeDevice(s.user_agent);
              return (
                <li key={s.id} className="list__item" data-session-id={s.id} data-current={s.is_current ? "true" : undefined}>
                  <div className="list__main">
                    <span className="session__device">
                      {/* The raw string stays available on hover, for support questions. */}
                      <strong className="value" title={s.user_agent || undefined} data-testid="session-device">
                        {device}
                      </strong>
                      {s.is_current ? <span className="badge badge--primary">This browser</span> : null}
                    </span>
                    <dl className="session__facts">
                      <div>
                        <dt>IP address</dt>
                        <dd className="value">{s.ip}</dd>
                      </div>
                      <div>
                        <dt>Started</dt>
                        <dd>{formatTime(s.created_at)}</dd>
                      </div>
                      {hasTime(s.last_seen_at) ? (
                        <div>
                          <dt>Last seen</dt>
                          <dd data-testid="session-last-seen">{formatTime(s.last_seen_at)}</dd>
                        </div>
                      ) : null}
                    </dl>
                  </div>
                  {s.is_current ? null : (
                    <div className="list__actions">
                      <button
                        type="button"
                        className="button button--small button--danger"
                        disabled={action.busy}
                        onClick={() => void end([s.id], "The session was ended.")}
                      >
                        End<span className="sr-only"> the session of {device}</span>
                      </button>
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
          {others.length ? (
            <p>
              <button
                type="button"
                className="button button--danger"
                disabled={action.busy}
                onClick={() => void end(others.map((s) => s.id), "All your other sessions were ended.")}
              >
                End all other sessions
              </button>
            </p>
          ) : (
            <p className="muted">No other sessions.</p>
          )}
        </>
      )}
    </Card>
  );
}
