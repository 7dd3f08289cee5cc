import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, NavBar } from "vant";
import { makeI18n } from "../i18n";

const registerCase = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      catalogue: async () => [
        { code: "transport", name: "交通管理", violations: [{ code: "transport.road_occupation", name: "侵占城市道路" }] },
      ],
      registerCase: (c: unknown) => registerCase(c),
    },
  };
});

import NewCase from "./NewCase.vue";

const li = { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" };

describe("NewCase", () => {
  // Vant's nav bar measures itself on a timer after mounting; fake timers run it while the test's
  // window still exists, not after the file's environment is gone.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("says what is missing, then registers the case", async () => {
    const w = mount(NewCase, { props: { registrar: li }, global: { plugins: [makeI18n(), Button, NavBar] } });
    await flushPromises();
    expect(w.text()).toContain("登记人：李明");
    await w.find("form").trigger("submit");
    expect(w.find("[role=alert]").text()).toBe("请填写违法类型");
    await w.find("select.violation").setValue("transport.road_occupation");
    await w.find("input.address").setValue(" 景华路88号 ");
    await w.find("input.grid").setValue("JX-02");
    await w.find("textarea.summary").setValue("占道堆放货物");
    registerCase.mockResolvedValue("case-1");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(registerCase).toHaveBeenCalledWith(
      expect.objectContaining({ violation: "transport.road_occupation", address: "景华路88号", parties: [] }),
    );
    expect(w.emitted("created")?.[0]).toEqual(["case-1"]);
  });

  it("takes a complaint's complainant and contact, and refuses it without the complainant", async () => {
    const w = mount(NewCase, { props: { registrar: li }, global: { plugins: [makeI18n(), Button, NavBar] } });
    await flushPromises();
    await w.find("select.source").setValue("complaint");
    await w.find("select.violation").setValue("transport.road_occupation");
    await w.find("input.address").setValue("景华路88号");
    await w.find("input.grid").setValue("JX-02");
    await w.find("textarea.summary").setValue("群众投诉占道");
    await w.find("form").trigger("submit");
    expect(w.find("[role=alert]").text()).toBe("请填写投诉举报人");
    await w.find("input.from").setValue("王先生");
    await w.find("input.contact").setValue("138xxxx0000");
    await w.find("input.hotline").setValue(true);
    registerCase.mockResolvedValue("case-2");
    await w.find("form").trigger("submit");
    await flushPromises();
    expect(registerCase).toHaveBeenLastCalledWith(
      expect.objectContaining({
        source: { kind: "complaint", complainant: "王先生", contact: "138xxxx0000", via_12319: true },
        gps: null,
      }),
    );
  });
});
