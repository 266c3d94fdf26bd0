// The otpauth URL as a QR code: qrcode (MIT) computes the module matrix, the page draws it as one
// SVG path (React elements, no HTML string), so nothing is injected and no canvas is needed.
import QRCode from "qrcode";

/** One SVG path with a 1×1 square per dark module, inside the 4-module quiet zone QR readers need. */
export function qrPath(text: string): { size: number; d: string } {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const quiet = 4;
  const parts: string[] = [];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) parts.push(`M${col + quiet} ${row + quiet}h1v1h-1z`);
    }
  }
  return { size: modules.size + 2 * quiet, d: parts.join("") };
}
