import type { Metadata } from "next";
import { WebAuthnList } from "@/views/Mfa";

export const metadata: Metadata = { title: "Security keys and passkeys" };

export default function Page() {
  return <WebAuthnList />;
}
