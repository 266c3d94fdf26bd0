import type { Metadata } from "next";
import { Emails } from "@/views/Emails";

export const metadata: Metadata = { title: "Email addresses" };

export default function Page() {
  return <Emails />;
}
