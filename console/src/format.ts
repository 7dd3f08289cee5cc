/** A moment (ms since the epoch) as local date and time, e.g. 2026/12/01 14:08:51 in zh-CN. */
export function formatTime(at: number, locale = "zh-CN"): string {
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(new Date(at));
}

/** A day (ms since the epoch) as a local date, e.g. 2026/12/01 in zh-CN. */
export function formatDate(at: number, locale = "zh-CN"): string {
  return new Intl.DateTimeFormat(locale, { year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(at));
}

/**
 * Whole percentages of the parts that add up to 100 (largest remainders get the leftover points),
 * or null when every part is zero.
 */
export function percentages(parts: number[]): number[] | null {
  const sum = parts.reduce((a, b) => a + Math.max(0, b), 0);
  if (sum <= 0) return null;
  const exact = parts.map((p) => (Math.max(0, p) * 100) / sum);
  const whole = exact.map(Math.floor);
  let left = 100 - whole.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    whole[i] += 1;
    left -= 1;
  }
  return whole;
}

/** The 721 ratio of service : management : enforcement, e.g. "70% : 20% : 10%"; "—" when all are zero. */
export function ratioText(service: number, management: number, enforcement: number): string {
  const p = percentages([service, management, enforcement]);
  return p ? p.map((x) => `${x}%`).join(" : ") : "—";
}

/** A dashboard's period in words: `all` when it is open at both ends; `to` is exclusive. */
export function formatPeriod(period: { from: number | null; to: number | null }, all: string, locale = "zh-CN"): string {
  if (period.from === null && period.to === null) return all;
  const from = period.from === null ? "…" : formatDate(period.from, locale);
  const to = period.to === null ? "…" : formatDate(period.to - 1, locale);
  return `${from} – ${to}`;
}

/**
 * An SVG document as a `data:` URL for an `<img>`: an image cannot run the document's scripts or
 * reach the page, as markup put into the page could. UTF-8, base64.
 */
export function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** A file's size in bytes, KiB, MiB or GiB (one decimal past bytes), e.g. 2.4 MiB. */
export function formatSize(bytes: number): string {
  const units = ["KiB", "MiB", "GiB"];
  if (bytes < 1024) return `${bytes} B`;
  let n = bytes;
  let unit = "B";
  for (const u of units) {
    if (n < 1024) break;
    n /= 1024;
    unit = u;
  }
  return `${n.toFixed(1)} ${unit}`;
}
