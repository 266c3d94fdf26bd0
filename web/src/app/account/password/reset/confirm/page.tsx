import type { Metadata } from "next";
import { PasswordResetCode } from "@/views/PasswordReset";

export const metadata: Metadata = { title: "Enter your reset code" };

export default function Page() {
  return <PasswordResetCode />;
}
