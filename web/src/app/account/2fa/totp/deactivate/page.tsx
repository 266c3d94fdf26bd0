import type { Metadata } from "next";
import { TotpDeactivate } from "@/views/Mfa";

export const metadata: Metadata = { title: "Deactivate the authenticator app" };

export default function Page() {
  return <TotpDeactivate />;
}
