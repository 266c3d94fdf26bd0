import type { Metadata } from "next";
import { MfaReauthenticate } from "@/views/MfaAuthenticate";

export const metadata: Metadata = { title: "Confirm it is you" };

export default function Page() {
  return <MfaReauthenticate type="recovery_codes" />;
}
