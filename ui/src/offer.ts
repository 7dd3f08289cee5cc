// Whether an act panel is offered: the case is ready for the act (it is among `detail.next_steps`,
// with nothing missing — a blocked step is listed, with what it lacks, by the procedure panel
// only) and someone signed in holds a role whose job it is, by the rules' one table sent with the
// case. Everyone signed in on the tablet signs an act, so one signature the rules would refuse
// (an assistant's on anything but 劝阻, a recused officer's) keeps the act from being offered at
// all. Also what the act panels share beyond that: deadlines and their lateness, optional texts.
import { enforces, type ActName, type ActOf, type CaseDetail, type DeadlineKindCode, type NextStep, type Person, type RoleCode } from "./api";
import type { PartyData } from "./disclosure";

/** Whose job the act is, as the rules' one table (`ActKind::signers`) sends it with the case. */
export function signersOf(detail: CaseDetail, act: ActName): RoleCode[] {
  return detail.signers?.[act] ?? [];
}

/** Statuses in which a case is no longer handled: nothing to recuse from. */
const FINISHED = ["not_filed", "transferred", "closed", "disclosed", "handled"];

/** The case's next step for this act, if it is one. */
export function nextStep(detail: CaseDetail, act: ActName): NextStep | undefined {
  return detail.next_steps?.find((s) => s.act === act);
}

/** Whether these people, signing together, may do the act (`roles`: who the case says may): one
 * of them holds an allowed role (an enforcing one only with an 执法证 number). */
export function mayAct(detail: CaseDetail, signedIn: Person[], act: ActName, roles?: RoleCode[]): boolean {
  const allowed = signersOf(detail, act).filter((r) => !roles || roles.includes(r));
  if (!signedIn.some((p) => allowed.includes(p.role as RoleCode) && (!enforces(p) || !!p.cert_no))) return false;
  if (act !== "advise" && signedIn.some((p) => p.role === "assistant")) return false;
  const recused = detail.state?.recused ?? [];
  return !signedIn.some((p) => recused.includes(p.id));
}

/** Ids of the case's investigation team, as the case view sends it (without anyone recused since). */
export function teamOf(detail: CaseDetail): string[] {
  return (detail.team ?? []).map((m) => m.id);
}

/** Whether the act is offered now: a next step with nothing missing, for who is signed in. */
export function offered(detail: CaseDetail, signedIn: Person[], act: ActName): boolean {
  const s = nextStep(detail, act);
  return !!s && !s.missing && mayAct(detail, signedIn, act, s.roles);
}

/** Whether the case is still being handled (回避 applies). */
export function open(detail: CaseDetail): boolean {
  return !FINISHED.includes(detail.state?.status ?? detail.row.status);
}

/** The deadline of this kind (for a preservation: of this notice), if the case has one open. */
export function deadline(detail: CaseDetail, kind: DeadlineKindCode, notice?: string) {
  return detail.row.deadlines.find((d) => d.kind.kind === kind && (notice === undefined || d.kind.notice === notice));
}

/** Whether that deadline has passed: the act is still possible, with its lateness explained. */
export function overdue(detail: CaseDetail, kind: DeadlineKindCode, notice?: string, now = Date.now()): boolean {
  const d = deadline(detail, kind, notice);
  return !!d && d.urgency !== "late" && (d.urgency === "overdue" || d.due < now);
}

/** The latest act of this kind on the case, e.g. the investigation report, if there is one. */
export function latest<N extends ActName>(detail: CaseDetail, act: N): ActOf<N> | undefined {
  return [...detail.events].reverse().find((e) => e.act.act === act)?.act as ActOf<N> | undefined;
}

/** A text as an act carries it: trimmed; `null` for an optional one left empty. */
export const optional = (s: string) => s.trim() || null;

/** An act's `late_reason`: the reason given when its deadline has passed, else none. */
export const lateness = (late: boolean, reason: string) => (late ? optional(reason) : null);

/** The case's parties, as registered (the header carries them; older data may not). */
export function partiesOf(detail: CaseDetail): PartyData[] {
  return detail.header.parties ?? [];
}

/** The end of a `YYYY-MM-DD` day in Beijing time, in ms: a period runs to the end of its last day. */
export function endOfDay(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return Date.UTC(y, m - 1, d, 23, 59, 59, 999) - 8 * 3600_000;
}
