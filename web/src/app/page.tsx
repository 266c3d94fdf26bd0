import { Home } from "@/views/Home";

export default function Page() {
  return <Home />;
}
