import type { Metadata } from "next";
import { WebAuthnAdd } from "@/views/Mfa";

export const metadata: Metadata = { title: "Add a security key or passkey" };

export default function Page() {
  return <WebAuthnAdd />;
}
