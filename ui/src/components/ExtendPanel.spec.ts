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

import ExtendPanel from "./ExtendPanel.vue";

const reviewed = (urgency: Deadline["urgency"] = "due_soon", due = Date.now() + 86_400_000) =>
  caseDetail("legal_reviewed", [step("decide"), step("extend_deadline")], {
    state: { legal_review_passed: true },
    deadlines: [{ kind: { kind: "decision" }, due, urgency }],
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(ExtendPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("ExtendPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to the head only", () => {
    for (const p of [officer, leader, reviewer]) {
      expect(mountPanel(reviewed(), [p]).find(".extend-panel").exists()).toBe(false);
    }
    expect(mountPanel(reviewed(), [head]).find(".extend-panel").exists()).toBe(true);
    expect(mountPanel(caseDetail("legal_reviewed", [step("decide")]), [head]).find(".extend-panel").exists()).toBe(false);
  });

  it("extends by at most 60 days with a reason", async () => {
    const w = mountPanel(reviewed(), [head]);
    await w.find("textarea.reason").setValue("案情复杂，需鉴定");
    await w.find("input.days").setValue("61");
    expect(w.find(".send-extension").attributes("disabled")).toBeDefined();
    await w.find("input.days").setValue("45");
    await w.find(".send-extension").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "extend_deadline",
      days: 45,
      reason: "案情复杂，需鉴定",
      late_reason: null,
    });
  });

  it("asks why when the deadline has already passed", async () => {
    const w = mountPanel(reviewed("overdue", Date.now() - 1000), [head]);
    await w.find("textarea.reason").setValue("需鉴定");
    expect(w.find(".send-extension").attributes("disabled")).toBeDefined();
    await w.find("textarea.late-reason").setValue("鉴定机构延迟出具意见");
    await w.find(".send-extension").trigger("click");
    await flushPromises();
    expect(recordAct.mock.calls[0][1]).toMatchObject({ days: 30, late_reason: "鉴定机构延迟出具意见" });
  });
});
