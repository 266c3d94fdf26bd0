import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

// Production: a static export (web/out) that the Gatehouse server serves on its own origin.
// Development (`npm run dev`): Next's dev server with hot reload; /_allauth is proxied to a
// running Gatehouse (GATEHOUSE_API_ORIGIN, default http://localhost:8000), so the app still talks
// to the API on its own origin and cookies + CSRF work unchanged.
export default function config(phase: string): NextConfig {
  const base: NextConfig = {
    reactStrictMode: true,
    poweredByHeader: false,
    images: { unoptimized: true },
  };
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    const api = process.env.GATEHOUSE_API_ORIGIN ?? "http://localhost:8000";
    return {
      ...base,
      async rewrites() {
        return [{ source: "/_allauth/:path*", destination: `${api}/_allauth/:path*` }];
      },
    };
  }
  return { ...base, output: "export" };
}
