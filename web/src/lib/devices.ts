// A session's device as people say it ("Firefox 128 on Windows 10"), from its user-agent string.
// Parsing is bowser's (MIT, maintained, no dependencies); ua-parser-js 2.x, the other maintained
// parser, is AGPL-licensed.
import Bowser from "bowser";

export interface Device {
  /** "Firefox 128", or null when the string names no known browser. */
  browser: string | null;
  /** "Windows 10", "Android 14", "macOS Catalina"; null when unknown. */
  os: string | null;
  /** "mobile", "tablet", "desktop", "tv", "bot"; null when unknown. */
  kind: string | null;
}

export function parseUserAgent(userAgent: string | null | undefined): Device {
  const ua = (userAgent ?? "").trim();
  if (!ua) return { browser: null, os: null, kind: null };
  let result: Bowser.Parser.ParsedResult;
  try {
    result = Bowser.parse(ua);
  } catch {
    return { browser: null, os: null, kind: null };
  }
  const name = result.browser.name?.trim();
  const major = result.browser.version?.split(".")[0];
  const osName = result.os.name?.trim();
  const osVersion = result.os.versionName ?? result.os.version;
  return {
    browser: name ? (major ? `${name} ${major}` : name) : null,
    os: osName ? (osVersion && !/^NT\b/.test(osVersion) ? `${osName} ${osVersion}` : osName) : null,
    kind: result.platform.type ?? null,
  };
}

/** One line for a session list: "Chrome 126 on Android 14", "Firefox 128", "Unknown browser on Linux", "Unknown device". */
export function describeDevice(userAgent: string | null | undefined): string {
  const { browser, os } = parseUserAgent(userAgent);
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  if (os) return `Unknown browser on ${os}`;
  return "Unknown device";
}
