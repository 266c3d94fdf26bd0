import type { Metadata } from "next";
import { VerifyEmailWaiting } from "@/views/VerifyEmail";

export const metadata: Metadata = { title: "Confirm your email" };

export default function Page() {
  return <VerifyEmailWaiting />;
}
