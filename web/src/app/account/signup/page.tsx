import type { Metadata } from "next";
import { Signup } from "@/views/Signup";

export const metadata: Metadata = { title: "Sign up" };

export default function Page() {
  return <Signup />;
}
