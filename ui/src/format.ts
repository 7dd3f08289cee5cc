import type { Deadline } from "./api";

const beijing = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** A timestamp as officers read it: Beijing time, `YYYY-MM-DD HH:MM`. */
export function formatTime(ms: number): string {
  const parts = Object.fromEntries(beijing.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A day as officers read it: Beijing time, `YYYY-MM-DD`. */
export function formatDate(ms: number): string {
  return formatTime(ms).slice(0, 10);
}

/** The most urgent deadline worth a badge (overdue before due soon), if any. */
export function urgentDeadline(deadlines: Deadline[]): Deadline | undefined {
  const rank = { overdue: 0, due_soon: 1, late: 2, pending: 3 } as const;
  return [...deadlines]
    .filter((d) => d.urgency !== "pending")
    .sort((a, b) => rank[a.urgency] - rank[b.urgency] || a.due - b.due)[0];
}

/** IMG_YYYYMMDD_HHMMSS.jpg, the way cameras name photos, in the tablet's local time. */
export function photoName(d: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}`;
  return `IMG_${day}_${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}.jpg`;
}

/** A length of time as a player shows it: `mm:ss`, or `h:mm:ss` from an hour. */
export function formatLength(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const rest = `${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return h ? `${h}:${rest}` : rest;
}

/** From one time to another as officers read it: the second without its day when it is the same day. */
export function formatSpan(from: number, to: number): string {
  const [a, b] = [formatTime(from), formatTime(to)];
  return `${a}–${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b}`;
}
