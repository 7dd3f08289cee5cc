// Whether the people signed in may write a case's records now, and if not, why: the app offers
// record panels only where the act would be accepted (qc_domain::record::record_allowed).
import type { CaseDetail, Person } from "./api";

type T = (key: string, named?: Record<string, unknown>) => string;

export interface RecordGate {
  /** New records, and the records begun during the investigation, may be written. */
  records: boolean;
  /** Corrections (更正) of sealed records may be written. */
  corrections: boolean;
  /** Why not, in the officer's words; empty when both are allowed. */
  why: string;
}

/** Statuses in which a correction may still be made: from the investigation until closing. */
const CORRECTABLE = [
  "investigating",
  "investigation_concluded",
  "legal_reviewed",
  "notified",
  "decided",
  "delivered",
  "executed",
];

/** Records belong to 调查取证 (corrections also later, until 结案), written by the case's
 *  investigation team only, none of them recused. Everyone signed in signs what the app records. */
export function recordGate(detail: CaseDetail, signedIn: Person[], t: T): RecordGate {
  const status = detail.row.status;
  // The team with its names as the case view sends it; who recused, as the rules replay it.
  const team = detail.team ?? [];
  const recused = detail.state?.recused ?? [];
  const names = (ps: Person[]) => ps.map((p) => p.name).join("、");
  const out = signedIn.filter((p) => recused.includes(p.id));
  const offTeam = signedIn.filter((p) => !recused.includes(p.id) && !team.some((m) => m.id === p.id));
  const peopleOk = out.length === 0 && offTeam.length === 0;
  const investigating = status === "investigating";
  const correctable = CORRECTABLE.includes(status);
  let why = "";
  if (!investigating) {
    why = t(correctable ? "gate.onlyCorrections" : "gate.status", { status: t(`status.${status}`) });
  }
  if (!peopleOk && (investigating || correctable)) {
    const who = out.length
      ? t("gate.recused", { names: names(out) })
      : team.length
        ? t("gate.notOnTeam", { names: names(offTeam), team: team.map((m) => m.name).join("、") })
        : t("gate.noTeam", { names: names(offTeam) });
    why = why ? `${why}${who}` : who;
  }
  return { records: investigating && peopleOk, corrections: correctable && peopleOk, why };
}
