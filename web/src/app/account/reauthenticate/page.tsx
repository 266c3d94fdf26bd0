import type { Metadata } from "next";
import { Reauthenticate } from "@/views/Reauthenticate";

export const metadata: Metadata = { title: "Confirm it is you" };

export default function Page() {
  return <Reauthenticate />;
}
