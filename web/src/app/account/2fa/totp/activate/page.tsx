import type { Metadata } from "next";
import { TotpActivate } from "@/views/Mfa";

export const metadata: Metadata = { title: "Activate an authenticator app" };

export default function Page() {
  return <TotpActivate />;
}
