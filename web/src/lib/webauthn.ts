"use client";
// The browser side of a WebAuthn ceremony: JSON options from the server in, the credential as JSON
// out. @github/webauthn-json is what allauth's own SPA uses, and Gatehouse's wire is its format
// (docs/design.md, "WebAuthn and passkeys"); browsers now have PublicKeyCredential.parseCreationOptionsFromJSON
// and toJSON() natively, but not all of them yet, so the ponyfill stays until they do.
import {
  create,
  get,
  parseCreationOptionsFromJSON,
  parseRequestOptionsFromJSON,
  supported,
  type CredentialCreationOptionsJSON,
  type CredentialRequestOptionsJSON,
} from "@github/webauthn-json/browser-ponyfill";
import type { CreationOptionsJson, CredentialJson, Envelope, RequestOptionsJson } from "./api";

export type Ceremony<T> = { ok: true; credential: T } | { ok: false; envelope: Envelope };

/** Error code for a ceremony the browser refused or the user cancelled (never sent by the server). */
export const WEBAUTHN_CANCELLED = "webauthn_cancelled";

export function webAuthnSupported(): boolean {
  return typeof window !== "undefined" && supported();
}

function failed(error: unknown): Envelope {
  // NotAllowedError: cancelled, timed out, or no matching key. The browser's message is not shown: it
  // is often developer wording ("The operation either timed out or was not allowed").
  const name = error instanceof DOMException ? error.name : "";
  const message =
    name === "NotAllowedError"
      ? "The security key step was cancelled or timed out. Please try again."
      : name === "InvalidStateError"
        ? "This security key is already registered."
        : name === "SecurityError"
          ? "This browser refused the security key step for this site (it needs HTTPS)."
          : "Your browser could not use a security key here.";
  return { status: 0, errors: [{ code: WEBAUTHN_CANCELLED, message }] };
}

/** Runs navigator.credentials.create with the server's creation options. */
export async function createCredential(options: CreationOptionsJson): Promise<Ceremony<CredentialJson>> {
  try {
    const credential = await create(parseCreationOptionsFromJSON(options as unknown as CredentialCreationOptionsJSON));
    return { ok: true, credential: credential.toJSON() as unknown as CredentialJson };
  } catch (error) {
    return { ok: false, envelope: failed(error) };
  }
}

/** Runs navigator.credentials.get with the server's request options. */
export async function getCredential(options: RequestOptionsJson): Promise<Ceremony<CredentialJson>> {
  try {
    const credential = await get(parseRequestOptionsFromJSON(options as unknown as CredentialRequestOptionsJSON));
    return { ok: true, credential: credential.toJSON() as unknown as CredentialJson };
  } catch (error) {
    return { ok: false, envelope: failed(error) };
  }
}

/**
 * A whole ceremony against the API: ask for options, run the browser step, send the credential.
 * Returns the answer of the failing step (an options request the server refused, a cancelled
 * browser step) or of the final request.
 */
export async function runRequestCeremony(
  getOptions: () => Promise<Envelope<{ request_options: RequestOptionsJson }>>,
  send: (credential: CredentialJson) => Promise<Envelope>,
): Promise<Envelope> {
  const options = await getOptions();
  if (options.status !== 200 || !options.data) return options;
  const result = await getCredential(options.data.request_options);
  return result.ok ? send(result.credential) : result.envelope;
}

export async function runCreationCeremony(
  getOptions: () => Promise<Envelope<{ creation_options: CreationOptionsJson }>>,
  send: (credential: CredentialJson) => Promise<Envelope>,
): Promise<Envelope> {
  const options = await getOptions();
  if (options.status !== 200 || !options.data) return options;
  const result = await createCredential(options.data.creation_options);
  return result.ok ? send(result.credential) : result.envelope;
}
