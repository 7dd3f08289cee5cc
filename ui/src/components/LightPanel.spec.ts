import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, DatePicker } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, leader, officer, reviewer, state, step } from "./acts.fixture";
import { endOfDay } from "../offer";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import LightPanel from "./LightPanel.vue";

const registered = () =>
  detail({ status: "registered", steps: [step("file"), step("advise"), step("order_correction"), step("summary_decision"), step("transfer")] });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(LightPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });
const open = async (w: ReturnType<typeof mountPanel>, css: string) => w.find(`${css} .act-toggle`).trigger("click");

describe("LightPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("lets an assistant advise and dissuade, and order nothing", async () => {
    const w = mountPanel(registered(), [assistant]);
    expect(w.find(".advise").exists()).toBe(true);
    expect(w.find(".order-correction").exists()).toBe(false);
    await open(w, ".advise");
    await w.find(".advice").setValue("劝导摊主将货物移回店内，当场整改");
    await w.find(".send-advice").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "advise", advice: "劝导摊主将货物移回店内，当场整改" });
    // With an officer beside the assistant, the order would carry the assistant's signature too.
    expect(mountPanel(registered(), [officer, assistant]).find(".order-correction").exists()).toBe(false);
    expect(mountPanel(registered(), [reviewer]).find(".order-correction").exists()).toBe(false);
  });

  it("lets an officer order correction by a date picked, ending that day in Beijing", async () => {
    const w = mountPanel(registered(), [officer]);
    await open(w, ".order-correction");
    await w.find(".order").setValue("责令拆除违规设置的户外广告牌");
    await w.find(".correct-by").trigger("click");
    w.findComponent(DatePicker).vm.$emit("confirm", { selectedValues: ["2099", "12", "31"] });
    await flushPromises();
    expect(w.find(".correct-by").text()).toBe("2099-12-31");
    await w.find(".send-order").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "order_correction",
      order: "责令拆除违规设置的户外广告牌",
      correct_by: Date.UTC(2099, 11, 31, 15, 59, 59, 999),
    });
    expect(endOfDay("2099-12-31")).toBe(Date.UTC(2099, 11, 31, 15, 59, 59, 999));
  });

  it("offers the usual periods, and not a day already past", async () => {
    const w = mountPanel(registered(), [officer]);
    await open(w, ".order-correction");
    await w.find(".order").setValue("责令改正");
    await w.find(".in-15").trigger("click");
    await w.find(".send-order").trigger("click");
    await flushPromises();
    const by = recordAct.mock.lastCall![1].correct_by as number;
    expect(by - Date.now()).toBeGreaterThan(14 * 86_400_000);
    expect(by - Date.now()).toBeLessThan(16 * 86_400_000);
    await w.find(".correct-by").trigger("click");
    w.findComponent(DatePicker).vm.$emit("confirm", { selectedValues: ["2020", "01", "01"] });
    await flushPromises();
    expect(w.find(".send-order").attributes("disabled")).toBeDefined();
  });

  it("records the follow-up check once the date has come, for officers only", async () => {
    const correcting = (missing: string | null = null) =>
      detail({ status: "correcting", steps: [step("follow_up", missing)], state: state({ status: "correcting", correct_by: Date.UTC(2026, 11, 8, 15) }) });
    expect(mountPanel(correcting("整改期限届满后复查"), [officer]).find(".follow-up").exists()).toBe(false);
    expect(mountPanel(correcting(), [assistant]).find(".follow-up").exists()).toBe(false);
    expect(mountPanel(correcting(), [leader]).find(".follow-up").exists()).toBe(true);
    const w = mountPanel(correcting(), [officer]);
    expect(w.text()).toContain("改正期限：2026-12-08");
    await w.find(".corrected-no").setValue(true);
    expect(w.text()).toContain("转入立案审批");
    await w.find(".follow-up-note").setValue("广告牌仍未拆除");
    await w.find(".send-follow-up").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "follow_up", corrected: false, note: "广告牌仍未拆除" });
  });
});
