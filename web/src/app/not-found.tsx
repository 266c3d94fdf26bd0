import Link from "next/link";

export default function NotFound() {
  return (
    <section className="card" aria-labelledby="page-title">
      <h1 id="page-title">Page not found</h1>
      <p>
        There is nothing here. <Link href="/">Go to the home page</Link>.
      </p>
    </section>
  );
}
