import type { Metadata } from "next";
import { MfaTrust } from "@/views/MfaAuthenticate";

export const metadata: Metadata = { title: "Trust this browser?" };

export default function Page() {
  return <MfaTrust />;
}
