import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Deadline, Person } from "../api";
import { caseDetail, head, leader, step, officer, reviewer } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import DecidePanel from "./DecidePanel.vue";

const proposal = {
  discretion: "lighter" as const,
  penalties: [{ kind: "warning" as const }, { kind: "fine" as const, yuan: 300 }],
  facts: "当事人在景华路占道经营",
  reasons: "初次违法",
  basis: "依据《城市道路管理条例》第四十二条",
};
const decision = (due: number, urgency: Deadline["urgency"]): Deadline[] => [{ kind: { kind: "decision" }, due, urgency }];
const reviewed = (deadlines: Deadline[] = decision(Date.now() + 30 * 86_400_000, "pending"), missing: string | null = null) =>
  caseDetail("legal_reviewed", [step("decide", missing), step("extend_deadline")], {
    state: { legal_review_passed: true, notice: { at: 0, hearing_offered: false, proposal }, statement_heard: true },
    deadlines,
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(DecidePanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("DecidePanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to the head only, once the case offers the decision", () => {
    for (const p of [officer, leader, reviewer]) {
      expect(mountPanel(reviewed(), [p]).find(".decide-panel").exists()).toBe(false);
    }
    expect(mountPanel(reviewed(), [head]).find(".decide-panel").exists()).toBe(true);
    expect(mountPanel(caseDetail("notified", [step("legal_review")]), [head]).find(".decide-panel").exists()).toBe(false);
  });

  it("prefills the notice's proposal and decides it", async () => {
    const w = mountPanel(reviewed(), [head]);
    expect(w.find(".told").text()).toContain("从轻处罚：警告、罚款 300 元");
    expect(w.find<HTMLInputElement>("[data-penalty=warning]").element.checked).toBe(true);
    expect(w.find<HTMLInputElement>(".fine-yuan").element.value).toBe("300");
    expect(w.find(".late-reason").exists()).toBe(false);
    await w.find("textarea.summary").setValue("当事人占道经营，决定给予警告并处罚款300元");
    await w.find(".send-decision").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "decide",
      discretion: "lighter",
      summary: "当事人占道经营，决定给予警告并处罚款300元",
      penalties: [{ kind: "warning" }, { kind: "fine", yuan: 300 }],
      basis: "依据《城市道路管理条例》第四十二条",
      late_reason: null,
    });
  });

  it("decides no penalty with no penalties", async () => {
    const w = mountPanel(reviewed(), [head]);
    await w.find("[data-level=no_penalty] input").setValue(true);
    expect(w.find(".penalties").exists()).toBe(false);
    await w.find(".send-decision").trigger("click");
    await flushPromises();
    expect(recordAct.mock.calls[0][1]).toMatchObject({ act: "decide", discretion: "no_penalty", penalties: [] });
  });

  it("warns when the fine is heavier than notified", async () => {
    const w = mountPanel(reviewed(), [head]);
    await w.find(".fine-yuan").setValue("450");
    expect(w.find(".heavier").text()).toContain("450");
  });

  it("asks why when the decision deadline has passed, and sends the reason", async () => {
    const w = mountPanel(reviewed(decision(Date.now() - 86_400_000, "overdue")), [head]);
    expect(w.find(".late").exists()).toBe(true);
    expect(w.find(".send-decision").attributes("disabled")).toBeDefined();
    await w.find("textarea.late-reason").setValue("当事人下落不明，送达告知书延误");
    await w.find(".send-decision").trigger("click");
    await flushPromises();
    expect(recordAct.mock.calls[0][1]).toMatchObject({ act: "decide", late_reason: "当事人下落不明，送达告知书延误" });
  });

  it("hides while the decision is blocked (the procedure panel says what is missing)", () => {
    expect(mountPanel(reviewed(undefined, "重大、复杂案件或较重处罚须先经集体讨论"), [head]).find(".decide-panel").exists()).toBe(false);
  });
});
