import type { Metadata } from "next";
import { LoginCodeRequest } from "@/views/LoginCode";

export const metadata: Metadata = { title: "Sign in with a code" };

export default function Page() {
  return <LoginCodeRequest />;
}
