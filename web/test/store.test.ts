import { describe, expect, it } from "vitest";
import { useAuthStore, VERIFICATION_MAIL_COOLDOWN_MS } from "@/lib/store";

describe("verification mail times", () => {
  it("keeps an earlier mail within the cooldown when the server skips sending, and takes a forced send", () => {
    const { noteVerificationMail } = useAuthStore.getState();
    const t0 = 1_000_000_000_000;
    noteVerificationMail("sent", t0);
    expect(useAuthStore.getState().verificationMailAt).toBe(t0);
    // A login within the cooldown: the server sends no new link, so the first time stays.
    noteVerificationMail("unless-recent", t0 + 60_000);
    expect(useAuthStore.getState().verificationMailAt).toBe(t0);
    // After the cooldown a login mails again.
    noteVerificationMail("unless-recent", t0 + VERIFICATION_MAIL_COOLDOWN_MS);
    expect(useAuthStore.getState().verificationMailAt).toBe(t0 + VERIFICATION_MAIL_COOLDOWN_MS);
    // A signup or a successful resend always sends.
    noteVerificationMail("sent", t0 + VERIFICATION_MAIL_COOLDOWN_MS + 1);
    expect(useAuthStore.getState().verificationMailAt).toBe(t0 + VERIFICATION_MAIL_COOLDOWN_MS + 1);
  });
});
