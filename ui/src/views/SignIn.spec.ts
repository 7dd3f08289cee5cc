import { describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";

const signIn = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      signers: async () => [
        { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" },
        { id: "wang.fang", name: "王芳", role: "enforcement_officer", cert_no: "2", squad: "一中队" },
      ],
      signIn: (person: string, pin: string) => signIn(person, pin),
    },
  };
});

import SignIn from "./SignIn.vue";
import { ApiError } from "../api";

const li = { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" };

describe("SignIn", () => {
  it("signs the chosen officer in with their PIN, and says why not in Chinese", async () => {
    const w = mount(SignIn, { props: { signedIn: [] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.text()).toContain("执法队员 · 一中队");
    await w.find("[data-person=li\\.ming]").trigger("click");
    await w.find("input.pin").setValue("000000");
    signIn.mockRejectedValueOnce(new ApiError("wrong_pin", "PIN 错误，还可尝试 4 次"));
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(w.find("[role=alert]").text()).toBe("PIN 错误，还可尝试 4 次");
    expect(w.find("[role=alert] button").exists()).toBe(false);
    expect((w.find("input.pin").element as HTMLInputElement).value).toBe("");
    signIn.mockResolvedValueOnce([li]);
    await w.find("input.pin").setValue("147258");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(signIn).toHaveBeenLastCalledWith("li.ming", "147258");
    expect(w.emitted("changed")?.[0]).toEqual([[li]]);
  });

  it("offers only the others as the second officer", async () => {
    const w = mount(SignIn, { props: { signedIn: [li] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.text()).toContain("第二名执法人员登录");
    expect(w.find("[data-person=li\\.ming]").exists()).toBe(false);
    expect(w.find("[data-person=wang\\.fang]").exists()).toBe(true);
  });
});
