// Test fixtures for the act panels' specs: people in each role, and a case detail as the Rust
// side gives it (state, next_steps with the roles qc-domain assigns, the catalogue's violation).
import type { CaseDetail, CaseState, NextStep, Person, RoleCode } from "../api";

export const person = (id: string, name: string, role: string, cert_no: string | null = "1"): Person => ({
  id,
  name,
  role,
  cert_no,
  squad: "一中队",
});
export const officer = person("li.ming", "李明", "enforcement_officer");
export const officer2 = person("wang.fang", "王芳", "enforcement_officer", "2");
export const leader = person("liu.jianguo", "刘建国", "squad_leader");
export const reviewer = person("sun.fa", "孙法", "legal_reviewer", null);
export const head = person("zhou.zheng", "周正", "head");
export const assistant = person("chen.xie", "陈协", "assistant", null);

/** Who may do each act (qc-domain ActKind::signers). */
export const ROLES: Record<string, RoleCode[]> = {
  officers: ["enforcement_officer", "squad_leader", "head"],
  leaders: ["squad_leader", "head"],
  reviewer: ["legal_reviewer"],
  hearing: ["legal_reviewer", "head"],
  head: ["head"],
};
const ACT_ROLES: Record<string, RoleCode[]> = {
  conclude_investigation: ROLES.officers,
  notify: ROLES.officers,
  hear_statement: ROLES.officers,
  request_hearing: ROLES.officers,
  hold_hearing: ROLES.hearing,
  legal_review: ROLES.reviewer,
  collective_discussion: ROLES.head,
  decide: ROLES.head,
  extend_deadline: ROLES.head,
  deliver: ROLES.officers,
  transfer: ROLES.leaders,
};
const ZH: Record<string, string> = {
  conclude_investigation: "调查终结",
  notify: "事先告知",
  hear_statement: "陈述申辩及复核",
  request_hearing: "听证申请",
  hold_hearing: "听证",
  legal_review: "法制审核",
  collective_discussion: "集体讨论",
  decide: "作出决定",
  extend_deadline: "延长办案期限",
  deliver: "送达",
  transfer: "案件移送",
};

/** A next step as the case view lists it. */
export const next = (act: string, missing: string | null = null): NextStep =>
  ({ act, zh: ZH[act] ?? act, roles: ACT_ROLES[act] ?? ROLES.officers, missing }) as NextStep;

export const baseState = (): CaseState => ({
  status: "investigation_concluded",
  filed_at: 0,
  decided_at: null,
  delivered_at: null,
  extension_days: null,
  legal_review_passed: false,
  notice: null,
  statement_heard: false,
  hearing: "none",
  major: false,
  discussed: false,
  decision: null,
  urged_at: null,
  enforcement_applied: false,
  disclosed_at: null,
  revoked_at: null,
  disclosure_corrected: false,
  correct_by: null,
  late: [],
  team: ["li.ming", "wang.fang"],
  recused: [],
  open_preservations: [],
  complainant_informed: false,
  anomalies: [],
});

/** A case detail at `status` offering `steps`, with the catalogue's standards for 占道经营. */
export function caseDetail(
  status: string,
  steps: NextStep[],
  opts: { state?: Partial<CaseState>; party?: "person" | "business"; deadlines?: CaseDetail["row"]["deadlines"]; events?: CaseDetail["events"] } = {},
): CaseDetail {
  return {
    row: { status, deadlines: opts.deadlines ?? [] } as unknown as CaseDetail["row"],
    header: {
      id: "case-1",
      summary: "",
      squad: "一中队",
      location: { address: "景华路88号", grid: "JX" },
      parties: [{ kind: opts.party ?? "person", name: "张三", id_number: null, phone: null }],
    },
    source_zh: "自主发现",
    registered_by_name: "李明",
    events: opts.events ?? [],
    state: { ...baseState(), status: status as CaseState["status"], ...opts.state },
    next_steps: steps,
    violation: {
      code: "road.occupy",
      name: "占道经营",
      basis: { violated: "《城市道路管理条例》第二十七条", penalty: "《城市道路管理条例》第四十二条" },
      standards: [
        { level: "lighter", min_yuan: 200, max_yuan: 500, circumstances: "初次违法、及时改正" },
        { level: "standard", min_yuan: 500, max_yuan: 2000, circumstances: "一般情形" },
        { level: "heavier", min_yuan: 2000, max_yuan: 20000, circumstances: "拒不改正、多次违法" },
      ],
    },
    hearing_thresholds: { person_fine_yuan: 5000, organisation_fine_yuan: 50000 },
    money_due: 0,
  };
}
