import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, caseDetail, head, step, officer, reviewer } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import StatementPanel from "./StatementPanel.vue";

const notified = () =>
  caseDetail("notified", [step("hear_statement"), step("legal_review", "当事人陈述申辩或放弃（期限至2026-12-04）")], {
    state: {
      notice: {
        at: 0,
        hearing_offered: false,
        proposal: { discretion: "lighter", penalties: [{ kind: "fine", yuan: 300 }], facts: "占道经营", reasons: "初次", basis: "条例" },
      },
    },
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(StatementPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("StatementPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to the officers after the notice, not to the reviewer or an assistant", () => {
    expect(mountPanel(notified(), [officer]).find(".statement-panel").exists()).toBe(true);
    expect(mountPanel(notified(), [head]).find(".statement-panel").exists()).toBe(true);
    expect(mountPanel(notified(), [reviewer]).find(".statement-panel").exists()).toBe(false);
    expect(mountPanel(notified(), [assistant]).find(".statement-panel").exists()).toBe(false);
    const heard = caseDetail("notified", [step("legal_review")]);
    expect(mountPanel(heard, [officer]).find(".statement-panel").exists()).toBe(false);
  });

  it("shows what the party was told and records the statement with whether it was accepted and why", async () => {
    const w = mountPanel(notified(), [officer]);
    expect(w.find(".told").text()).toContain("从轻处罚：罚款 300 元");
    await w.find("textarea.statement").setValue("  初次经营，已自行清理  ");
    expect(w.find(".send-statement").attributes("disabled")).toBeDefined();
    await w.find("input.accepted").setValue(true);
    await w.find("textarea.reasons").setValue("情况属实，予以采纳");
    await w.find(".send-statement").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "hear_statement",
      waived: false,
      statement: "初次经营，已自行清理",
      accepted: true,
      reasons: "情况属实，予以采纳",
    });
  });

  it("records a rejected statement as not accepted", async () => {
    const w = mountPanel(notified(), [officer]);
    await w.find("textarea.statement").setValue("不服");
    await w.find("input.rejected").setValue(true);
    await w.find("textarea.reasons").setValue("无新的事实和理由");
    await w.find(".send-statement").trigger("click");
    await flushPromises();
    expect(recordAct.mock.calls[0][1]).toMatchObject({ waived: false, accepted: false });
  });

  it("records a waiver without a statement", async () => {
    const w = mountPanel(notified(), [officer]);
    await w.find("textarea.reasons").setValue("写了一半");
    await w.find("input.waived").setValue(true);
    expect(w.find("textarea.statement").exists()).toBe(false);
    await w.find(".send-statement").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "hear_statement",
      waived: true,
      statement: "",
      accepted: false,
      reasons: "",
    });
  });
});
