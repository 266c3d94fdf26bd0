import type { Metadata } from "next";
import { Logout } from "@/views/Logout";

export const metadata: Metadata = { title: "Log out" };

export default function Page() {
  return <Logout />;
}
