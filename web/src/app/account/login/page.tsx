import type { Metadata } from "next";
import { Login } from "@/views/Login";

export const metadata: Metadata = { title: "Log in" };

export default function Page() {
  return <Login />;
}
