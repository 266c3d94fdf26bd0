import type { Metadata } from "next";
import { MfaOverview } from "@/views/Mfa";

export const metadata: Metadata = { title: "Two-factor authentication" };

export default function Page() {
  return <MfaOverview />;
}
