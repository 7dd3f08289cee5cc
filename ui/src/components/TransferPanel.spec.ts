import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, head, leader, officer, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import TransferPanel from "./TransferPanel.vue";

const registered = () => detail({ status: "registered", steps: [step("file"), step("transfer")] });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(TransferPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("TransferPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to leaders only, while the case may still be transferred", () => {
    expect(mountPanel(registered(), [officer]).find(".transfer").exists()).toBe(false);
    expect(mountPanel(registered(), [assistant]).find(".transfer").exists()).toBe(false);
    expect(mountPanel(registered(), [head]).find(".transfer").exists()).toBe(true);
    expect(mountPanel(detail({ status: "decided", steps: [step("deliver")] }), [leader]).find(".transfer").exists()).toBe(false);
  });

  it("sends a suspected crime to the police with the 移送书's content", async () => {
    const w = mountPanel(registered(), [leader]);
    await w.find(".act-toggle").trigger("click");
    await w.find("[data-kind=police]").setValue(true);
    await w.find(".to").setValue("洛阳市公安局西工分局");
    await w.find(".reason").setValue("涉嫌非法经营罪");
    expect(w.find(".send").attributes("disabled")).toBeDefined();
    await w.find(".materials").setValue("现场检查笔录1份、询问笔录2份、照片12张");
    await w.find(".send").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "transfer",
      to: "洛阳市公安局西工分局",
      reason: "涉嫌非法经营罪",
      kind: "police",
      materials: "现场检查笔录1份、询问笔录2份、照片12张",
    });
  });
});
