"use client";
import { useState, type FormEvent } from "react";
import { api, formErrors, type EmailAddress } from "@/lib/api";
import { useApiAction, useLoadedList } from "@/lib/hooks";
import { RequireAuth } from "@/components/Guards";
import { Card, Field, FormErrors, Loading, Notice, Submit } from "@/components/Form";

export function Emails() {
  return (
    <RequireAuth>
      <EmailList />
    </RequireAuth>
  );
}

function EmailList() {
  const { list, setList, loadError, load } = useLoadedList<EmailAddress>(api.listEmails);
  const [email, setEmail] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const add = useApiAction();
  const action = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const r = await add.run(() => api.addEmail(email));
    if (r.status === 200 && Array.isArray(r.data)) {
      setList(r.data);
      setNotice(`We have sent a confirmation link to ${email}.`);
      setEmail("");
    }
  }

  async function act(kind: "primary" | "resend" | "remove", address: string) {
    setNotice(null);
    const r = await action.run(() =>
      kind === "primary" ? api.makePrimaryEmail(address) : kind === "remove" ? api.removeEmail(address) : api.resendEmail(address),
    );
    if (r.status === 200) {
      if (Array.isArray(r.data)) setList(r.data as EmailAddress[]);
      setNotice(
        kind === "primary"
          ? `${address} is now your primary address.`
          : kind === "remove"
            ? `${address} was removed.`
            : `We have sent a new confirmation link to ${address}.`,
      );
    }
  }

  // 403: the address is in the cooldown after the last confirmation mail (or already verified).
  const actionErrors =
    action.response?.status === 403 || action.response?.status === 429
      ? ["A confirmation link was sent to that address a moment ago. You can ask for another about 3 minutes after the last one."]
      : formErrors(action.response);

  return (
    <Card title="Email addresses" intro="The primary address is where we send account mail. Only a verified address can be primary.">
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <FormErrors messages={loadError ? formErrors(loadError) : actionErrors} />
      {list === null ? (
        loadError ? null : <Loading />
      ) : (
        <ul className="list" aria-label="Your email addresses">
          {list.map((address) => (
            <li key={address.email} className="list__item" data-email={address.email}>
              <div className="list__main">
                <span className="value">{address.email}</span>
                <span className="badges">
                  {address.primary ? <span className="badge badge--primary">Primary</span> : null}
                  {address.verified ? (
                    <span className="badge badge--ok">Verified</span>
                  ) : (
                    <span className="badge badge--warn">Unverified</span>
                  )}
                </span>
              </div>
              <div className="list__actions">
                {!address.primary && address.verified ? (
                  <button type="button" className="button button--small" disabled={action.busy} onClick={() => void act("primary", address.email)}>
                    Make primary<span className="sr-only"> {address.email}</span>
                  </button>
                ) : null}
                {!address.verified ? (
                  <button type="button" className="button button--small" disabled={action.busy} onClick={() => void act("resend", address.email)}>
                    Resend link<span className="sr-only"> to {address.email}</span>
                  </button>
                ) : null}
                {!address.primary ? (
                  <button
                    type="button"
                    className="button button--small button--danger"
                    disabled={action.busy}
                    onClick={() => void act("remove", address.email)}
                  >
                    Remove<span className="sr-only"> {address.email}</span>
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
      <h2>Add an address</h2>
      <form onSubmit={submit} noValidate className="form">
        <FormErrors messages={formErrors(add.response, ["email"])} />
        <Field
          label="New email address"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            add.edited("email");
          }}
          errors={add.fieldErrors("email")}
        />
        <Submit busy={add.busy}>Add address</Submit>
      </form>
    </Card>
  );
}
