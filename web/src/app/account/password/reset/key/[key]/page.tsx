import type { Metadata } from "next";
import { PasswordResetKey } from "@/views/PasswordReset";

// Exported once, for the placeholder key "_": the server serves this page for every key
// (see src/Gatehouse.Server/Frontend.cs), and the page reads the real key from the URL.
export const dynamicParams = false;
export function generateStaticParams() {
  return [{ key: "_" }];
}

export const metadata: Metadata = { title: "Choose a new password" };

export default function Page() {
  return <PasswordResetKey />;
}
