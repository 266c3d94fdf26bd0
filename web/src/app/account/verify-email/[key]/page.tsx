import type { Metadata } from "next";
import { VerifyEmailKey } from "@/views/VerifyEmail";

// Exported once, for the placeholder key "_": the server serves this page for every key
// (see src/Gatehouse.Server/Frontend.cs), and the page reads the real key from the URL.
export const dynamicParams = false;
export function generateStaticParams() {
  return [{ key: "_" }];
}

export const metadata: Metadata = { title: "Confirm email address" };

export default function Page() {
  return <VerifyEmailKey />;
}
