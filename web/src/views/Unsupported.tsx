"use client";
import Link from "next/link";
import { useAuthStore } from "@/lib/store";
import { paths, pendingFlow } from "@/lib/flows";
import { Card, Notice } from "@/components/Form";

export function Unsupported() {
  const flow = useAuthStore((s) => pendingFlow(s.auth));
  return (
    <Card title="Another step is needed">
      <Notice>
        The server asks for a step this frontend does not support yet{flow ? <> (<code>{flow.id}</code>)</> : null}.
      </Notice>
      <p>
        <Link href={paths.login}>Back to log in</Link>
      </p>
    </Card>
  );
}
