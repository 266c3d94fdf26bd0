import type { Metadata } from "next";
import { PasswordResetRequest } from "@/views/PasswordReset";

export const metadata: Metadata = { title: "Reset password" };

export default function Page() {
  return <PasswordResetRequest />;
}
