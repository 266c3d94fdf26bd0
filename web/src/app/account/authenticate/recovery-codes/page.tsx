import type { Metadata } from "next";
import { MfaAuthenticate } from "@/views/MfaAuthenticate";

export const metadata: Metadata = { title: "Two-factor authentication" };

export default function Page() {
  return <MfaAuthenticate type="recovery_codes" />;
}
