"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { api, formErrors, type Authenticator, type Envelope, type RecoveryCodesData, type TotpSetupMeta } from "@/lib/api";
import { paths, pendingFlow } from "@/lib/flows";
import { formatTime, useApiAction, useLoadedList } from "@/lib/hooks";
import { useAuthStatus, useAuthStore } from "@/lib/store";
import { runCreationCeremony } from "@/lib/webauthn";
import { qrPath } from "@/lib/qr";
import { RequireAuth } from "@/components/Guards";
import { CodeForm } from "@/components/CodeForm";
import { Card, Field, FormErrors, Loading, Notice, Submit } from "@/components/Form";

function useSupported(type: string): boolean {
  // Before the config loaded, or from a server without the field, assume the type is there: its
  // routes answer 404 otherwise, which the page shows.
  return useAuthStore((s) => s.config?.mfa?.supported_types?.includes(type as never) ?? true);
}

// ---- /account/2fa --------------------------------------------------------------------------------

/** /account/2fa: the MFA overview (GET account/authenticators), as allauth SPA's MFAOverview. */
export function MfaOverview() {
  return (
    <RequireAuth>
      <Overview />
    </RequireAuth>
  );
}

function Overview() {
  const { list, loadError } = useLoadedList<Authenticator>(api.listAuthenticators);
  const totpOn = useSupported("totp");
  const webauthnOn = useSupported("webauthn");
  const codesOn = useSupported("recovery_codes");
  if (loadError) {
    return (
      <Card title="Two-factor authentication">
        <FormErrors messages={formErrors(loadError)} />
      </Card>
    );
  }
  if (!list) return <Loading />;
  const totp = list.find((a) => a.type === "totp");
  const keys = list.filter((a) => a.type === "webauthn");
  const codes = list.find((a) => a.type === "recovery_codes");
  return (
    <Card title="Two-factor authentication" intro="A second step after your password keeps your account safe if the password leaks.">
      {totpOn ? (
        <section aria-labelledby="mfa-totp" data-testid="mfa-totp">
          <h2 id="mfa-totp">Authenticator app</h2>
          {totp ? (
            <>
              <p>
                <span className="badge badge--ok">Active</span> since {formatTime(totp.created_at)}.
              </p>
              <Link href={paths.totpDeactivate}>Deactivate</Link>
            </>
          ) : (
            <>
              <p>An authenticator app is not active.</p>
              <Link href={paths.totpActivate}>Activate</Link>
            </>
          )}
        </section>
      ) : null}
      {webauthnOn ? (
        <section aria-labelledby="mfa-webauthn" data-testid="mfa-webauthn">
          <h2 id="mfa-webauthn">Security keys and passkeys</h2>
          <p>{keys.length ? `You have added ${keys.length === 1 ? "1 key" : `${keys.length} keys`}.` : "No security keys or passkeys have been added."}</p>
          <ul className="links">
            {keys.length ? (
              <li>
                <Link href={paths.webauthn}>Manage</Link>
              </li>
            ) : null}
            <li>
              <Link href={paths.webauthnAdd}>Add a security key or passkey</Link>
            </li>
          </ul>
        </section>
      ) : null}
      {codesOn ? (
        <section aria-labelledby="mfa-codes" data-testid="mfa-recovery-codes">
          <h2 id="mfa-codes">Recovery codes</h2>
          {codes ? (
            <>
              <p>
                {codes.unused_code_count} of {codes.total_code_count} recovery codes are unused.
              </p>
              <ul className="links">
                <li>
                  <Link href={paths.recoveryCodes}>View</Link>
                </li>
                <li>
                  <Link href={paths.recoveryCodesGenerate}>Regenerate</Link>
                </li>
              </ul>
            </>
          ) : (
            <p>Recovery codes come with your first authenticator app or security key.</p>
          )}
        </section>
      ) : null}
    </Card>
  );
}

// ---- TOTP --------------------------------------------------------------------------------------

/** The otpauth URL as a QR code: SVG drawn from qrcode's module matrix, so nothing is injected as HTML. */
export function QrCode({ text, label }: { text: string; label: string }) {
  const path = useMemo(() => qrPath(text), [text]);
  return (
    <svg className="qr" role="img" aria-label={label} viewBox={`0 0 ${path.size} ${path.size}`} shapeRendering="crispEdges">
      <rect width={path.size} height={path.size} fill="#fff" />
      <path d={path.d} fill="#000" />
    </svg>
  );
}

