import { describe, expect, it } from "vitest";
import QRCode from "qrcode";
import { qrPath } from "@/lib/qr";

const URL = "otpauth://totp/Gatehouse:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse";

describe("the TOTP QR code", () => {
  it("draws exactly the dark modules of qrcode's matrix, inside a 4-module quiet zone", () => {
    const { modules } = QRCode.create(URL, { errorCorrectionLevel: "M" });
    const { size, d } = qrPath(URL);
    expect(size).toBe(modules.size + 8);
    const squares = d.match(/M\d+ \d+h1v1h-1z/g) ?? [];
    expect(squares.length).toBe([...modules.data].filter(Boolean).length);
    // The finder pattern's corner is dark and sits right after the quiet zone; the quiet zone is empty.
    expect(d.startsWith("M4 4h1v1h-1z")).toBe(true);
    expect(squares.some((s) => /^M[0-3] |^M\d+ [0-3]h/.test(s))).toBe(false);
  });
});
