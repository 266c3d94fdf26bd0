import type { Metadata } from "next";
import { SignupByPasskey } from "@/views/PasskeySignup";

export const metadata: Metadata = { title: "Sign up with a passkey" };

export default function Page() {
  return <SignupByPasskey />;
}
