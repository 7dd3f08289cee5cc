import { describe, expect, it } from "vitest";
import { makeI18n } from "./i18n";
import type { CaseDetail, Person } from "./api";
import { recordGate } from "./recordGate";

const t = makeI18n().global.t as unknown as (k: string, n?: Record<string, unknown>) => string;
const person = (id: string, name: string, role = "enforcement_officer", squad = "一中队"): Person => ({
  id, name, role, cert_no: "1", squad,
});
const li = person("li.ming", "李明");
const wang = person("wang.fang", "王芳");
const detail = (status: string, recused: string[] = []): CaseDetail =>
  ({
    row: { status },
    team: [{ id: "li.ming", name: "李明" }, { id: "wang.fang", name: "王芳" }],
    state: { recused },
  }) as unknown as CaseDetail;

describe("recordGate", () => {
  it("lets the team write records while the case is investigated", () => {
    expect(recordGate(detail("investigating"), [li, wang], t)).toEqual({ records: true, corrections: true, why: "" });
  });

  it("after the investigation, only corrections until the case is closed; none on a closed case", () => {
    const g = recordGate(detail("decided"), [li, wang], t);
    expect(g.records).toBe(false);
    expect(g.corrections).toBe(true);
    expect(g.why).toContain("只能制作更正笔录");
    for (const status of ["closed", "disclosed", "registered", "filed", "not_filed", "transferred"]) {
      const c = recordGate(detail(status), [li, wang], t);
      expect(c.records || c.corrections).toBe(false);
      expect(c.why).toContain("笔录只能在调查取证阶段制作");
    }
    expect(recordGate(detail("closed"), [li, wang], t).why).toContain("“结案”阶段");
  });

  it("refuses anyone signed in who is not on the team, the squad leader and other squads included", () => {
    for (const other of [person("liu.jianguo", "刘建国", "squad_leader"), person("zhao.qiang", "赵强", "enforcement_officer", "二中队")]) {
      const g = recordGate(detail("investigating"), [li, other], t);
      expect(g.records || g.corrections).toBe(false);
      expect(g.why).toBe(`${other.name}不是本案的调查人员，不能制作或签署本案笔录（本案调查人员：李明、王芳）。`);
    }
  });

  it("refuses a recused officer", () => {
    const g = recordGate(detail("investigating", ["wang.fang"]), [li, wang], t);
    expect(g.records).toBe(false);
    expect(g.why).toContain("王芳已申请回避");
  });
});
