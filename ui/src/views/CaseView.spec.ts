import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { NavBar } from "vant";
import { makeI18n } from "../i18n";

const caseRecord = vi.fn();
const recordAct = vi.fn();
const status = { value: "registered" };
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      caseDetail: async () => ({
        row: { status: status.value, domain_name: "交通管理", violation_name: "侵占城市道路" },
        header: { summary: "占道堆放货物", squad: "一中队", location: { address: "景华路88号", grid: "JX" } },
        source_zh: "自主发现",
        registered_by_name: "李明",
      }),
      caseRecord: () => caseRecord(),
      recordAct: (id: string, act: unknown) => recordAct(id, act),
      people: async () => [
        { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" },
        { id: "wang.fang", name: "王芳", role: "enforcement_officer", cert_no: "2", squad: "一中队" },
        { id: "zhao.qiang", name: "赵强", role: "enforcement_officer", cert_no: "3", squad: "二中队" },
      ],
    },
  };
});

import CaseView from "./CaseView.vue";
import { Button } from "vant";
import type { Person } from "../api";

const leader = { id: "liu.jianguo", name: "刘建国", role: "squad_leader", cert_no: "9", squad: "一中队" };
const officer = { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" };
const mountView = (signedIn: Person[]) =>
  mount(CaseView, { props: { id: "case-1", signedIn }, global: { plugins: [makeI18n(), NavBar, Button] } });

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
    expect(w.find(".timeline").text()).toContain("案件登记");
    expect(w.find(".timeline").text()).toContain("签名：李明");
  });

  it("says plainly what is wrong", async () => {
    caseRecord.mockResolvedValue({ items: [item], verified: false, problems: ["第2条记录签名无效"] });
    const w = mountView([officer]);
    await flushPromises();
    expect(w.text()).toContain("校验发现问题");
    expect(w.find("[role=alert]").text()).toContain("第2条记录签名无效");
  });

  it("lets a squad leader approve filing, and only a leader", async () => {
    status.value = "registered";
    caseRecord.mockResolvedValue({ items: [item], verified: true, problems: [] });
    expect(mountView([officer]).find(".review").exists()).toBe(false);
    const w = mountView([leader]);
    await flushPromises();
    recordAct.mockResolvedValue(undefined);
    await w.find(".approve").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "file" });
  });

  it("assigns two officers of the case's squad to investigate", async () => {
    status.value = "filed";
    caseRecord.mockResolvedValue({ items: [item], verified: true, problems: [] });
    const w = mountView([leader]);
    await flushPromises();
    expect(w.find("[data-member=zhao\\.qiang]").exists()).toBe(false);
    expect(w.find(".start").attributes("disabled")).toBeDefined();
    await w.find("[data-member=li\\.ming]").setValue(true);
    await w.find("[data-member=wang\\.fang]").setValue(true);
    await w.find(".start").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenLastCalledWith("case-1", {
      act: "start_investigation",
      team: ["li.ming", "wang.fang"],
    });
  });
});
