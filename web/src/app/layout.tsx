import type { Metadata, Viewport } from "next";
import { Suspense, type ReactNode } from "react";
import "./globals.css";
import { FlowRouter } from "@/components/FlowRouter";
import { Header, LoadErrorBanner } from "@/components/Header";
import { Loading } from "@/components/Form";

export const metadata: Metadata = {
  title: { default: "Gatehouse", template: "%s · Gatehouse" },
  description: "Gatehouse: accounts, email verification and sessions over the django-allauth headless API.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <FlowRouter />
        <Header />
        <main id="main" className="main">
          <LoadErrorBanner />
          <Suspense fallback={<Loading />}>{children}</Suspense>
        </main>
        <footer className="footer">
          <p>
            Gatehouse · the django-allauth headless API for ASP.NET Core ·{" "}
            <a href="/_allauth/browser/v1/config">API config</a>
          </p>
        </footer>
      </body>
    </html>
  );
}
