"use client";
import { useState } from "react";
import { api, formErrors, type Envelope, type Session } from "@/lib/api";
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
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">Your sessions</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Started</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <tr key={s.id} data-session-id={s.id} data-current={s.is_current ? "true" : undefined}>
                    <td>
                      <span className="value">{s.user_agent || "Unknown device"}</span>
                      {s.is_current ? <span className="badge badge--primary">This browser</span> : null}
                    </td>
                    <td className="value">{s.ip}</td>
                    <td>{formatTime(s.created_at)}</td>
                    <td>{formatTime(s.last_seen_at)}</td>
                    <td>
                      {s.is_current ? null : (
                        <button
                          type="button"
                          className="button button--small button--danger"
                          disabled={action.busy}
                          onClick={() => void end([s.id], "The session was ended.")}
                        >
                          End<span className="sr-only"> session {s.id}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
