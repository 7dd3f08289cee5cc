import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { createMemoryHistory } from "vue-router";
import App from "../App.vue";
import { makeI18n } from "../i18n";
import { makeRouter } from "../router";
import { account, resetSession } from "../session";
import { answer, dashboardAnswer, fakeStation, zhang } from "../testing.fixture";

beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

describe("ConsoleLayout", () => {
  it("changes the password: the new one twice, the station's refusal shown, then signed out", async () => {
    let tries = 0;
    const seen = fakeStation((_m, url) => {
      if (url === "/console/api/session") return answer(200, { account: zhang, csrf: "tok" });
      if (url === "/console/api/password")
        return ++tries === 1
          ? answer(422, { code: "wrong_password", message: "密码不正确，未签名，也未作任何更改" })
          : answer(204);
      return answer(200, dashboardAnswer);
    });
    const router = makeRouter(createMemoryHistory());
    await router.push("/");
    const w = mount(App, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
    await flushPromises();
    await w.find("[data-test=change-password]").trigger("click");
    await flushPromises();
    const field = (test: string) => w.find(`[data-test=password-${test}]`);
    await field("old").setValue("old password");
    await field("new").setValue("new password 1");
    await field("again").setValue("new password 2");
    await field("submit").trigger("click");
    expect(field("error").text()).toBe("两次输入的新密码不一致");
    expect(seen.some((s) => s.url === "/console/api/password")).toBe(false);

    await field("again").setValue("new password 1");
    await field("submit").trigger("click");
    await flushPromises();
    expect(field("error").text()).toBe("密码不正确，未签名，也未作任何更改");
    await field("submit").trigger("click");
    await flushPromises();
    const sent = seen.filter((s) => s.url === "/console/api/password");
    expect(sent.map((s) => s.body)).toEqual([
      { old: "old password", new: "new password 1" },
      { old: "old password", new: "new password 1" },
    ]);
    expect(sent[0].headers["x-csrf-token"]).toBe("tok");
    expect(account.value).toBeNull();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("sign-in"));
    w.unmount();
  });
});