/**
 * /account/2fa/totp/activate: the QR code of the otpauth URL (GET account/authenticators/totp
 * answers 404 with meta.secret and meta.totp_url while TOTP is off), then a code to activate. Also
 * the page of the mfa_setup stage (staff without MFA): the user is not logged in yet, and
 * activating logs in.
 */
export function TotpActivate() {
  const phase = useAuthStore((s) => s.phase);
  const status = useAuthStatus();
  const setup = useAuthStore((s) => pendingFlow(s.auth)?.id === "mfa_setup");
  const allowed = status === "authenticated" || status === "reauthentication_required" || setup;
  if (phase !== "ready") return <Loading />;
  if (!allowed) return <RequireAuth>{null}</RequireAuth>;
  return <TotpActivateBody setup={setup} />;
}

function TotpActivateBody({ setup }: { setup: boolean }) {
  const router = useRouter();
  const [info, setInfo] = useState<Envelope<Authenticator, TotpSetupMeta> | null>(null);
  const activate = useApiAction();
  useEffect(() => {
    let live = true;
    void api.getTotp().then((r) => live && setInfo(r));
    return () => {
      live = false;
    };
  }, []);

  async function submit(code: string) {
    const r = await api.activateTotp(code);
    // During mfa_setup the answer is the logged-in 200 and the flow router goes on (to `next`, the
    // recovery codes, set in the flow's path); otherwise show the recovery codes made with it.
    if (r.status === 200 && !setup) router.push(r.meta?.recovery_codes_generated ? paths.recoveryCodes : paths.mfa);
    return r;
  }

  if (!info) return <Loading />;
  if (info.status === 200) {
    return (
      <Card title="Authenticator app">
        <Notice kind="success">Your authenticator app is already active.</Notice>
        <p>
          <Link href={paths.mfa}>Back to two-factor authentication</Link>
        </p>
      </Card>
    );
  }
  const meta = info.meta;
  if (info.status !== 404 || !meta?.secret) {
    return (
      <Card title="Activate an authenticator app">
        <FormErrors messages={formErrors(info)} />
      </Card>
    );
  }
  return (
    <Card
      title="Activate an authenticator app"
      intro={
        setup
          ? "Your account must have two-factor authentication. Set up an authenticator app to finish logging in."
          : "Scan the QR code with your authenticator app, then enter the code it shows."
      }
    >
      {setup ? <p>Scan the QR code with your authenticator app, then enter the code it shows.</p> : null}
      <QrCode text={meta.totp_url} label="QR code for your authenticator app" />
      <p>
        Can&apos;t scan it? Enter this key in the app instead:{" "}
        <code className="secret" data-testid="totp-secret">
          {meta.secret}
        </code>
      </p>
      <CodeForm
        action={activate}
        submit={submit}
        param="code"
        label="Authenticator code"
        inputMode="numeric"
        submitLabel="Activate"
      />
    </Card>
  );
}

/** /account/2fa/totp/deactivate: asks, then DELETE account/authenticators/totp. */
export function TotpDeactivate() {
  const router = useRouter();
  const { busy, response, run } = useApiAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const r = await run(() => api.deactivateTotp());
    if (r.status === 200) router.push(paths.mfa);
  }
  return (
    <RequireAuth>
      <Card title="Deactivate the authenticator app" intro="You will no longer be asked for its codes when you log in.">
        <form onSubmit={submit} className="form">
          <FormErrors messages={formErrors(response)} />
          <Submit busy={busy} variant="danger">
            Deactivate
          </Submit>
        </form>
        <p>
          <Link href={paths.mfa}>Cancel</Link>
        </p>
      </Card>
    </RequireAuth>
  );
}

// ---- Recovery codes --------------------------------------------------------------------------------

/** The codes as a text file for the download link (one per line, as allauth's own download view). */
export function recoveryCodesText(codes: readonly string[]): string {
  return codes.join("\n") + "\n";
}

/** /account/2fa/recovery-codes: the unused codes (GET account/authenticators/recovery-codes), download as text. */
export function RecoveryCodes() {
  return (
    <RequireAuth>
      <RecoveryCodesBody />
    </RequireAuth>
  );
}

