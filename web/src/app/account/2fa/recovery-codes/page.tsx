import type { Metadata } from "next";
import { RecoveryCodes } from "@/views/Mfa";

export const metadata: Metadata = { title: "Recovery codes" };

export default function Page() {
  return <RecoveryCodes />;
}
