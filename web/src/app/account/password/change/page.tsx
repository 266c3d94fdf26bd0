import type { Metadata } from "next";
import { PasswordChange } from "@/views/PasswordChange";

export const metadata: Metadata = { title: "Password" };

export default function Page() {
  return <PasswordChange />;
}
