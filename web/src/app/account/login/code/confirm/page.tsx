import type { Metadata } from "next";
import { LoginCodeConfirm } from "@/views/LoginCode";

export const metadata: Metadata = { title: "Enter your code" };

export default function Page() {
  return <LoginCodeConfirm />;
}