function RecoveryCodesBody() {
  const [info, setInfo] = useState<Envelope<RecoveryCodesData> | null>(null);
  useEffect(() => {
    let live = true;
    void api.getRecoveryCodes().then((r) => live && setInfo(r));
    return () => {
      live = false;
    };
  }, []);
  if (!info) return <Loading />;
  const codes = info.status === 200 ? info.data : undefined;
  if (!codes) {
    return (
      <Card title="Recovery codes">
        {info.status === 404 ? <Notice>No recovery codes are set up.</Notice> : <FormErrors messages={formErrors(info)} />}
        <p>
          <Link href={paths.mfa}>Back to two-factor authentication</Link>
        </p>
      </Card>
    );
  }
  return (
    <Card title="Recovery codes">
      <p>
        {codes.unused_code_count} of {codes.total_code_count} codes are unused.
      </p>
      {codes.unused_codes ? (
        <CodeList codes={codes.unused_codes} />
      ) : (
        // Gatehouse keeps only hashes of the codes (allauth keeps them readable and shows them on
        // every GET), so they are in the answer once, right after they were made.
        <Notice>
          Your codes were shown when they were made and cannot be shown again. If you no longer have them, make a new set.
        </Notice>
      )}
      <div className="actions">
        <Link className="button button--secondary" href={paths.recoveryCodesGenerate}>
          Regenerate
        </Link>
      </div>
      <p>
        <Link href={paths.mfa}>Back to two-factor authentication</Link>
      </p>
    </Card>
  );
}

