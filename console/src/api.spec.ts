import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, CSRF_KEY, csrfToken, errorOf, onUnauthorized } from "./api";
import { i18n } from "./i18n";
import { answer, caseRow, dashboardAnswer, fakeStation, zhang } from "./testing.fixture";

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  onUnauthorized(() => {});
});

describe("api", () => {
  it("sends the CSRF token from signing in on every later call, but never on sign-in itself", async () => {
    let signIns = 0;
    const seen = fakeStation((method, url) => {
      if (url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: ++signIns === 1 ? "tok-1" : "tok-3" });
      if (url.startsWith("/console/api/dashboard")) return answer(200, dashboardAnswer);
      if (url.startsWith("/console/api/logs")) return answer(200, { entries: [] });
      if (url === "/console/api/session") return answer(200, { account: zhang, csrf: "tok-2" });
      if (url === "/console/api/sign-out" && method === "POST") return answer(204);
      return answer(404, { code: "not_found", message: "没有这个地址" });
    });

    expect(await api.signIn("zhang.wei", "mima-123", "123456")).toEqual(zhang);
    expect(csrfToken()).toBe("tok-1");
    expect(sessionStorage.getItem(CSRF_KEY)).toBe("tok-1");
    expect(await api.dashboard()).toEqual(dashboardAnswer);
    await api.logs("operation", 50);
    await api.session();
    await api.dashboard({ from: 1764547200000, to: null });
    // Signing in again, with a token still held, must not send it.
    await api.signIn("zhang.wei", "mima-123", "654321");
    await api.signOut();
    expect(csrfToken()).toBeNull();
    expect(sessionStorage.getItem(CSRF_KEY)).toBeNull();

    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /console/api/sign-in",
      "GET /console/api/dashboard",
      "GET /console/api/logs?kind=operation&limit=50",
      "GET /console/api/session",
      "GET /console/api/dashboard?from=1764547200000",
      "POST /console/api/sign-in",
      "POST /console/api/sign-out",
    ]);
    expect(seen[0].headers["x-csrf-token"]).toBeUndefined();
    expect(seen[0].body).toEqual({ login: "zhang.wei", password: "mima-123", code: "123456" });
    expect(seen[0].headers["content-type"]).toBe("application/json");
    expect(seen.slice(1, 4).map((s) => s.headers["x-csrf-token"])).toEqual(["tok-1", "tok-1", "tok-1"]);
    // The session answer's token replaces the old one.
    expect(seen[4].headers["x-csrf-token"]).toBe("tok-2");
    expect(seen[5].headers["x-csrf-token"]).toBeUndefined();
    expect(seen[6].headers["x-csrf-token"]).toBe("tok-3");
    expect(seen.every((s) => s.credentials === "same-origin")).toBe(true);
  });

  it("asks for cases with the search, the filters and the page as query parameters, with the CSRF token", async () => {
    const seen = fakeStation((method, url) => {
      if (method === "POST" && url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: "tok-c" });
      if (url.startsWith("/console/api/cases")) return answer(200, { total: 51, cases: [caseRow()] });
      return answer(404, { code: "not_found" });
    });
    await api.signIn("zhang.wei", "mima-123", "123456");
    const got = await api.cases({ q: "泉城路 1号&x", status: "filed", squad: "", domain: undefined, limit: 50, offset: 50 });
    expect(got).toEqual({ total: 51, cases: [caseRow()] });
    await api.cases();

    const asked = new URL(seen[1].url, "https://station.example");
    expect(asked.pathname).toBe("/console/api/cases");
    expect([...asked.searchParams]).toEqual([
      ["q", "泉城路 1号&x"],
      ["status", "filed"],
      ["limit", "50"],
      ["offset", "50"],
    ]);
    // The text is encoded, not pasted: `&` cannot start a parameter of its own.
    expect(seen[1].url).not.toContain("&x");
    expect(seen[1].method).toBe("GET");
    expect(seen[1].headers["x-csrf-token"]).toBe("tok-c");
    expect(seen[2].url).toBe("/console/api/cases");
    expect(seen[2].headers["x-csrf-token"]).toBe("tok-c");
  });

  it("lists devices, revokes one and issues enrolment codes, with the CSRF token on every call", async () => {
    const seen = fakeStation((method, url) => {
      if (method === "POST" && url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: "tok-v" });
      if (url === "/console/api/devices") return answer(200, { devices: [] });
      if (url.endsWith("/revoke")) return answer(200, { number: 4, revoked: 2 });
      return answer(200, { code: "AB12", squad: "一中队", expires_at: 1, qr_svg: "<svg/>" });
    });
    await api.signIn("zhang.wei", "mima-123", "123456");
    // An older station that leaves out may_manage: nothing may be managed.
    expect(await api.devices()).toEqual({ devices: [], may_manage: false });
    expect(await api.revokeDevice("pad/1 ?x", "丢失", "pw")).toEqual({ number: 4, revoked: 2 });
    expect(await api.issueEnrolmentCode("一中队", "pw")).toMatchObject({ code: "AB12" });
    expect(seen.slice(1).map((s) => [s.method, s.url, s.body, s.headers["x-csrf-token"]])).toEqual([
      ["GET", "/console/api/devices", undefined, "tok-v"],
      // The id is one path segment, whatever it holds.
      ["POST", "/console/api/devices/pad%2F1%20%3Fx/revoke", { reason: "丢失", password: "pw" }, "tok-v"],
      ["POST", "/console/api/enrolment-codes", { squad: "一中队", password: "pw" }, "tok-v"],
    ]);
  });

  it("reads, previews and imports the bureau's files, with the CSRF token; a refusal's `error` is its message", async () => {
    const seen = fakeStation((method, url) => {
      if (method === "POST" && url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: "tok-f" });
      if (url.endsWith("/preview")) return answer(400, { error: "权责清单不是有效的 JSON：第 1 行" });
      if (method === "POST") return answer(200, { digest: "d", summary: "更新文书固定用语" });
      return answer(200, { catalogue: {}, wording: {} });
    });
    await api.signIn("wu.min", "mima-123", "123456");
    expect(await api.bureauFiles()).toEqual({ catalogue: {}, wording: {} });
    await expect(api.previewBureauFile("catalogue", "{")).rejects.toMatchObject({
      status: 400,
      message: "权责清单不是有效的 JSON：第 1 行",
    });
    expect(await api.importBureauFile("wording", "x = 1", "ab", "pw")).toEqual({ digest: "d", summary: "更新文书固定用语" });
    expect(seen.slice(1).map((s) => [s.method, s.url, s.body, s.headers["x-csrf-token"]])).toEqual([
      ["GET", "/console/api/bureau-files", undefined, "tok-f"],
      ["POST", "/console/api/bureau-files/catalogue/preview", { text: "{" }, "tok-f"],
      ["POST", "/console/api/bureau-files/wording", { text: "x = 1", replacing: "ab", password: "pw" }, "tok-f"],
    ]);
  });

  it("picks the token up from sessionStorage after a reload", async () => {
    sessionStorage.setItem(CSRF_KEY, "kept");
    vi.resetModules();
    const fresh = await import("./api");
    const seen = fakeStation(() => answer(200, { entries: [] }));
    await fresh.api.logs("login");
    expect(seen[0].headers["x-csrf-token"]).toBe("kept");
  });

  it("turns error answers into ApiError with the station's code and Chinese message", async () => {
    fakeStation((_m, url) =>
      url === "/console/api/sign-in"
        ? answer(423, { code: "locked", message: "登录失败次数过多，账户已锁定 15 分钟" })
        : answer(403, { code: "forbidden", message: "法制审核员不能查看日志" }),
    );
    const locked = await api.signIn("zhang.wei", "x", "000000").catch((e: unknown) => e);
    expect(locked).toBeInstanceOf(ApiError);
    expect(locked).toBeInstanceOf(Error);
    expect(locked).toMatchObject({ status: 423, code: "locked", message: "登录失败次数过多，账户已锁定 15 分钟" });
    await expect(api.logs("login")).rejects.toMatchObject({ status: 403, code: "forbidden", message: "法制审核员不能查看日志" });
  });

  it("says something in Chinese when the answer has no message, or is not JSON, or never comes", async () => {
    const forbidden = await errorOf(answer(403, { code: "forbidden" }));
    expect(forbidden).toMatchObject({ status: 403, code: "forbidden", message: "您的角色无权查看此内容" });
    const proxy = await errorOf(new Response("<html>Bad Gateway</html>", { status: 502 }));
    expect(proxy).toMatchObject({ status: 502, code: "http_502", message: "服务器返回错误（HTTP 502），请稍后再试" });
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api.dashboard()).rejects.toMatchObject({ status: 0, code: "network", message: "无法连接服务器，请检查网络后重试" });
  });

  it("shows the station's English message on a page in English, and its Chinese one otherwise", async () => {
    const refused = {
      code: "bad_request",
      message: "请求有误：密码至少 10 位",
      message_en: "The password needs at least 10 characters",
    };
    // A ref at run time (composition mode), whatever its typing says.
    const locale = i18n.global.locale as unknown as { value: string };
    expect(locale.value).toBe("zh-CN");
    expect(await errorOf(answer(400, refused))).toMatchObject({ status: 400, code: "bad_request", message: "请求有误：密码至少 10 位" });
    locale.value = "en";
    try {
      expect(await errorOf(answer(400, refused))).toMatchObject({
        status: 400,
        code: "bad_request",
        message: "The password needs at least 10 characters",
      });
      // A station that sends no English is still heard, in Chinese.
      const older = await errorOf(answer(403, { code: "forbidden", message: "当前账号无权进行此操作" }));
      expect(older.message).toBe("当前账号无权进行此操作");
    } finally {
      locale.value = "zh-CN";
    }
  });

  it("takes the current session's token and retries once when the station refuses the token", async () => {
    sessionStorage.setItem(CSRF_KEY, "stale");
    vi.resetModules();
    const fresh = await import("./api");
    const seen = fakeStation((_m, url) => {
      if (url === "/console/api/session") return answer(200, { account: zhang, csrf: "current" });
      const sent = seen[seen.length - 1].headers["x-csrf-token"];
      return sent === "current"
        ? answer(200, { entries: [] })
        : answer(403, { code: "csrf", message: "请求缺少安全令牌，请刷新页面后重试" });
    });
    expect(await fresh.api.logs("login")).toEqual([]);
    expect(seen.map((s) => [s.url, s.headers["x-csrf-token"]])).toEqual([
      ["/console/api/logs?kind=login&limit=200", "stale"],
      ["/console/api/session", "stale"],
      ["/console/api/logs?kind=login&limit=200", "current"],
    ]);
    expect(sessionStorage.getItem(CSRF_KEY)).toBe("current");
  });

  it("reports a 401 to the handler and forgets the token, except when signing in", async () => {
    const left = vi.fn();
    onUnauthorized(left);
    fakeStation((_m, url) =>
      url === "/console/api/sign-in"
        ? answer(401, { code: "bad_credentials", message: "登录名、密码或动态验证码不正确" })
        : answer(401, { code: "unauthorized", message: "登录已失效" }),
    );
    sessionStorage.setItem(CSRF_KEY, "old");
    await expect(api.signIn("a", "b", "123456")).rejects.toMatchObject({ status: 401, code: "bad_credentials" });
    expect(left).not.toHaveBeenCalled();
    await expect(api.dashboard()).rejects.toMatchObject({ status: 401 });
    expect(left).toHaveBeenCalledTimes(1);
    expect(csrfToken()).toBeNull();
    expect(sessionStorage.getItem(CSRF_KEY)).toBeNull();
    // At start, no session is an answer, not a reason to move.
    expect(await api.session()).toBeNull();
    expect(left).toHaveBeenCalledTimes(1);
  });
});
