import type { Metadata } from "next";
import { CreateSignupPasskey } from "@/views/PasskeySignup";

export const metadata: Metadata = { title: "Create your passkey" };

export default function Page() {
  return <CreateSignupPasskey />;
}
