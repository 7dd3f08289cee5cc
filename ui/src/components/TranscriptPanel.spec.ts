import { describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { Person } from "../api";

const records = vi.fn();
const evidence = vi.fn(async () => [] as unknown[]);
const closePage = vi.fn();
const startQuestioning = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      records: () => records(),
      evidence: () => evidence(),
      closePage: (...a: unknown[]) => closePage(...a),
      startQuestioning: (...a: unknown[]) => startQuestioning(...a),
    },
  };
});

import TranscriptPanel from "./TranscriptPanel.vue";

const officer = (id: string): Person => ({ id, name: id, role: "enforcement_officer", cert_no: "1", squad: "一中队" });
const two = [officer("li.ming"), officer("wang.fang")];
const transcript = (signature: unknown) => ({
  live: {
    id: "r1",
    body: {
      kind: "questioning", interviewee: { name: "张三", capacity: "当事人" }, location: "", ended_at: null,
      officers: [], rights_acknowledged: true,
      pages: [{ qa: [{ question: "是否经营者？", answer: "是。" }], signature }],
    },
    signoff: null,
  },
  seal: null,
});
const mountPanel = (signedIn = two, gate?: { records: boolean; corrections: boolean; why: string }) =>
  mount(TranscriptPanel, { props: { caseId: "c1", signedIn, gate }, global: { plugins: [makeI18n(), Button] } });

describe("TranscriptPanel", () => {
  it("asks for the page's signature and notes a refusal on that page", async () => {
    records.mockResolvedValue([transcript(null)]);
    const w = mountPanel();
    await flushPromises();
    expect(w.find(".page-state.open").text()).toBe("待被询问人签名");
    expect(w.text()).toContain("被询问人在第 1 页签名");
    await w.find("input.page-refusal").setValue("拒绝签名");
    records.mockResolvedValue([transcript({ by: "refused", note: "拒绝签名" })]);
    await w.find(".refuse-page").trigger("click");
    await flushPromises();
    expect(closePage).toHaveBeenCalledWith("c1", "r1", 1, new Uint8Array(), "拒绝签名");
    expect(w.text()).toContain("已注明拒签：拒绝签名");
  });

  it("offers the questioning's 同步录音 and places each page's signature in the recording", async () => {
    const from = Date.UTC(2026, 11, 2, 1, 0);
    records.mockResolvedValue([transcript({ by: "signed", at: from + 90_000 })]);
    evidence.mockResolvedValue([
      { facts: { id: "ev-r", kind: "audio", span: { from, to: from + 12 * 60_000 + 5_000 }, covers: ["r1"] }, signatures: [] },
    ]);
    const w = mountPanel();
    await flushPromises();
    expect(w.find(".recorded").text()).toContain("同步录音 2026-12-02 09:00–09:12（12:05）");
    expect(w.find(".page-state").text()).toContain("签名于录音 01:30 处");
    expect(w.find(".recorder .start-recording").text()).toContain("开始同步录音");
    evidence.mockResolvedValue([]);
  });

  it("starts only with the interviewee's name, telling them their rights", async () => {
    records.mockResolvedValue([]);
    const one = mountPanel(two.slice(0, 1));
    await flushPromises();
    expect(one.text()).toContain("询问须由两名执法人员进行");
    expect(one.find(".start-questioning").exists()).toBe(false);
    const w = mountPanel();
    await flushPromises();
    expect(w.text()).toContain("有申请执法人员回避的权利");
    expect(w.find(".start-questioning").attributes("disabled")).toBeDefined();
    await w.find("input.interviewee").setValue("张三");
    await w.find("input.rights").setValue(true);
    await w.find("form.start").trigger("submit");
    await flushPromises();
    expect(startQuestioning).toHaveBeenCalledWith("c1", "张三", "当事人", true);
  });

  it("offers no questioning and no page signature where records are refused, and says why", async () => {
    const why = "王芳已申请回避，不得参与本案，不能制作或签署本案笔录。";
    records.mockResolvedValue([]);
    const w = mountPanel(two, { records: false, corrections: false, why });
    await flushPromises();
    expect(w.find("form.start").exists()).toBe(false);
    expect(w.find(".gate-hint").text()).toBe(why);
    records.mockResolvedValue([transcript(null)]);
    const open = mountPanel(two, { records: false, corrections: false, why });
    await flushPromises();
    expect(open.find(".sign-page").exists()).toBe(false);
    expect(open.find(".seal-transcript").exists()).toBe(false);
    expect(open.text()).toContain("是否经营者？");
  });
});
