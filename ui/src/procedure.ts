// The procedure from the notice to the decision: the stages of a case's way through it (the
// procedure panel), the hearing rule (听证), the catalogue's discretion standards and legal basis.
// Whether an act is offered to who is signed in is `offer.ts`'s.
import type { CaseDetail, Discretion, Penalty } from "./api";

/** The party is an organisation or business (the higher hearing threshold applies). */
export const organisation = (d: CaseDetail) => (d.header.parties ?? []).some((p) => p.kind === "business");

/** The fine (yuan) from which a hearing must be offered to this case's party, if known. */
export function hearingThreshold(d: CaseDetail): number | null {
  const t = d.hearing_thresholds;
  if (!t) return null;
  return organisation(d) ? t.organisation_fine_yuan : t.person_fine_yuan;
}

/** Whether these penalties give the party the right to a hearing: a fine or confiscated gains at
 * or above the threshold, or a suspension or revocation (as qc-domain decides it). */
export function qualifiesForHearing(d: CaseDetail, penalties: Penalty[]): boolean {
  const threshold = hearingThreshold(d);
  return penalties.some((p) => {
    switch (p.kind) {
      case "fine":
      case "confiscate_gains":
        return threshold !== null && p.yuan >= threshold;
      case "suspend_business":
      case "revoke_licence":
        return true;
      default:
        return false;
    }
  });
}

/** The fine among the penalties, in yuan (0 when none). */
export const fineOf = (penalties: Penalty[]) =>
  penalties.reduce((sum, p) => sum + (p.kind === "fine" ? p.yuan : 0), 0);

/** The catalogue's standard for this level, if the catalogue has one. */
export const standardOf = (d: CaseDetail, level: Discretion) =>
  d.violation?.standards.find((s) => s.level === level) ?? null;

/** The legal basis as the catalogue states it, ready for a notice or decision. */
export function catalogueBasis(d: CaseDetail, template: (violated: string, penalty: string) => string): string {
  const b = d.violation?.basis;
  return b ? template(b.violated, b.penalty) : "";
}

/** Penalties as a notice or decision writes them (罚款 500 元、警告). */
export function penaltiesText(penalties: Penalty[], t: (key: string, values?: Record<string, unknown>) => string): string {
  return penalties
    .map((p) =>
      t(`penalty.text.${p.kind}`, {
        yuan: "yuan" in p ? p.yuan : "",
        items: "items" in p ? p.items : "",
      }),
    )
    .join("、");
}

/** Where a stage of the procedure stands for a case. */
export type StageState = "done" | "current" | "todo" | "skipped";
export interface Stage {
  /** procedure.stages.<key> */
  key: string;
  state: StageState;
  /** Only some cases need it (集体讨论), and this one is not known to. */
  optional?: boolean;
}
/** Which way the case goes: 一般程序, 简易程序, 721 服务/管理, 移送, 不予立案. */
export type ProcedurePath = "general" | "summary" | "light" | "transferred" | "not_filed";

/** How far each status has come along the general procedure. */
const RANK: Record<string, number> = {
  registered: 0,
  returned: 0,
  filed: 1,
  investigating: 2,
  investigation_concluded: 3,
  notified: 4,
  legal_reviewed: 6,
  decided: 8,
  delivered: 9,
  executed: 10,
  closed: 11,
  disclosed: 12,
};

/** The stages of the case's way through the procedure, done, current (the first to come),
 * to come, or not needed. */
export function procedureOf(d: CaseDetail): { path: ProcedurePath; stages: Stage[] } {
  const s = d.state;
  const status = d.row.status;
  const mark = (stages: [string, boolean | "skipped", boolean?][]): Stage[] => {
    let current = false;
    return stages.map(([key, done, optional]) => {
      if (done === "skipped") return { key, state: "skipped" };
      if (done) return { key, state: "done" };
      if (!current && !optional) {
        current = true;
        return { key, state: "current" };
      }
      return optional ? { key, state: "todo", optional } : { key, state: "todo" };
    });
  };
  if (status === "not_filed") return { path: "not_filed", stages: mark([["registered", true], ["not_filed", true]]) };
  if (status === "transferred") {
    const filed = !!s?.filed_at;
    return {
      path: "transferred",
      stages: mark([["registered", true], ...(filed ? [["filed", true] as [string, boolean]] : []), ["transferred", true]]),
    };
  }
  if (status === "handled" || status === "correcting") {
    const ordered = status === "correcting" || !!s?.correct_by;
    return {
      path: "light",
      stages: mark(
        ordered
          ? [["registered", true], ["correcting", true], ["follow_up", status === "handled"], ["handled", status === "handled"]]
          : [["registered", true], ["advised", true], ["handled", true]],
      ),
    };
  }
  const rank = RANK[status] ?? 0;
  const penalties = s?.decision?.penalties;
  const nothingToExecute = !!penalties && penalties.every((p) => p.kind === "warning");
  const disclosed = !!s?.disclosed_at || status === "disclosed";
  const disclosure: boolean | "skipped" = disclosed || (rank >= 11 && !!penalties && penalties.length === 0 ? "skipped" : false);
  const executed: boolean | "skipped" = rank >= 11 && nothingToExecute ? "skipped" : rank >= 10;
  if (s?.decision?.summary_procedure) {
    return {
      path: "summary",
      stages: mark([["registered", true], ["summary", true], ["executed", executed], ["closed", rank >= 11], ["disclosed", disclosure]]),
    };
  }
  const notified: boolean | "skipped" = s ? !!s.notice || (rank >= 6 ? "skipped" : false) : rank >= 4;
  const heard = s ? s.statement_heard || s.hearing === "held" : rank >= 6;
  const statement: boolean | "skipped" = heard || (rank >= 6 ? "skipped" : false);
  const needsDiscussion =
    !!s && (s.major || s.discussed || !!s.notice?.hearing_offered || s.notice?.proposal?.discretion === "heavier");
  const discussion: boolean | "skipped" = s?.discussed ? true : rank >= 8 ? "skipped" : false;
  return {
    path: "general",
    stages: mark([
      ["registered", true],
      ["filed", rank >= 1],
      ["investigating", rank >= 3],
      ["concluded", rank >= 3],
      ["notified", notified],
      ["statement", statement],
      ["review", rank >= 6],
      ["discussion", discussion, !needsDiscussion],
      ["decided", rank >= 8],
      ["delivered", rank >= 9],
      ["executed", executed],
      ["closed", rank >= 11],
      ["disclosed", disclosure],
    ]),
  };
}
