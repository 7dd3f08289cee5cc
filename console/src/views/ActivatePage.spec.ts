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
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

const CODE = "0123456789abcdef0123456789abcdef";
const QR = '<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=1</script></svg>';
const shown = {
  login: "zhang.wei",
  name: "张伟",
  role_label: "局领导",
  totp_secret: "JBSWY3DPEHPK3PXP",
  otpauth_url: "otpauth://totp/x",
  qr_svg: QR,
  until: Date.UTC(2030, 0, 1),
};

async function open(path: string) {
  const router = makeRouter(createMemoryHistory());
  await router.push(path);
  const w = mount(App, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
  await flushPromises();
  return { w, router };
}

describe("ActivatePage", () => {
  it("shows the authenticator to enrol, checks the password twice, activates and signs in", async () => {
    let tries = 0;
    const seen = fakeStation((_m, url) => {
      if (url === "/console/api/activation") return answer(200, shown);
      if (url === "/console/api/activate")
        return ++tries === 1
          ? answer(400, { code: "bad_request", message: "请求有误：动态验证码不正确，请核对验证器后重试" })
          : answer(200, { account: zhang, csrf: "tok" });
      return answer(200, { total: 0 });
    });
    const { w, router } = await open(`/activate#login=zhang.wei&code=${CODE}`);
    expect(seen[0].body).toEqual({ login: "zhang.wei", code: CODE });
    expect(w.find("[data-test=activate-who]").text()).toContain("张伟（局领导），登录名 zhang.wei");
    expect(w.find("[data-test=activate-secret]").text()).toBe("JBSWY3DPEHPK3PXP");
    const qr = w.find("[data-test=activate-qr]");
    expect(qr.element.tagName).toBe("IMG");
    expect(qr.attributes("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(document.querySelector("main script")).toBeNull();

    await w.find("[data-test=activate-password]").setValue("my own password");
    await w.find("[data-test=activate-again]").setValue("my own passwore");
    await w.find("[data-test=activate-code]").setValue("123456");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=activate-error]").text()).toBe("两次输入的密码不一致");
    expect(seen.some((s) => s.url === "/console/api/activate")).toBe(false);

    await w.find("[data-test=activate-again]").setValue("my own password");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=activate-error]").text()).toBe("请求有误：动态验证码不正确，请核对验证器后重试");
    // The code was spent.
    expect((w.find("[data-test=activate-code]").element as HTMLInputElement).value).toBe("");

    await w.find("[data-test=activate-code]").setValue("654321");
    await w.find("form").trigger("submit");
    await flushPromises();
    const sent = seen.filter((s) => s.url === "/console/api/activate");
    expect(sent[1].body).toEqual({ login: "zhang.wei", code: CODE, password: "my own password", totp: "654321" });
    expect(account.value).toEqual(zhang);
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe("/"), ROUTED);
    w.unmount();
  });

  it("says so when the code was used meanwhile, and offers the form no more", async () => {
    fakeStation((_m, url) =>
      url === "/console/api/activation"
        ? answer(200, shown)
        : answer(400, { code: "bad_activation", message: "激活链接无效、已使用或已过期，请联系管理员重新生成" }),
    );
    const { w } = await open(`/activate#login=zhang.wei&code=${CODE}`);
    await w.find("[data-test=activate-password]").setValue("my own password");
    await w.find("[data-test=activate-again]").setValue("my own password");
    await w.find("[data-test=activate-code]").setValue("123456");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=activate-link-error]").text()).toBe("激活链接无效、已使用或已过期，请联系管理员重新生成");
    expect(w.find("form").exists()).toBe(false);
    w.unmount();
  });

  it("says why a link opens nothing", async () => {
    fakeStation(() =>
      answer(400, { code: "bad_activation", message: "激活链接无效、已使用或已过期，请联系管理员重新生成" }),
    );
    const { w } = await open(`/activate#login=zhang.wei&code=${CODE}`);
    expect(w.find("[data-test=activate-link-error]").text()).toBe("激活链接无效、已使用或已过期，请联系管理员重新生成");
    expect(w.find("form").exists()).toBe(false);
    w.unmount();
    const seen = fakeStation(() => answer(500, {}));
    const { w: bare } = await open("/activate");
    expect(bare.find("[data-test=activate-link-error]").text()).toBe("激活链接不完整，请向管理员核对");
    expect(seen).toEqual([]);
    bare.unmount();
  });
});
