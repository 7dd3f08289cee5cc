import { describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { Person } from "../api";

const records = vi.fn();
const startInspection = vi.fn();
const updateInspection = vi.fn();
const sealRecord = vi.fn();
const signOffNote = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      records: () => records(),
      startInspection: (id: string) => startInspection(id),
      updateInspection: (id: string, r: string, e: unknown) => updateInspection(id, r, e),
      sealRecord: (id: string, r: string) => sealRecord(id, r),
      signOffNote: (id: string, r: string, n: string) => signOffNote(id, r, n),
    },
  };
});

import InspectionPanel from "./InspectionPanel.vue";
import { ApiError } from "../api";

const officer = (id: string, name: string): Person => ({ id, name, role: "enforcement_officer", cert_no: "1", squad: "一中队" });
const two = [officer("li.ming", "李明"), officer("wang.fang", "王芳")];
const draft = (signoff: unknown) => ({
  live: {
    id: "r1",
    body: {
      kind: "inspection", place: { address: "景华路88号", grid: "JX" }, started_at: 0, ended_at: null,
      officers: [], party_notified: true, party_present: true, found: "", outcome: null,
    },
    signoff,
  },
  seal: null,
});
const mountPanel = (signedIn: Person[]) =>
  mount(InspectionPanel, { props: { caseId: "c1", signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("InspectionPanel", () => {
  it("needs two officers to start an inspection", async () => {
    records.mockResolvedValue([]);
    const one = mountPanel(two.slice(0, 1));
    await flushPromises();
    expect(one.text()).toContain("现场检查须由两名执法人员进行");
    const w = mountPanel(two);
    await flushPromises();
    startInspection.mockResolvedValue("r1");
    await w.find(".start-inspection").trigger("click");
    await flushPromises();
    expect(startInspection).toHaveBeenCalledWith("c1");
  });

  it("notes a refusal, then seals; what is missing is said in Chinese", async () => {
    records.mockResolvedValue([draft(null)]);
    const w = mountPanel(two);
    await flushPromises();
    await w.find("textarea.found-input").setValue("店外占道堆放货物");
    await w.find("input.refusal-note").setValue("当事人拒绝签名");
    signOffNote.mockResolvedValue(undefined);
    records.mockResolvedValue([draft({ by: "officers_note", note: "当事人拒绝签名" })]);
    await w.find(".note-refusal").trigger("click");
    await flushPromises();
    expect(signOffNote).toHaveBeenCalledWith("c1", "r1", "当事人拒绝签名");
    expect(w.text()).toContain("已注明当事人拒签");
    sealRecord.mockRejectedValueOnce(new ApiError("record_incomplete", "笔录不完整：缺少处理方式"));
    await w.find(".seal").trigger("click");
    await flushPromises();
    expect(updateInspection).toHaveBeenLastCalledWith(
      "c1",
      "r1",
      expect.objectContaining({ finished: true, found: "店外占道堆放货物" }),
    );
    expect(w.find("[role=alert]").text()).toBe("笔录不完整：缺少处理方式");
  });
});
