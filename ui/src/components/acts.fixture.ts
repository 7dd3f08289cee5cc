// Test fixtures for the specs of the act panels and the case view: people in each role, and a case
// detail as the Rust side gives it (state, next_steps and `signers` with the roles qc-domain
// assigns, the catalogue's violation, the investigation team).
import type { ActName, CaseDetail, CaseState, NextStep, Person, RoleCode } from "../api";

export const person = (id: string, name: string, role: RoleCode, squad = "一中队"): Person => ({
  id,
  name,
  role,
  cert_no: role === "assistant" || role === "legal_reviewer" ? null : `C-${id}`,
  squad,
});
export const officer = person("li.ming", "李明", "enforcement_officer");
export const officer2 = person("wang.fang", "王芳", "enforcement_officer");
export const assistant = person("chen.xie", "陈协", "assistant");
export const leader = person("liu.jianguo", "刘建国", "squad_leader");
export const head = person("zhou.zheng", "周正", "head");
export const reviewer = person("sun.fa", "孙法", "legal_reviewer");

/** The investigation team of a case past its assignment, with names as the case view sends it. */
export const TEAM = [
  { id: officer.id, name: officer.name },
  { id: officer2.id, name: officer2.name },
];

const LEADERS: RoleCode[] = ["squad_leader", "head"];
const OFFICERS: RoleCode[] = ["enforcement_officer", "squad_leader", "head"];
const HEAD: RoleCode[] = ["head"];
/** Who the Rust side says may do each act (qc-domain ActKind::signers), as `detail.signers` and
 * next_steps carry it. */
export const ROLES: Partial<Record<ActName, RoleCode[]>> = {
  conclude_investigation: OFFICERS,
  notify: OFFICERS,
  hear_statement: OFFICERS,
  request_hearing: OFFICERS,
  hold_hearing: ["legal_reviewer", "head"],
  legal_review: ["legal_reviewer"],
  collective_discussion: HEAD,
  decide: HEAD,
  extend_deadline: HEAD,
  transfer: LEADERS,
  preservation_decision: LEADERS,
  close: LEADERS,
  disclose: LEADERS,
  summary_decision: OFFICERS,
  deliver: OFFICERS,
  urge_payment: OFFICERS,
  execute: OFFICERS,
  inform_complainant: OFFICERS,
  order_correction: OFFICERS,
  follow_up: OFFICERS,
  apply_enforcement: HEAD,
  revoke_decision: HEAD,
  correct_disclosure: HEAD,
  advise: ["enforcement_officer", "assistant", "squad_leader", "legal_reviewer", "head"],
  recuse: ["enforcement_officer", "squad_leader", "head", "legal_reviewer"],
};
/** The names the procedure panel lists steps by. */
const ZH: Partial<Record<ActName, string>> = {
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

/** A next step as the Rust side lists it. */
export const step = (act: ActName, missing: string | null = null): NextStep => ({
  act,
  zh: ZH[act] ?? act,
  roles: ROLES[act] ?? [],
  missing,
});

export function state(over: Partial<CaseState> = {}): CaseState {
  return {
    status: "registered",
    filed_at: null,
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
    team: [],
    recused: [],
    open_preservations: [],
    complainant_informed: false,
    anomalies: [],
    ...over,
  };
}

type DetailOptions = Partial<CaseDetail> & {
  status?: CaseState["status"];
  steps?: NextStep[];
  party?: "person" | "business";
  deadlines?: CaseDetail["row"]["deadlines"];
};

export function detail(over: DetailOptions = {}): CaseDetail {
  const { status = "registered", steps = [], party = "person", deadlines = [], ...rest } = over;
  return {
    row: {
      id: "case-1",
      squad: "一中队",
      status,
      domain: "transport",
      domain_name: "交通管理",
      violation: "transport.occupy_road",
      violation_name: "占道经营",
      source: "self_discovered",
      address: "景华路88号",
      grid: "JX-01",
      parties: "张三",
      summary: "张三在景华路88号门前占道摆摊",
      registered_at: 0,
      updated_at: 0,
      deadlines,
      anomalies: 0,
      people: [],
    },
    header: {
      id: "case-1",
      summary: "张三在景华路88号门前占道摆摊",
      squad: "一中队",
      location: { address: "景华路88号", grid: "JX-01" },
      parties: [{ kind: party, name: "张三", id_number: "410302199001011234", phone: "13812345678" }],
    },
    source_zh: "自主发现",
    registered_by_name: "李明",
    events: [],
    state: state({ status }),
    next_steps: steps,
    signers: ROLES,
    violation: {
      code: "transport.occupy_road",
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
    ...rest,
  };
}

/** A filed case at `status` offering `steps`, investigated by `TEAM` (the specs of the acts from
 * the end of the investigation to the decision). */
export function caseDetail(
  status: CaseState["status"],
  steps: NextStep[],
  opts: { state?: Partial<CaseState>; party?: "person" | "business"; deadlines?: CaseDetail["row"]["deadlines"]; events?: CaseDetail["events"] } = {},
): CaseDetail {
  const { state: over, ...rest } = opts;
  return detail({
    status,
    steps,
    team: TEAM,
    state: state({ status, filed_at: 0, team: TEAM.map((m) => m.id), ...over }),
    ...rest,
  });
}
