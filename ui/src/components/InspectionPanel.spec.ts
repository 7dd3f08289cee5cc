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
      signOffNote: (...a: unknown[]) => signOffNote(...a),
    },
  };
});

import InspectionPanel from "./InspectionPanel.vue";
import { ApiError } from "../api";
import type { RecordGate } from "../recordGate";

const officer = (id: string, name: string): Person => ({ id, name, role: "enforcement_officer", cert_no: "1", squad: "一中队" });
const two = [officer("li.ming", "李明"), officer("wang.fang", "王芳")];
const draft = (signoff: unknown, present = true, corrects: string | null = null) => ({
  live: {
    id: "r1",
    body: {
      kind: "inspection", place: { address: "景华路88号", grid: "JX" }, started_at: 0, ended_at: null,
      officers: [], party_notified: true, party_present: present, found: "", outcome: null,
    },
    signoff,
    corrects,
  },
  seal: null,
});
const mountPanel = (signedIn: Person[], gate?: RecordGate) =>
  mount(InspectionPanel, { props: { caseId: "c1", signedIn, gate }, global: { plugins: [makeI18n(), Button] } });

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
    records.mockResolvedValue([draft({ by: "officers_note", note: "当事人拒绝签名", party_did_not_sign: "refused" })]);
    await w.find(".note-refusal").trigger("click");
    await flushPromises();
    // The party was there: they refused. What the form says of attendance is saved first.
    expect(signOffNote).toHaveBeenCalledWith("c1", "r1", "当事人拒绝签名", "refused");
    expect(updateInspection.mock.invocationCallOrder[0]).toBeLessThan(signOffNote.mock.invocationCallOrder[0]);
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

  it("takes the party's absence from the form: no party signature, and the note says absent", async () => {
    signOffNote.mockReset();
    updateInspection.mockReset();
    records.mockResolvedValue([draft(null)]);
    const w = mountPanel(two);
    await flushPromises();
    expect(w.find(".party-signs").exists()).toBe(true);
    await w.find("input.present").setValue(false);
    expect(w.find(".party-signs").exists()).toBe(false);
    expect(w.find(".witness-signs").exists()).toBe(true);
    expect(w.find(".why-fixed").text()).toContain("当事人不在场");
    await w.find("input.refusal-note").setValue("当事人经通知未到场，现场无见证人");
    await w.find(".note-refusal").trigger("click");
    await flushPromises();
    expect(updateInspection).toHaveBeenCalledWith("c1", "r1", expect.objectContaining({ party_present: false }));
    expect(signOffNote).toHaveBeenCalledWith("c1", "r1", "当事人经通知未到场，现场无见证人", "absent");
  });

  it("offers nothing to write where the act would be refused, and says why", async () => {
    const why = "案件当前处于“结案”阶段：笔录只能在调查取证阶段制作，调查终结后、结案前只能制作更正笔录。";
    records.mockResolvedValue([]);
    const closed = mountPanel(two, { records: false, corrections: false, why });
    await flushPromises();
    expect(closed.find(".start-inspection").exists()).toBe(false);
    expect(closed.find(".gate-hint").text()).toBe(why);
    // A record begun in the investigation is not finished after it; a correction is.
    records.mockResolvedValue([draft(null)]);
    const after = mountPanel(two, { records: false, corrections: true, why: "只能制作更正笔录" });
    await flushPromises();
    expect(after.find(".seal").exists()).toBe(false);
    expect(after.find(".gate-hint").exists()).toBe(true);
    records.mockResolvedValue([draft(null, true, "r0")]);
    const fix = mountPanel(two, { records: false, corrections: true, why: "只能制作更正笔录" });
    await flushPromises();
    expect(fix.find(".seal").exists()).toBe(true);
    expect(fix.find(".gate-hint").exists()).toBe(false);
  });
});
