import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { createMemoryHistory } from "vue-router";
import App from "../App.vue";
import { makeI18n } from "../i18n";
import { makeRouter } from "../router";
import { account, resetSession } from "../session";
import { answer, fakeStation, zhang, ROUTED } from "../testing.fixture";


beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => vi.unstubAllGlobals());

describe("SignIn", () => {
  it("submits login, password and code, shows the station's Chinese message on 401, then signs in", async () => {
    let tries = 0;
    const seen = fakeStation((_m, url) => {
      if (url === "/console/api/session") return answer(401, { code: "unauthorized", message: "请先登录" });
      if (url === "/console/api/sign-in")
        return ++tries === 1
          ? answer(401, { code: "bad_credentials", message: "登录名、密码或动态验证码不正确，还可尝试 4 次" })
          : answer(200, { account: zhang, csrf: "tok" });
      return answer(200, { entries: [] });
    });
    const router = makeRouter(createMemoryHistory());
    await router.push("/sign-in?next=/logs");
    const w = mount(App, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
    await flushPromises();

    expect(w.find("h1").text()).toBe("全程 · 执法监督平台");
    expect(w.find("input[data-test=code]").attributes("inputmode")).toBe("numeric");
    expect(w.find("[data-test=sign-in-error]").exists()).toBe(false);
    await w.find("input[data-test=login]").setValue("zhang.wei");
    await w.find("input[data-test=password]").setValue("mima-123");
    await w.find("input[data-test=code]").setValue("123456");
    await w.find("form").trigger("submit");
    await flushPromises();

    const signIn = seen.filter((s) => s.url === "/console/api/sign-in");
    expect(signIn).toHaveLength(1);
    expect(signIn[0].body).toEqual({ login: "zhang.wei", password: "mima-123", code: "123456" });
    expect(w.find("[data-test=sign-in-error]").text()).toBe("登录名、密码或动态验证码不正确，还可尝试 4 次");
    expect(router.currentRoute.value.name).toBe("sign-in");
    // The code was spent; the password stays.
    expect((w.find("input[data-test=code]").element as HTMLInputElement).value).toBe("");
    expect((w.find("input[data-test=password]").element as HTMLInputElement).value).toBe("mima-123");

    await w.find("input[data-test=code]").setValue("654321");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(account.value).toEqual(zhang);
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe("/logs"), ROUTED);
    await vi.waitFor(() => expect(w.find("[data-test=log-entries-login]").exists()).toBe(true));
    w.unmount();
  });

  it("shows the lock message, and checks the code before asking the station", async () => {
    const seen = fakeStation((_m, url) =>
      url === "/console/api/session"
        ? answer(401, {})
        : answer(423, { code: "locked", message: "登录失败次数过多，账户已锁定，请 15 分钟后再试" }),
    );
    const router = makeRouter(createMemoryHistory());
    await router.push("/sign-in");
    const w = mount(App, { global: { plugins: [makeI18n(), router] } });
    await flushPromises();
    await w.find("input[data-test=login]").setValue("zhang.wei");
    await w.find("input[data-test=password]").setValue("mima-123");
    await w.find("input[data-test=code]").setValue("12345");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=sign-in-error]").text()).toBe("动态验证码应为 6 位数字");
    expect(seen.some((s) => s.url === "/console/api/sign-in")).toBe(false);

    await w.find("input[data-test=code]").setValue("123456");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=sign-in-error]").text()).toBe("登录失败次数过多，账户已锁定，请 15 分钟后再试");
    w.unmount();
  });
});
