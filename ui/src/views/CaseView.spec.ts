import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { NavBar } from "vant";
import { makeI18n } from "../i18n";

const caseRecord = vi.fn();
const evidence = vi.fn((): unknown[] => []);
const footageLinks = vi.fn((): unknown => ({ acts: [], proposed: {} }));
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      caseDetail: async () => ({
        row: {
          status: "registered",
          domain_name: "交通管理",
          violation_name: "侵占城市道路",
          deadlines: [{ kind: { kind: "preservation", notice: "n1" }, due: Date.UTC(2026, 10, 30, 4), urgency: "due_soon" }],
        },
        header: { summary: "占道堆放货物", squad: "一中队", location: { address: "景华路88号", grid: "JX" } },
        source_zh: "自主发现",
        registered_by_name: "李明",
        events: [],
        set_aside: { entries: 2, reason: "王芳的证书已被吊销" },
      }),
      caseRecord: () => caseRecord(),
      evidence: async () => evidence(),
      footageLinks: async () => footageLinks(),
      // The 回避 panel lists the people an officer may recuse.
      people: async () => [],
      // No act yet, so no 执法文书.
      caseDocuments: async () => [],
    },
  };
});

import CaseView from "./CaseView.vue";
import { Button, Tag } from "vant";
import type { Person } from "../api";

const officer = { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" };
const mountView = (signedIn: Person[]) =>
  mount(CaseView, { props: { id: "case-1", signedIn }, global: { plugins: [makeI18n(), NavBar, Button, Tag] } });

const item = { no: 1, section_zh: "立案材料", title: "案件登记", time: 0, signers: ["李明"], device: "d", seq: 1 };

describe("CaseView", () => {
  // Vant's nav bar measures itself on a timer after mounting; fake timers run it while the test's
  // window still exists, not after the file's environment is gone.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("shows the whole-process record and that it verifies", async () => {
    caseRecord.mockResolvedValue({ items: [item], verified: true, problems: [] });
    const w = mountView([officer]);
    await flushPromises();
    expect(w.text()).toContain("登记人 李明 · 自主发现");
    expect(w.text()).toContain("完整、未被篡改");
    expect(w.find(".deadlines").text()).toContain("先行登记保存处理：2026-11-30 前");
    // Records the station refused and an officer set aside are said, not hidden.
    expect(w.find("[data-test=case-set-aside]").text()).toContain("2 条关于本案的记录未被基站采纳，已搁置（王芳的证书已被吊销）");
    expect(w.find(".deadlines").text()).toContain("即将到期");
    expect(w.find(".timeline").text()).toContain("案件登记");
    expect(w.find(".timeline").text()).toContain("签名：李明");
  });

  it("shows a recording beside the acts it went with, at its time", async () => {
    const at = Date.UTC(2026, 11, 2, 1, 0);
    caseRecord.mockResolvedValue({
      items: [
        { ...item, time: at - 60_000 },
        { ...item, no: 2, title: "询问笔录 封存", time: at + 20 * 60_000 },
      ],
      verified: true,
      problems: [],
    });
    evidence.mockReturnValue([
      {
        facts: { id: "ev-r", kind: "audio", description: "询问赵强同步录音", file_name: "x.m4a", span: { from: at, to: at + 12 * 60_000 }, covers: ["t1"] },
        signatures: [],
        links: [{ acts: ["e1"], by: { person: "li.ming", name: "李明", cert_no: "1" }, at }],
      },
      { facts: { id: "ev-p", kind: "photo", description: "照片", file_name: "p.jpg" }, signatures: [] },
    ]);
    footageLinks.mockReturnValue({
      acts: [
        { id: "t1", title: "询问笔录（赵强）", from: at, to: at + 20 * 60_000 },
        { id: "e1", title: "送达", from: at + 60_000, to: at + 60_000 },
      ],
      proposed: {},
    });
    const w = mountView([officer]);
    await flushPromises();
    const rows = w.findAll(".timeline .item").map((r) => r.text());
    expect(rows[1]).toContain("记录：询问笔录（赵强）、送达");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain("2026-12-02 09:00–09:12");
    expect(rows[1]).toContain("录音 · 询问赵强同步录音");
    expect(rows[1]).toContain("录制 12:00");
    expect(rows[2]).toContain("询问笔录 封存");
    evidence.mockReturnValue([]);
  });

  it("says plainly what is wrong", async () => {
    caseRecord.mockResolvedValue({ items: [item], verified: false, problems: ["第2条记录签名无效"] });
    const w = mountView([officer]);
    await flushPromises();
    expect(w.text()).toContain("校验发现问题");
    expect(w.find("[role=alert]").text()).toContain("第2条记录签名无效");
  });
});
