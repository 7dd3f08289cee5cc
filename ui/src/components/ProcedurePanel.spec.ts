import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { procedureOf } from "../procedure";
import { caseDetail, head, step, officer } from "./acts.fixture";
import ProcedurePanel from "./ProcedurePanel.vue";

const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(ProcedurePanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n()] } });
const states = (d: CaseDetail) => Object.fromEntries(procedureOf(d).stages.map((s) => [s.key, s.state]));

describe("ProcedurePanel", () => {
  it("shows the general procedure done up to the notice, with the statement current", () => {
    const d = caseDetail("notified", [step("hear_statement"), step("legal_review", "当事人陈述申辩或放弃（期限至2026-12-04）")], {
      state: { notice: { at: 0, hearing_offered: false, proposal: null } },
    });
    const w = mountPanel(d, [officer]);
    expect(w.find(".path").text()).toBe("一般程序");
    const stage = (k: string) => w.find(`[data-stage=${k}]`);
    for (const k of ["registered", "filed", "investigating", "concluded", "notified"]) {
      expect(stage(k).attributes("data-state")).toBe("done");
    }
    expect(stage("statement").attributes("data-state")).toBe("current");
    expect(stage("statement").attributes("aria-current")).toBe("step");
    expect(stage("review").attributes("data-state")).toBe("todo");
    expect(stage("discussion").text()).toContain("如需");
    expect(stage("disclosed").attributes("data-state")).toBe("todo");
  });

  it("lists the next steps with who does each in Chinese and what is missing", () => {
    const d = caseDetail("notified", [step("hear_statement"), step("legal_review", "当事人陈述申辩或放弃（期限至2026-12-04）")]);
    const w = mountPanel(d, [officer]);
    const statement = w.find("[data-act=hear_statement]");
    expect(statement.text()).toContain("陈述申辩及复核");
    expect(statement.text()).toContain("办理：执法队员、中队长、负责人");
    expect(statement.text()).toContain("可以办理");
    expect(statement.text()).toContain("本机已登录人员可办理");
    const review = w.find("[data-act=legal_review]");
    expect(review.text()).toContain("办理：法制审核员");
    expect(review.text()).toContain("尚缺：当事人陈述申辩或放弃（期限至2026-12-04）");
    expect(review.text()).not.toContain("本机已登录人员可办理");
  });

  it("needs collective discussion when the reviewer marked the case major, and shows acts done late", () => {
    const d = caseDetail("legal_reviewed", [step("collective_discussion"), step("decide", "须先经集体讨论")], {
      state: {
        major: true,
        notice: { at: 0, hearing_offered: false, proposal: null },
        statement_heard: true,
        late: [{ kind: { kind: "preservation", notice: "n1" }, due: Date.UTC(2026, 10, 8, 15, 59), done_at: 0, reason: "物品清点" }],
      },
    });
    expect(states(d).discussion).toBe("current");
    const w = mountPanel(d, [head]);
    expect(w.find("[data-stage=discussion]").text()).not.toContain("如需");
    expect(w.find(".late").text()).toContain("逾期办理：先行登记保存处理（2026-11-08 到期，理由：物品清点）");
  });

  it("skips the discussion a decided case did not need, and execution for a warning", () => {
    const d = caseDetail("closed", [], {
      state: {
        notice: { at: 0, hearing_offered: false, proposal: null },
        statement_heard: true,
        decision: { discretion: "lighter", penalties: [{ kind: "warning" }], summary_procedure: false },
      },
    });
    const s = states(d);
    expect(s.discussion).toBe("skipped");
    expect(s.executed).toBe("skipped");
    expect(s.closed).toBe("done");
    expect(s.disclosed).toBe("current");
    expect(mountPanel(d, [head]).find(".none").text()).toBe("本案当前没有待办事项");
  });

  it("follows the 721 path, the summary procedure, a transfer and a refusal to file", () => {
    const correcting = caseDetail("correcting", [step("follow_up")], { state: { correct_by: 1 } });
    expect(procedureOf(correcting).path).toBe("light");
    expect(states(correcting)).toEqual({ registered: "done", correcting: "done", follow_up: "current", handled: "todo" });
    expect(states(caseDetail("handled", []))).toEqual({ registered: "done", advised: "done", handled: "done" });
    const summary = caseDetail("delivered", [], {
      state: { decision: { discretion: "standard", penalties: [{ kind: "fine", yuan: 100 }], summary_procedure: true } },
    });
    expect(procedureOf(summary).path).toBe("summary");
    expect(states(summary)).toMatchObject({ summary: "done", executed: "current" });
    expect(procedureOf(caseDetail("transferred", [])).path).toBe("transferred");
    expect(states(caseDetail("not_filed", [], { state: { filed_at: null } }))).toEqual({ registered: "done", not_filed: "done" });
  });

  it("shows 已处置 and 责令改正 as statuses", () => {
    const i18n = makeI18n();
    expect(i18n.global.t("status.handled")).toBe("已处置");
    expect(i18n.global.t("status.correcting")).toBe("责令改正");
  });
});
