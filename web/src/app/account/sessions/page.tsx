import type { Metadata } from "next";
import { Sessions } from "@/views/Sessions";

export const metadata: Metadata = { title: "Sessions" };

export default function Page() {
  return <Sessions />;
}