/** The codes, to keep; with a download as a text file. */
function CodeList({ codes }: { codes: readonly string[] }) {
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(recoveryCodesText(codes))}`;
  return (
    <>
      <p>Keep these somewhere safe: each code logs you in once when you cannot use your authenticator app or key. They are shown only now.</p>
      <ul className="codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="actions">
        <a className="button button--secondary" href={href} download="recovery-codes.txt">
          Download as text
        </a>
      </div>
    </>
  );
}

/** /account/2fa/recovery-codes/generate: a new set, which invalidates the old one; shown here, once. */
export function RecoveryCodesGenerate() {
  const { busy, response, run } = useApiAction();
  async function submit(event: FormEvent) {
    event.preventDefault();
    await run(() => api.regenerateRecoveryCodes());
  }
  const made = response?.status === 200 ? (response.data as RecoveryCodesData | undefined) : undefined;
  return (
    <RequireAuth>
      {made?.unused_codes ? (
        <Card title="New recovery codes">
          <Notice kind="success">Your new recovery codes are ready; the old ones no longer work.</Notice>
          <CodeList codes={made.unused_codes} />
          <p>
            <Link href={paths.mfa}>Back to two-factor authentication</Link>
          </p>
        </Card>
      ) : (
        <Card title="New recovery codes" intro="A new set of codes replaces the old one: the codes you have now stop working.">
          <form onSubmit={submit} className="form">
            <FormErrors messages={formErrors(response)} />
            <Submit busy={busy}>Generate new codes</Submit>
          </form>
          <p>
            <Link href={paths.mfa}>Cancel</Link>
          </p>
        </Card>
      )}
    </RequireAuth>
  );
}

// ---- WebAuthn --------------------------------------------------------------------------------------

/** /account/2fa/webauthn: security keys and passkeys: rename, remove. */
export function WebAuthnList() {
  return (
    <RequireAuth>
      <WebAuthnListBody />
    </RequireAuth>
  );
}

function WebAuthnListBody() {
  const { list, loadError, load } = useLoadedList<Authenticator>(api.listAuthenticators);
  const [editing, setEditing] = useState<number | null>(null);
  const [name, setName] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const action = useApiAction();

  async function rename(event: FormEvent, id: number) {
    event.preventDefault();
    setNotice(null);
    const r = await action.run(() => api.renameWebAuthn(id, name.trim()));
    if (r.status === 200) {
      setEditing(null);
      setNotice("The key was renamed.");
      await load();
    }
  }
  async function remove(key: Authenticator) {
    setNotice(null);
    const r = await action.run(() => api.removeWebAuthn([key.id!]));
    if (r.status === 200) {
      setNotice(`${key.name || "The key"} was removed.`);
      await load();
    }
  }

  if (loadError) {
    return (
      <Card title="Security keys and passkeys">
        <FormErrors messages={formErrors(loadError)} />
      </Card>
    );
  }
  if (!list) return <Loading />;
  const keys = list.filter((a) => a.type === "webauthn");
  return (
    <Card title="Security keys and passkeys">
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <FormErrors messages={formErrors(action.response, editing === null ? [] : ["name"])} />
      {keys.length === 0 ? <p>No security keys or passkeys have been added.</p> : null}
      <ul className="list">
        {keys.map((key) => (
          <li className="list__item" key={key.id} data-authenticator-id={key.id}>
            <div className="list__main">
              {editing === key.id ? (
                <form className="inline-form" onSubmit={(e) => void rename(e, key.id!)}>
                  <Field
                    label="Name"
                    name="name"
                    value={name}
                    autoFocus
                    maxLength={255}
                    onChange={(e) => {
                      setName(e.target.value);
                      action.edited("name");
                    }}
                    errors={action.fieldErrors("name")}
                  />
                  <Submit busy={action.busy}>Save</Submit>
                  <button type="button" className="button button--small" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <strong className="value" data-testid="key-name">
                  {key.name || "Unnamed key"}
                  <span className="badge badge--primary">
                    {key.is_passwordless === undefined ? "Type unknown" : key.is_passwordless ? "Passkey" : "Security key"}
                  </span>
                </strong>
              )}
              <span className="muted">
                Added {formatTime(key.created_at)} · {key.last_used_at ? `last used ${formatTime(key.last_used_at)}` : "not used yet"}
              </span>
            </div>
            {editing === key.id ? null : (
              <div className="list__actions">
                <button
                  type="button"
                  className="button button--small"
                  aria-label={`Rename ${key.name || "key"}`}
                  onClick={() => {
                    setEditing(key.id!);
                    setName(key.name ?? "");
                    action.reset();
                  }}
                >
                  Rename
                </button>
                <button
                  type="button"
                  className="button button--small button--danger"
                  aria-label={`Remove ${key.name || "key"}`}
                  disabled={action.busy}
                  onClick={() => void remove(key)}
                >
                  Remove
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <ul className="links">
        <li>
          <Link href={paths.webauthnAdd}>Add a security key or passkey</Link>
        </li>
        <li>
          <Link href={paths.mfa}>Back to two-factor authentication</Link>
        </li>
      </ul>
    </Card>
  );
}

/** /account/2fa/webauthn/add: a name, passkey or not, then the browser's create() ceremony. */
export function WebAuthnAdd() {
  const router = useRouter();
  const [name, setName] = useState("");
  // A passkey (resident, user-verified) also signs in without a password; allauth's SPA leaves the
  // box off, but a passkey is what most users now expect, so it starts on.
  const [passwordless, setPasswordless] = useState(true);
  const { busy, response, run, edited, fieldErrors } = useApiAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const r = await run(() =>
      runCreationCeremony(
        () => api.getWebAuthnCreateOptions(passwordless),
        (credential) => api.addWebAuthn(name.trim(), credential),
      ),
    );
    if (r.status === 200) {
      const generated = (r.meta as { recovery_codes_generated?: boolean } | undefined)?.recovery_codes_generated;
      router.push(generated ? paths.recoveryCodes : paths.webauthn);
    }
  }
  return (
    <RequireAuth>
      <Card title="Add a security key or passkey">
        <form onSubmit={submit} noValidate className="form">
          <FormErrors messages={formErrors(response, ["name"])} />
          <Field
            label="Name"
            name="name"
            hint="To tell your keys apart, e.g. “Work laptop”."
            maxLength={255}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              edited("name");
            }}
            errors={fieldErrors("name")}
          />
          <label className="checkbox">
            <input type="checkbox" checked={passwordless} onChange={(e) => setPasswordless(e.target.checked)} />
            <span>Passkey: also use it to log in without a password</span>
          </label>
          <Submit busy={busy}>Add key</Submit>
        </form>
        <p>
          <Link href={paths.mfa}>Cancel</Link>
        </p>
      </Card>
    </RequireAuth>
  );
}
