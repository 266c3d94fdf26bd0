import { describe, expect, it, vi } from "vitest";
import {
  createApiClient,
  errorText,
  fetchHostUser,
  fieldErrors,
  formErrors,
  hasErrorCode,
  isAuthResponse,
  loginBody,
  loginField,
  readCookie,
  type Envelope,
} from "@/lib/api";

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function client(answer: (url: string, init: RequestInit) => Response | Promise<Response>, cookie = "csrftoken=tok123; other=1") {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return answer(String(input), init ?? {});
  });
  const api = createApiClient({ baseUrl: "/_allauth/browser/v1", fetch: fetchMock as unknown as typeof fetch, getCookie: (n) => readCookie(cookie, n) });
  return { api, calls };
}

const headersOf = (init: RequestInit) => init.headers as Record<string, string>;

describe("transport", () => {
  it("sends unsafe methods with the csrftoken cookie in X-CSRFToken, cookies included", async () => {
    const { api, calls } = client(() => jsonResponse({ status: 200, data: [] }));
    await api.addEmail("b@example.com");
    const { url, init } = calls[0]!;
    expect(url).toBe("/_allauth/browser/v1/account/email");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("include");
    expect(headersOf(init)["X-CSRFToken"]).toBe("tok123");
    expect(headersOf(init)["Content-Type"]).toBe("application/json");
    expect(JSON.parse(String(init.body))).toEqual({ email: "b@example.com" });
  });

  it("sends no CSRF header on GET and none when there is no cookie", async () => {
    const { api, calls } = client(() => jsonResponse({ status: 200, data: [] }), "");
    await api.listEmails();
    await api.logout();
    expect(headersOf(calls[0]!.init)["X-CSRFToken"]).toBeUndefined();
    expect(calls[1]!.init.method).toBe("DELETE");
    expect(headersOf(calls[1]!.init)["X-CSRFToken"]).toBeUndefined();
  });

  it("puts keys in the allauth headers for the GET checks", async () => {
    const { api, calls } = client(() => jsonResponse({ status: 200, data: {} }));
    await api.getEmailVerification("k/1");
    await api.getPasswordReset("r-2");
    expect(headersOf(calls[0]!.init)["X-Email-Verification-Key"]).toBe("k/1");
    expect(headersOf(calls[1]!.init)["X-Password-Reset-Key"]).toBe("r-2");
  });

  it("uses the wire's paths and bodies", async () => {
    const { api, calls } = client(() => jsonResponse({ status: 200, data: [] }));
    await api.makePrimaryEmail("b@example.com");
    await api.endSessions([4, 5]);
    await api.changePassword({ new_password: "x" });
    await api.confirmLoginCode("ABCD-EFGH");
    expect(calls.map((c) => `${c.init.method} ${c.url.replace("/_allauth/browser/v1/", "")} ${String(c.init.body)}`)).toEqual([
      'PATCH account/email {"email":"b@example.com","primary":true}',
      'DELETE auth/sessions {"sessions":[4,5]}',
      'POST account/password/change {"new_password":"x"}',
      'POST auth/code/confirm {"code":"ABCD-EFGH"}',
    ]);
  });

  it("turns a network failure into a status-0 envelope instead of throwing", async () => {
    const { api } = client(() => {
      throw new TypeError("Failed to fetch");
    });
    const r = await api.getSession();
    expect(r.status).toBe(0);
    expect(formErrors(r)).toEqual(["Could not reach the server. Check your connection and try again."]);
  });

  it("turns a non-JSON answer into an envelope with the HTTP status", async () => {
    const { api } = client(() => new Response("<html>bad gateway</html>", { status: 502 }));
    const r = await api.getConfig();
    expect(r.status).toBe(502);
    expect(r.errors?.[0]?.code).toBe("bad_response");
  });
});

describe("auth change notifications", () => {
  it("reports 401 with flows, 410 and authenticated 200s, not other answers", async () => {
    const answers: Envelope[] = [
      { status: 401, data: { flows: [{ id: "login" }] }, meta: { is_authenticated: false } },
      { status: 200, data: { user: { id: 1 }, methods: [] }, meta: { is_authenticated: true } },
      { status: 200, data: [{ email: "a@b.c", primary: true, verified: true }] },
      { status: 400, errors: [{ code: "invalid", message: "x", param: "email" }] },
      { status: 410, data: {}, meta: { is_authenticated: false } },
      { status: 200, data: { email: "a@b.c", user: { id: 1 } }, meta: { is_authenticating: true } } as Envelope,
    ];
    let i = 0;
    const { api } = client(() => jsonResponse(answers[i]!, answers[i++]!.status));
    const seen: number[] = [];
    const requests: string[] = [];
    const off = api.onAuthChange((r, request) => {
      seen.push(r.status);
      requests.push(request);
    });
    for (let n = 0; n < answers.length; n++) await api.request("GET", "x");
    expect(seen).toEqual([401, 200, 410]);
    expect(requests).toEqual(["GET x", "GET x", "GET x"]);
    off();
    i = 0;
    await api.request("GET", "x");
    expect(seen).toHaveLength(3);
  });

  it("isAuthResponse ignores a 401 without flows", () => {
    expect(isAuthResponse({ status: 401, errors: [] })).toBe(false);
  });
});

