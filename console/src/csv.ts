// CSV built in the browser (the dashboard's 导出): pure functions, no DOM.
import type { Dashboard } from "./api";
import { formatPeriod, formatTime, ratioText } from "./format";

export type Cell = string | number;

/** One block of the file: a title line, a header line, then the rows. */
export interface CsvSection {
  title: string;
  header: string[];
  rows: Cell[][];
}

/** Makes Excel read the file as UTF-8 (without it, Chinese comes out garbled). */
export const BOM = "\uFEFF";
const EOL = "\r\n";

/**
 * One field. Quoted when it holds a quote, a comma or a line break, quotes doubled (RFC 4180).
 * Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe.
 */
export function csvField(value: Cell): string {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let s = value;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: Cell[]): string {
  return cells.map(csvField).join(",");
}

/** The whole file: BOM, the preface lines, then each section, a blank line between blocks. */
export function toCsv(sections: CsvSection[], preface: Cell[][] = []): string {
  const blocks: string[][] = [];
  if (preface.length) blocks.push(preface.map(csvLine));
  for (const s of sections) blocks.push([csvLine([s.title]), csvLine(s.header), ...s.rows.map(csvLine)]);
  return BOM + blocks.map((b) => b.join(EOL)).join(EOL + EOL) + EOL;
}

type Translate = (key: string) => string;

/** The dashboard's sections, titled and headed as on the page. */
export function dashboardSections(d: Dashboard, t: Translate, locale = "zh-CN"): CsvSection[] {
  const counts = (title: string, what: string, rows: Dashboard["by_status"]): CsvSection => ({
    title: t(title),
    header: [t(what), t("dashboard.count")],
    rows: rows.map((r) => [r.label, r.count]),
  });
  const deadlines = (title: string, who: string, rows: Dashboard["deadlines_by_squad"]): CsvSection => ({
    title: t(title),
    header: [t(who), t("dashboard.overdue"), t("dashboard.dueSoon")],
    rows: rows.map((r) => [r.label, r.overdue, r.due_soon]),
  });
  return [
    counts("dashboard.byStatus", "dashboard.status", d.by_status),
    counts("dashboard.byDomain", "dashboard.domain", d.by_domain),
    counts("dashboard.bySquad", "dashboard.squad", d.by_squad),
    counts("dashboard.byGrid", "dashboard.grid", d.by_grid),
    deadlines("dashboard.deadlinesBySquad", "dashboard.squad", d.deadlines_by_squad),
    deadlines("dashboard.deadlinesByOfficer", "dashboard.officer", d.deadlines_by_officer),
    {
      title: t("dashboard.ratio721"),
      header: ["squad", "service", "management", "enforcement", "ratio"].map((k) => t(`dashboard.${k}`)),
      rows: d.ratio721.map((r) => [
        r.squad,
        r.service,
        r.management,
        r.enforcement,
        ratioText(r.service, r.management, r.enforcement),
      ]),
    },
    {
      title: t("dashboard.syncHealth"),
      header: [t("devices.device"), t("dashboard.squad"), t("devices.lastSeen")],
      rows: d.sync_health.stale.map((s) => [
        `${s.label}（${s.id}）`,
        s.squad,
        s.last_seen === null ? t("devices.neverSeen") : formatTime(s.last_seen, locale),
      ]),
    },
    {
      title: t("dashboard.pendingTitle"),
      header: [
        t("devices.device"),
        t("dashboard.squad"),
        t("dashboard.pendingFiles"),
        t("dashboard.pendingCases"),
        t("dashboard.pendingSince"),
      ],
      rows: d.sync_health.pending.map((p) => [
        `${p.label}（${p.device}）`,
        p.squad,
        p.files,
        p.cases,
        formatTime(p.oldest, locale),
      ]),
    },
  ];
}

/** The dashboard as a CSV file: which cases, the period and the total first, then every section. */
export function dashboardCsv(d: Dashboard, t: Translate, locale = "zh-CN"): string {
  return toCsv(dashboardSections(d, t, locale), [
    [t("dashboard.scope"), d.scope],
    [t("dashboard.period"), formatPeriod(d.period, t("dashboard.allTime"), locale)],
    [t("dashboard.total"), d.total],
  ]);
}
