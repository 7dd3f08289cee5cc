import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, head, leader, officer, state, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import ClosingPanel from "./ClosingPanel.vue";

const DAY = 86_400_000;
const fined = { discretion: "standard" as const, penalties: [{ kind: "fine" as const, yuan: 500 }], summary_procedure: false };
const executed = (steps = [step("close"), step("disclose")], over = {}) =>
  detail({
    status: "executed",
    steps,
    state: state({ status: "executed", decision: fined, decided_at: Date.UTC(2026, 10, 2, 2), delivered_at: Date.UTC(2026, 10, 3, 2), ...over }),
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(ClosingPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("ClosingPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("lets a leader close an executed case with the report the record suggests", async () => {
    expect(mountPanel(executed(), [officer]).find(".closing").exists()).toBe(false);
    expect(mountPanel(executed(), [assistant]).find(".closing").exists()).toBe(false);
    const w = mountPanel(executed(), [leader]);
    const report = (w.find(".report").element as HTMLTextAreaElement).value;
    expect(report).toContain("2026-11-02作出处罚决定（罚款人民币500元）");
    expect(report).toContain("已执行完毕");
    await w.find(".report").setValue("执行完毕，报请结案。");
    await w.find(".close-case").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "close", report: "执行完毕，报请结案。" });
  });

  it("does not close a complaint's case before the complainant is told", () => {
    const w = mountPanel(executed([step("close"), step("inform_complainant")]), [leader]);
    expect(w.text()).toContain("须先告知投诉举报人处理结果");
    expect(w.find(".close-case").attributes("disabled")).toBeDefined();
  });

  it("lets only the head record that the decision was revoked", async () => {
    expect(mountPanel(executed(), [leader]).find(".revoke").exists()).toBe(false);
    expect(mountPanel(executed([], { revoked_at: 5 * DAY }), [head]).find(".revoke").exists()).toBe(false);
    const w = mountPanel(executed([]), [head]);
    // Folded: an exception, not the case's next step.
    expect(w.find(".revoke-decision").exists()).toBe(false);
    await w.find(".revoke .act-toggle").trigger("click");
    await w.find(".authority").setValue("洛阳市人民政府");
    await w.find(".revoke-reason").setValue("行政复议决定书（洛政复决〔2026〕12号）");
    await w.find(".revoke-decision").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "revoke_decision",
      authority: "洛阳市人民政府",
      reason: "行政复议决定书（洛政复决〔2026〕12号）",
    });
  });
});
