import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, EventView, Person } from "../api";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      recordAct: (id: string, act: unknown) => recordAct(id, act),
      people: async () => [
        { id: "li.ming", name: "李明", role: "enforcement_officer", cert_no: "1", squad: "一中队" },
        { id: "wang.fang", name: "王芳", role: "enforcement_officer", cert_no: "2", squad: "一中队" },
        { id: "zhao.qiang", name: "赵强", role: "enforcement_officer", cert_no: "3", squad: "二中队" },
      ],
    },
  };
});

import ReviewPanel from "./ReviewPanel.vue";
import { caseDetail, head, step } from "./acts.fixture";

const person = (id: string, name: string, role: string): Person => ({ id, name, role, cert_no: "1", squad: "一中队" });
const leader = person("liu.jianguo", "刘建国", "squad_leader");
const officer = person("li.ming", "李明", "enforcement_officer");
const assistant = person("chen.xie", "陈协", "assistant");
const reviewer = person("sun.fa", "孙法", "legal_reviewer");

function detail(status: string, events: EventView[] = []): CaseDetail {
  return {
    row: { status } as CaseDetail["row"],
    header: { id: "case-1", summary: "", squad: "一中队", location: { address: "", grid: "" } },
    source_zh: "自主发现",
    registered_by_name: "李明",
    events,
  };
}
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(ReviewPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("ReviewPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("lets a squad leader approve filing, and only a leader", async () => {
    expect(mountPanel(detail("registered"), [officer]).find(".review").exists()).toBe(false);
    const w = mountPanel(detail("registered"), [leader]);
    await w.find(".approve").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "file" });
    expect(w.emitted("changed")).toHaveLength(1);
  });

  it("returns a filing request only with comments", async () => {
    const w = mountPanel(detail("registered"), [leader]);
    expect(w.find(".return").attributes("disabled")).toBeDefined();
    expect(w.find(".decline").attributes("disabled")).toBeDefined();
    await w.find("textarea").setValue("  请补充现场照片  ");
    await w.find(".return").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "return_filing", comments: "请补充现场照片" });
  });

  it("shows the leader's comments on a returned case and lets an officer, not an assistant, ask again", async () => {
    const back: EventView = {
      id: "e1",
      at: 0,
      act_zh: "退回补充核查",
      act: { act: "return_filing", comments: "请补充现场照片" },
      actors: ["刘建国"],
    };
    const seen = mountPanel(detail("returned", [back]), [assistant]);
    expect(seen.find("[role=note]").text()).toContain("刘建国 退回意见：");
    expect(seen.find("[role=note]").text()).toContain("请补充现场照片");
    expect(seen.find(".resubmit").exists()).toBe(false);
    const w = mountPanel(detail("returned", [back]), [officer]);
    await w.find("textarea").setValue("已补充照片两张");
    await w.find(".resubmit").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "resubmit_filing", note: "已补充照片两张" });
  });

  it("shows a legal reviewer's return while the investigation resumes, and not stale comments", async () => {
    const ev = (id: string, act: EventView["act"], actors: string[]): EventView => ({ id, at: 0, act_zh: "", act, actors });
    const history = [
      ev("e1", { act: "return_filing", comments: "请补充现场照片" }, ["刘建国"]),
      ev("e2", { act: "legal_review", passed: false, opinion: "补充询问笔录" }, ["孙法"]),
    ];
    const w = mountPanel(detail("investigating", history), [officer]);
    expect(w.find("[role=note]").text()).toContain("孙法 退回意见：");
    expect(w.find("[role=note]").text()).not.toContain("请补充现场照片");
    expect(mountPanel(detail("investigating", history.slice(0, 1)), [officer]).find("[role=note]").exists()).toBe(false);
  });

  it("assigns two officers of the case's squad to investigate", async () => {
    const w = mountPanel(detail("filed"), [leader]);
    await flushPromises();
    expect(w.find("[data-member=zhao\\.qiang]").exists()).toBe(false);
    expect(w.find(".start").attributes("disabled")).toBeDefined();
    await w.find("[data-member=li\\.ming]").setValue(true);
    await w.find("[data-member=wang\\.fang]").setValue(true);
    await w.find(".start").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenLastCalledWith("case-1", { act: "start_investigation", team: ["li.ming", "wang.fang"] });
  });

  it("lets officers conclude and the legal reviewer pass or return", async () => {
    const w = mountPanel(detail("investigating"), [officer]);
    await w.find("textarea").setValue("事实清楚");
    await w.find(".conclude").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenLastCalledWith("case-1", { act: "conclude_investigation", summary: "事实清楚" });

    expect(mountPanel(detail("investigation_concluded"), [officer, leader]).find(".review").exists()).toBe(false);
    const r = mountPanel(detail("investigation_concluded"), [reviewer]);
    await r.find("textarea").setValue("证据不足，补充询问笔录");
    await r.find(".return").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenLastCalledWith("case-1", {
      act: "legal_review",
      passed: false,
      opinion: "证据不足，补充询问笔录",
      major: false,
    });
  });

  it("offers the legal review after the notice by next_steps, to the reviewer only, with 重大复杂", async () => {
    const notified = () =>
      caseDetail("notified", [step("legal_review"), step("hear_statement")], {
        state: { notice: { at: 0, hearing_offered: false, proposal: null }, statement_heard: true },
      });
    expect(mountPanel(notified(), [officer, leader, head]).find(".review").exists()).toBe(false);
    const r = mountPanel(notified(), [reviewer]);
    expect(r.find(".hint").exists()).toBe(false);
    await r.find("textarea").setValue("主体适格，程序合法，事实清楚");
    await r.find("[data-major]").setValue(true);
    await r.find(".pass").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenLastCalledWith("case-1", {
      act: "legal_review",
      passed: true,
      opinion: "主体适格，程序合法，事实清楚",
      major: true,
    });
  });

  it("keeps the legal reviewer's returned comments in view while the conclusion is blocked", () => {
    const back: EventView = {
      act: { act: "legal_review", passed: false, opinion: "补充询问笔录", major: false },
      actors: ["孙法"],
    } as unknown as EventView;
    const blocked = caseDetail("investigating", [step("conclude_investigation", "至少两名执法人员的询问笔录")], { events: [back] });
    const w = mountPanel(blocked, [officer]);
    expect(w.find(".review .returned").text()).toContain("补充询问笔录");
    expect(w.find(".conclude").exists()).toBe(false);
    expect(w.find("textarea").exists()).toBe(false);
  });

  it("hides the review while the party's statement period runs (the procedure panel says why)", async () => {
    const d = caseDetail("notified", [step("hear_statement"), step("legal_review", "当事人陈述申辩或放弃（期限至2026-12-04）")]);
    expect(mountPanel(d, [reviewer]).find(".review").exists()).toBe(false);
    // A case that does not offer the review (the notice not yet given) shows nothing to the reviewer.
    expect(mountPanel(caseDetail("investigation_concluded", [step("notify")]), [reviewer]).find(".review").exists()).toBe(false);
  });

  it("says before the notice that a penalty case is reviewed after it", () => {
    const r = mountPanel(caseDetail("investigation_concluded", [step("notify"), step("legal_review")]), [reviewer]);
    expect(r.find(".hint").text()).toContain("应先事先告知");
  });

  it("keeps the panel and says why when the act is refused", async () => {
    const { ApiError } = await import("../api");
    recordAct.mockRejectedValue(new ApiError("rule", "案件当前处于“立案”阶段，不能进行此操作"));
    const w = mountPanel(detail("registered"), [leader]);
    await w.find(".approve").trigger("click");
    await flushPromises();
    expect(w.find("[role=alert]").text()).toContain("不能进行此操作");
    expect(w.emitted("changed")).toBeUndefined();
  });
});