describe("errors", () => {
  const bad: Envelope = {
    status: 400,
    errors: [
      { code: "password_too_short", message: "Too short.", param: "password" },
      { code: "password_too_common", message: "Too common.", param: "password" },
      { code: "invalid", message: "Something else." },
    ],
  };
  it("groups errors by param for their fields", () => {
    expect(fieldErrors(bad, "password")).toEqual(["Too short.", "Too common."]);
    expect(fieldErrors(bad, "email")).toEqual([]);
  });
  it("shows errors without a (known) field above the form", () => {
    expect(formErrors(bad, ["password"])).toEqual(["Something else."]);
    expect(formErrors(bad, [])).toEqual(["Too short.", "Too common.", "Something else."]);
  });
  it("says clearly what 429, 403 CSRF and 5xx mean", () => {
    expect(formErrors({ status: 429 })[0]).toMatch(/Too many requests/);
    expect(formErrors({ status: 403, errors: [{ code: "csrf_failed", message: "CSRF verification failed." }] })[0]).toMatch(/Reload the page/);
    expect(formErrors({ status: 500 })[0]).toMatch(/server had a problem/);
    expect(formErrors({ status: 200 })).toEqual([]);
  });
  it("reads cookies by exact name", () => {
    expect(readCookie("xcsrftoken=no; csrftoken=yes%3D", "csrftoken")).toBe("yes=");
    expect(readCookie("a=1", "csrftoken")).toBeNull();
  });
});

describe("error wording", () => {
  it("prefers the server's message, and uses allauth's wording by code only when there is none", () => {
    expect(errorText({ code: "incorrect_code", message: "Falscher Code." })).toBe("Falscher Code.");
    expect(errorText({ code: "incorrect_code", message: "" })).toBe("Incorrect code.");
    expect(errorText({ code: "email_password_mismatch", message: "  " })).toBe(
      "The email address and/or password you specified are not correct.",
    );
    expect(errorText({ code: "something_new", message: "" })).toBe("Something went wrong. Please try again.");
    expect(fieldErrors({ status: 400, errors: [{ code: "incorrect_password", message: "", param: "password" }] }, "password")).toEqual([
      "Incorrect password.",
    ]);
  });
  it("finds errors by code and param", () => {
    const r: Envelope = { status: 400, errors: [{ code: "enter_current_password", message: "x", param: "current_password" }] };
    expect(hasErrorCode(r, "enter_current_password")).toBe(true);
    expect(hasErrorCode(r, "enter_current_password", "current_password")).toBe(true);
    expect(hasErrorCode(r, "enter_current_password", "new_password")).toBe(false);
    expect(hasErrorCode(null, "x")).toBe(false);
  });
  it("never tells the user to start again for a bare 409, and uses the server's 429 message when it sends one", () => {
    expect(formErrors({ status: 409 }).join(" ")).not.toMatch(/start again/i);
    expect(formErrors({ status: 429, errors: [{ code: "rate_limited", message: "Be patient." }] })).toEqual(["Be patient."]);
  });
});

describe("login identifier", () => {
  it("asks for the field the server's login methods allow", () => {
    expect(loginField(undefined)).toBe("email");
    expect(loginField(["email"])).toBe("email");
    expect(loginField(["username"])).toBe("username");
    expect(loginField(["email", "username"])).toBe("email_or_username");
  });
  it("sends username for an identifier without @ when both methods are on, email otherwise", () => {
    const both = ["email", "username"] as const;
    expect(loginBody(both, "alice", "pw")).toEqual({ username: "alice", password: "pw" });
    expect(loginBody(both, " alice@example.com ", "pw")).toEqual({ email: "alice@example.com", password: "pw" });
    expect(loginBody(["email"], "alice", "pw")).toEqual({ email: "alice", password: "pw" });
    expect(loginBody(["username"], "a@b", "pw")).toEqual({ username: "a@b", password: "pw" });
  });
});

describe("fetchHostUser", () => {
  it("asks the origin of the allauth base for /api/v1/users/me with the cookies", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(input), init: init ?? {} });
      return jsonResponse({ id: 7, email: "a@example.com", username: "a", has_mfa: false });
    });
    const answer = await fetchHostUser({ baseUrl: "https://auth.example.com/_allauth/browser/v1/", fetch: fetchMock as unknown as typeof fetch });
    expect(calls[0]!.url).toBe("https://auth.example.com/api/v1/users/me");
    expect(calls[0]!.init.credentials).toBe("include");
    expect(answer).toEqual({ status: 200, user: { id: 7, email: "a@example.com", username: "a", has_mfa: false } });
  });

  it("answers the status of a refusal and 0 for a network failure, never throwing", async () => {
    const refused = await fetchHostUser({ fetch: (async () => jsonResponse({ status: 401, errors: [] }, 401)) as unknown as typeof fetch });
    const offline = await fetchHostUser({ fetch: (async () => { throw new TypeError("offline"); }) as unknown as typeof fetch });
    expect(refused).toEqual({ status: 401 });
    expect(offline).toEqual({ status: 0 });
  });
});
