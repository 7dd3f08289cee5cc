import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { caseDetail, head, leader, step, officer, reviewer } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import DiscussionPanel from "./DiscussionPanel.vue";

const reviewed = () =>
  caseDetail("legal_reviewed", [step("collective_discussion"), step("decide", "重大、复杂案件或较重处罚须先经集体讨论"), step("extend_deadline")], {
    state: { legal_review_passed: true, major: true },
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(DiscussionPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("DiscussionPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to the head only", () => {
    for (const p of [officer, leader, reviewer]) {
      expect(mountPanel(reviewed(), [p]).find(".discussion-panel").exists()).toBe(false);
    }
    expect(mountPanel(reviewed(), [head]).find(".discussion-panel").exists()).toBe(true);
    expect(mountPanel(caseDetail("legal_reviewed", [step("decide")]), [head]).find(".discussion-panel").exists()).toBe(false);
  });

  it("needs three participants and records their names, opinions and conclusion", async () => {
    const w = mountPanel(reviewed(), [head]);
    const names = w.findAll("input.participant");
    expect((names[0].element as HTMLInputElement).value).toBe("周正");
    await names[1].setValue("孙法");
    await w.find("textarea.opinions").setValue("同意从重处罚");
    await w.find("textarea.conclusion").setValue("按拟处罚意见作出决定");
    expect(w.find(".send-discussion").attributes("disabled")).toBeDefined();
    await names[2].setValue("孙法");
    expect(w.find(".send-discussion").attributes("disabled")).toBeDefined();
    await w.find(".add-participant").trigger("click");
    await w.findAll("input.participant")[3].setValue("  刘建国 ");
    await w.find(".send-discussion").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "collective_discussion",
      participants: ["周正", "孙法", "刘建国"],
      opinions: "同意从重处罚",
      conclusion: "按拟处罚意见作出决定",
    });
  });
});
