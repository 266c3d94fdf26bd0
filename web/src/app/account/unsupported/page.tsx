import type { Metadata } from "next";
import { Unsupported } from "@/views/Unsupported";

export const metadata: Metadata = { title: "Another step is needed" };

export default function Page() {
  return <Unsupported />;
}
