import type { Metadata } from "next";
import { RecoveryCodesGenerate } from "@/views/Mfa";

export const metadata: Metadata = { title: "New recovery codes" };

export default function Page() {
  return <RecoveryCodesGenerate />;
}
