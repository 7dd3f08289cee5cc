// The one typed module over the station's console API (/console/api, same origin). Views never
// call `fetch` themselves.
import { i18n } from "./i18n";

export type Role = "head" | "legal_reviewer" | "squad_leader" | "supervision" | "administrator";

export interface Account {
  login: string;
  name: string;
  role: Role;
  /** The role in Chinese, as the station names it. */
  role_label: string;
  squads: string[];
}

/** The answer to signing in and to the session check. */
export interface Session {
  account: Account;
  csrf: string;
}

/** One row of a dashboard count: the thing counted (its code), its Chinese name, and how many. */
export interface Count {
  key: string;
  label: string;
  count: number;
}

/** Open deadlines of a squad or of an officer (then `label` is the person's id). */
export interface DeadlineCount {
  key: string;
  label: string;
  /** Past due. */
  overdue: number;
  /** Not yet due, but soon. */
  due_soon: number;
}

/** The 721 method of one squad: how many cases went to service, to management, to enforcement. */
export interface Ratio721 {
  squad: string;
  service: number;
  management: number;
  enforcement: number;
}

/** Which registration times a dashboard counts: [from, to) in ms since the epoch; null is open. */
export interface Period {
  from: number | null;
  to: number | null;
}

export interface Dashboard {
  period: Period;
  total: number;
  by_status: Count[];
  by_domain: Count[];
  by_squad: Count[];
  by_grid: Count[];
  deadlines_by_squad: DeadlineCount[];
  deadlines_by_officer: DeadlineCount[];
  ratio721: Ratio721[];
  /** A Chinese sentence: which cases the person sees, e.g. 全部案件 or 一中队的案件. */
  scope: string;
  /** Whether the tablets of the squads in view sync. */
  sync_health: SyncHealth;
}

/** The tablets in service in the squads a person sees, and those silent for days. */
export interface SyncHealth {
  stale_after_days: number;
  /** Tablets in service (not revoked). */
  devices: number;
  /** Those not synced for `stale_after_days` days, never-synced first, then the longest silent. */
  stale: Device[];
  /** Tablets whose entries name files the station does not hold yet, the longest waiting first. */
  pending: PendingUploads[];
}

/** The files a tablet named in its entries and has not sent yet. */
export interface PendingUploads {
  device: string;
  label: string;
  squad: string;
  files: number;
  cases: number;
  /** Since when the oldest waits (ms). */
  oldest: number;
}

/** A case as the list shows it. Every text is the station's, shown as text. */
export interface CaseRow {
  id: string;
  squad: string;
  status: string;
  /** Chinese, e.g. 立案. */
  status_label: string;
  domain: string;
  domain_name: string;
  violation_name: string;
  address: string;
  parties: string;
  summary: string;
  grid: string;
  /** Milliseconds since the epoch. */
  registered_at: number;
  updated_at: number;
  /** Open deadlines already past due. */
  overdue: number;
}

export interface CaseList {
  /** All the cases that match, not only this page's. */
  total: number;
  cases: CaseRow[];
}

/** What to list: every part optional; empty text counts as not given. */
export interface CaseQuery {
  /** Chinese text looked for in the address, the parties and the summary. */
  q?: string;
  status?: string;
  squad?: string;
  domain?: string;
  limit?: number;
  offset?: number;
}

/** A deadline of a case: still open, or met after it was due. */
export interface CaseDeadline {
  /** Chinese, e.g. 作出处罚决定. */
  label: string;
  due_at: number;
  urgency: "pending" | "due_soon" | "overdue" | "late";
  /** Chinese. */
  urgency_label: string;
}

/** What a case's document says; every text is the station's, shown as text. */
export interface CaseFacts {
  domain_name: string;
  violation_name: string;
  address: string;
  grid: string;
  parties: string;
  summary: string;
  registered_at: number;
  updated_at: number;
  deadlines: CaseDeadline[];
}

/** The station's check of a case's whole-process record, as kept now. */
export interface RecordCheck {
  /** Nothing wrong: every signature, the document, every evidence file and the log agree. */
  intact: boolean;
  checked_at: number;
  /** Signed entries verified (of every device that touched the case). */
  entries_verified: number;
  /** Entries proven in the station's log, of `entries`. */
  logged: number;
  entries: number;
  /** Chinese, one sentence each. */
  problems: string[];
}

/** One item of the case file's table of contents (卷内目录), proven by a signed entry. */
export interface FileItem {
  no: number;
  section: string;
  /** Chinese, e.g. 立案材料. */
  section_zh: string;
  /** Chinese, e.g. 现场检查笔录. */
  title: string;
  /** When recorded, by the device's clock (ms). */
  time: number;
  /** Who signed it (names). */
  signers: string[];
  device: string;
  seq: number;
  /** The entry's hash (hex). */
  entry: string;
}

/** An evidence file of a case. */
export interface EvidenceFile {
  /** SHA-256 (hex): the file's name. */
  hash: string;
  /** Null while the station does not hold it whole. */
  size: number | null;
  /** Read whole, and its hash is its name. */
  intact: boolean;
  /** Deleted with the head's approval (删除原件): its hash stays, its bytes are gone. */
  deleted: boolean;
  /** e.g. image/jpeg, application/pdf. */
  media: string;
  /** For audio and video held whole: the token of its player's address ({@link playAddress}). */
  play: string | null;
}

export interface CasePage {
  id: string;
  squad: string;
  status: string;
  status_label: string;
  /** Null when the station cannot read the case's document (the check says why). */
  facts: CaseFacts | null;
  check: RecordCheck;
  items: FileItem[];
  evidence: EvidenceFile[];
  /** Its case-file reviews (案卷评查), in the file's order. */
  reviews: ReviewShown[];
  /** Whether this account may review the case's file now (法制审核 or 局领导, the case closed). */
  may_review: boolean;
  /** The checklist a review scores, in order. */
  checklist: ChecklistItem[];
}

/** A line of the case-file review checklist. */
export interface ChecklistItem {
  key: string;
  /** What is judged, in Chinese. */
  zh: string;
  /** Full marks. */
  max: number;
}

/** A checklist line as scored; points taken off need a comment. */
export interface ItemScore {
  key: string;
  score: number;
  comment: string;
}

/** 案卷评查 as filled in: every checklist line in order, and the overall opinion. */
export interface ReviewSheet {
  items: ItemScore[];
  comment: string;
}

/** A case-file review as its reviewer signed it. */
export interface CaseFileReview extends ReviewSheet {
  case: string;
  total: number;
  grade: "excellent" | "passing" | "failing";
}

/** A case-file review on the case page: its signed entry and its sheet. */
export interface ReviewShown {
  entry: string;
  /** When signed (ms). */
  time: number;
  /** Who signed it (names). */
  signers: string[];
  /** Null when the station cannot read the sheet (the record check says why). */
  review: CaseFileReview | null;
}

/** A case file exported and signed at the desk: the bundle to save, and the verifier's verdict on it. */
export interface ExportedBundle {
  /** The file name the station gives it. */
  name: string;
  bundle: Blob;
  /** The bundle verifies as a whole (signatures, document, files, table of contents, export act). */
  intact: boolean;
  /** How many problems verifying it found. */
  problems: number;
}

/** A penalty result as published (行政处罚结果公开), and what became of it. Public. */
export interface Published {
  case_id: string;
  violation_name: string;
  published_at: number;
  /** As published: personal data was redacted before it was accepted. */
  text: string;
  revoked: { at: number; authority: string; reason: string } | null;
  corrected: { at: number; explanation: string; text: string } | null;
}

export interface PublishedList {
  total: number;
  results: Published[];
}

export type LogKind = "login" | "operation";

/** 管理操作: an administrator's change, as the log holds it (signed, its sheet checked). */
export interface AdminActEntry {
  /** Milliseconds since the epoch. */
  at: number;
  /** The administrator's desk login. */
  by: string;
  /** Chinese. */
  kind: string;
  subject: string;
  detail: string;
  /** Its entry's hash on the log (hex). */
  entry: string;
}

export interface LogEntry {
  /** Milliseconds since the epoch. */
  at: number;
  login: string;
  /** Chinese. */
  what: string;
  ok: boolean;
  /** The client's IP address. */
  source: string;
}

/** A tablet the station enrolled. Every text is the station's, shown as text. */
export interface Device {
  id: string;
  label: string;
  squad: string;
  revoked: boolean;
  /** Milliseconds since the epoch; null while not revoked. */
  revoked_at: number | null;
  /** Why it was revoked, as the person who did it wrote it. */
  reason: string | null;
  /** How many people's signing keys were made on it. */
  keys: number;
  /** When it last synced (ms); null if it never did. */
  last_seen: number | null;
  /** A desk's device (a console account acts through it; it never syncs), not a tablet. */
  desk?: boolean;
  /** Whether the tablet took each of the catalogue and wording imported at the station, as
   * it said at its last sync; null for a desk or when nothing was imported. */
  bureau?: DeviceFileState[] | null;
}

/** Where a tablet stands with one of the bureau's files in force. */
export interface DeviceFileState {
  kind: BureauFileKind;
  state: "taken" | "refused" | "waiting";
  /** The two in Chinese, as the station says them. */
  label: string;
}

/** A signing key the station certified for a person, on a tablet or a desk. */
export interface SigningKey {
  device: string;
  device_label: string;
  /** Valid from and until (ms). */
  not_before: number;
  not_after: number;
  state: "valid" | "expired" | "revoked";
  /** Chinese, e.g. 有效. */
  state_label: string;
  revoked_at: number | null;
  reason: string | null;
}

/** 双随机: one target of the register (检查对象名录). */
export interface DrawTarget {
  id: string;
  name: string;
  address: string;
  category: string;
}

/** An enforcement officer who may be drawn to inspect. */
export interface Inspector {
  id: string;
  name: string;
  squad: string;
}

/** A register file as read, before anything is signed. */
export interface RegisterPreview {
  targets: DrawTarget[];
  /** Lines left out, each with its reason in Chinese. */
  problems: string[];
  encoding: string;
}

export type Outcome = "compliant" | "corrected" | "case_filed" | "not_found";

/** What the inspection of a drawn target found. */
export interface InspectionReport {
  outcome: Outcome;
  outcome_label: string;
  case: string;
  note: string;
  reported_at: number;
}

/** A target drawn, the inspectors drawn for it, and what they found. */
export interface DrawTask extends DrawTarget {
  inspectors: Inspector[];
  report: InspectionReport | null;
  /** This account records the result (the head, or the leader of an inspector's squad). */
  may_report: boolean;
}

/** A report as sent. */
export interface ReportForm {
  target: string;
  outcome: Outcome;
  case: string;
  note: string;
}

/** A random inspection: its plan, and what was drawn once it was. */
export interface DrawItem {
  id: string;
  title: string;
  count: number;
  register_size: number;
  inspector_count: number;
  planned_at: number;
  plan_digest: string;
  plan_index: number;
  seed_size: number;
  /** The log holds the tree whose root seeds the draw. */
  seedable: boolean;
  drawn_at: number | null;
  root: string | null;
  tasks: DrawTask[];
}

export interface DrawList {
  draws: DrawItem[];
  /** How many there are (this is a page of them). */
  total: number;
  may_draw: boolean;
  inspectors: Inspector[];
}

/** A new plan: the register as previewed and the inspectors chosen (by person id). */
export interface PlanForm {
  title: string;
  count: number;
  targets: DrawTarget[];
  inspectors: string[];
}

/** A person of the bureau (its directory) with their signing keys. */
export interface PersonItem {
  id: string;
  name: string;
  /** e.g. squad_leader, head, enforcement_officer. */
  role: string;
  /** Chinese, e.g. 执法队员. */
  role_label: string;
  squad: string;
  /** 执法证 number, for those who enforce. */
  cert_no: string | null;
  keys: SigningKey[];
}

/** A desk account as the administrator's list shows it (never its secrets). */
export interface AccountItem extends Account {
  /** The bureau's person the account is, by id. */
  person: string | null;
  /** Until when sign-in is refused after wrong attempts (ms), if it is now. */
  locked_until: number | null;
  /** Until when its activation code is good (ms), while its holder has not activated it. */
  activation_until: number | null;
  /** Disabled (停用): nobody signs in with it until it is reset. */
  disabled?: boolean;
}

/** What the administrator fills in for a new desk account. */
export interface AccountForm {
  login: string;
  name: string;
  role: Role;
  squads: string[];
  person: string | null;
  /** The administrator's own password, typed again to confirm. */
  confirm: string;
}

/** The one-time code that activates a new or reset account, for its holder; shown once. */
export interface ActivationCode {
  login: string;
  code: string;
  /** Until when it is good (ms). */
  until: number;
}

/** What the activation page shows the holder of a good code. */
export interface Enrolment {
  login: string;
  name: string;
  role_label: string;
  totp_secret: string;
  otpauth_url: string;
  /** The `otpauth://` address as a QR code (SVG, shown as an image). */
  qr_svg: string;
  until: number;
}

/** Where the holder activates their account: the code rides after `#`, which no browser sends. */
export function activationLink(origin: string, code: ActivationCode): string {
  const fragment = new URLSearchParams({ login: code.login, code: code.code }).toString();
  return `${origin}${import.meta.env.BASE_URL}activate#${fragment}`;
}

export interface DeviceList {
  devices: Device[];
  /** Whether this person may revoke devices and issue enrolment codes. */
  may_manage: boolean;
}

/** What revoking a device did: the revocation list's new number and how many certificates it revoked. */
export interface Revocation {
  number: number;
  revoked: number;
}

/** A one-time code that enrols a tablet into a squad. */
export interface EnrolmentCode {
  code: string;
  squad: string;
  /** Milliseconds since the epoch. */
  expires_at: number;
  /** An SVG document of the code's QR: shown only as an image, never put into the page as markup. */
  qr_svg: string;
}

/** The bureau's own files the station reads: 权责清单 (JSON) and 文书固定用语 (TOML). */
export type BureauFileKind = "catalogue" | "wording";

/** A bureau file in force: its digest, who imported it and when (null: the built-in file), its text. */
export interface BureauFileInForce {
  /** SHA-256 of the text (hex). */
  digest: string;
  /** Milliseconds since the epoch; null while the file shipped with the app is in force. */
  imported_at: number | null;
  /** The administrator's desk login; null for the built-in file. */
  imported_by: string | null;
  /** The file in force, whole. */
  text: string;
  /** Why the file kept is not used (the built-in one is, until a new import), in Chinese. */
  problem?: string | null;
}

/** A domain of the catalogue and how many violation types it lists. */
export interface CatalogueDomain {
  code: string;
  /** Chinese, e.g. 环境保护. */
  name: string;
  violations: number;
}

/** 权责清单 in force. */
export interface CatalogueInForce extends BureauFileInForce {
  version: number;
  note: string;
  domains: CatalogueDomain[];
}

/** 文书固定用语 in force. */
export interface WordingInForce extends BureauFileInForce {
  /** The bureau's name as the documents print it. */
  bureau_name: string;
}

export interface BureauFiles {
  catalogue: CatalogueInForce;
  wording: WordingInForce;
}

/** One difference between the file in force and a file offered for import. */
export interface BureauFileChange {
  change: "added" | "removed" | "changed";
  /** Chinese, e.g. 新增. */
  change_label: string;
  /** What changed, e.g. environment.open_air_barbecue. */
  item: string;
  /** Its Chinese name, e.g. 露天烧烤. */
  name: string;
  /** Chinese, e.g. 自由裁量基准：一般 2000–8000 元 → 一般 2000–10000 元. */
  detail: string;
}

/** What importing a file would change; nothing is kept. */
export interface BureauFilePreview {
  kind: BureauFileKind;
  /** Chinese, e.g. 第 3 版 (the file in force) and 第 4 版 (the file offered). */
  from: string;
  to: string;
  /** The digest of the file in force: the import names it, so that it replaces only that one. */
  replacing: string;
  /** The digest of the file offered. */
  digest: string;
  /** Empty: the file is the one in force. */
  changes: BureauFileChange[];
}

/** A bureau file imported: its digest, and the act as the log's sheet says it (Chinese). */
export interface BureauFileImported {
  digest: string;
  summary: string;
}

/** An error answer: HTTP status, the station's code, and its Chinese message. Status 0: no answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const API_BASE = "/console/api";
export const CSRF_KEY = "qc-console-csrf";
const SIGN_IN = "/sign-in";

function stored(): string | null {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

/** The CSRF token of this tab's session: kept in memory, and in sessionStorage across reloads. */
let csrf: string | null = stored();

export function csrfToken(): string | null {
  return csrf;
}

function keepCsrf(token: string | null) {
  csrf = token;
  try {
    if (token) sessionStorage.setItem(CSRF_KEY, token);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch {
    // Storage refused (private mode): the token still lives in memory for this page.
  }
}

let unauthorized: () => void = () => {};

/** What to do when the station answers 401 to anything but signing in: go to the sign-in page. */
export function onUnauthorized(handler: () => void) {
  unauthorized = handler;
}

const t = (key: string, named?: Record<string, unknown>) =>
  (i18n.global.t as unknown as (k: string, n?: Record<string, unknown>) => string)(key, named ?? {});

/**
 * The page's language. `i18n.global.locale` is a ref at run time (composition mode) whatever its
 * typing says: a plain string is read as well.
 */
function pageLocale(): string {
  const locale: unknown = i18n.global.locale;
  if (typeof locale === "string") return locale;
  const value = (locale as { value?: unknown } | null)?.value;
  return typeof value === "string" ? value : "";
}

/**
 * An error answer as an ApiError: the body is `{code, message, message_en}` (`message` in
 * Chinese); any may be missing. A page in English shows `message_en` when there is one. A body
 * `{error}` says its message there.
 */
export async function errorOf(res: Response): Promise<ApiError> {
  let code = "";
  let message = "";
  const english = pageLocale().startsWith("en");
  try {
    const body: unknown = await res.json();
    if (body && typeof body === "object") {
      const b = body as Record<string, unknown>;
      if (typeof b.code === "string") code = b.code;
      if (english && typeof b.message_en === "string" && b.message_en) message = b.message_en;
      else if (typeof b.message === "string") message = b.message;
      else if (typeof b.error === "string") message = b.error;
    }
  } catch {
    // Not JSON (a proxy's error page): fall back to the status.
  }
  if (!code) code = res.status === 401 ? "unauthorized" : `http_${res.status}`;
  if (!message) {
    const known = `error.code.${code}`;
    message = i18n.global.te(known, "zh-CN") ? t(known) : t("error.http", { status: res.status });
  }
  return new ApiError(res.status, code, message);
}

interface Options {
  body?: unknown;
  /** A file sent as it is (a register), instead of a JSON body. */
  file?: Blob;
  /** A 401 is an answer here (the session check at start), not a reason to leave the page. */
  quiet401?: boolean;
  /** Already retried once with a fresh CSRF token. */
  retried?: boolean;
}

async function request<T>(method: "GET" | "POST", path: string, opts: Options = {}): Promise<T> {
  const res = await answer(method, path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The station's answer to a call, once it is a success (else an ApiError, as `request` says). */
async function answer(method: "GET" | "POST", path: string, opts: Options = {}): Promise<Response> {
  const signingIn = method === "POST" && path === SIGN_IN;
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.file !== undefined) headers["content-type"] = "text/csv";
  if (!signingIn && csrf) headers["x-csrf-token"] = csrf;
  let res: Response;
  try {
    res = await fetch(API_BASE + path, {
      method,
      headers,
      credentials: "same-origin",
      body: opts.file ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
  } catch {
    throw new ApiError(0, "network", t("error.network"));
  }
  if (!res.ok) {
    const err = await errorOf(res);
    // The cookie belongs to a newer session than this tab's token (signed in again in another
    // tab): take the current session's token and try once more.
    if (res.status === 403 && err.code === "csrf" && !opts.retried && path !== "/session") {
      const s = await request<Session>("GET", "/session", { quiet401: true, retried: true }).catch(() => null);
      if (s) {
        keepCsrf(s.csrf);
        return answer(method, path, { ...opts, retried: true });
      }
    }
    if (res.status === 401 && !signingIn) {
      keepCsrf(null);
      if (!opts.quiet401) unauthorized();
    }
    throw err;
  }
  return res;
}

/** A dashboard with every section, empty where the answer left one out (an older station). */
function completeDashboard(d: Partial<Dashboard>): Dashboard {
  return {
    period: { from: d.period?.from ?? null, to: d.period?.to ?? null },
    total: d.total ?? 0,
    by_status: d.by_status ?? [],
    by_domain: d.by_domain ?? [],
    by_squad: d.by_squad ?? [],
    by_grid: d.by_grid ?? [],
    deadlines_by_squad: d.deadlines_by_squad ?? [],
    deadlines_by_officer: d.deadlines_by_officer ?? [],
    ratio721: d.ratio721 ?? [],
    scope: d.scope ?? "",
    sync_health: {
      stale_after_days: d.sync_health?.stale_after_days ?? 0,
      devices: d.sync_health?.devices ?? 0,
      stale: d.sync_health?.stale ?? [],
      pending: d.sync_health?.pending ?? [],
    },
  };
}

/** `?a=1&b=x` of the parts given (empty text, null and undefined left out), or "" when none. */
export function query(parts: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(parts)) {
    if (v === undefined || v === null || v === "") continue;
    p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

export const api = {
  async signIn(login: string, password: string, code: string): Promise<Account> {
    const s = await request<Session>("POST", SIGN_IN, { body: { login, password, code } });
    keepCsrf(s.csrf);
    return s.account;
  },
  /** The signed-in account after a reload, or null when there is no session. */
  async session(): Promise<Account | null> {
    try {
      const s = await request<Session>("GET", "/session", { quiet401: true });
      keepCsrf(s.csrf);
      return s.account;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  /** Ends the session; one that had already ended (401) counts as ended. */
  async signOut(): Promise<void> {
    try {
      await request<void>("POST", "/sign-out", { quiet401: true });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    keepCsrf(null);
  },
  /** The counts of the cases registered in [from, to) (all of them without a period). */
  dashboard: async (period: Partial<Period> = {}) =>
    completeDashboard(await request<Partial<Dashboard>>("GET", "/dashboard" + query(period))),
  cases: async (q: CaseQuery = {}): Promise<CaseList> => {
    const got = await request<Partial<CaseList>>("GET", "/cases" + query(q));
    return { total: got.total ?? 0, cases: got.cases ?? [] };
  },
  /** A case the person sees, its record checked by the station now. */
  case: (id: string) => request<CasePage>("GET", `/cases/${encodeURIComponent(id)}`),
  /**
   * Where a media element plays an audio or video file of a case: it fetches the parts it
   * needs itself (seeking asks for a range), with the session's cookie and the file's play
   * token in the address instead of the CSRF header.
   */
  playAddress: (caseId: string, file: EvidenceFile): string | null =>
    file.play === null
      ? null
      : `${API_BASE}/cases/${encodeURIComponent(caseId)}/play/${encodeURIComponent(file.hash)}/${encodeURIComponent(file.play)}`,
  /** An evidence file of a case, whole (for showing from a blob URL). */
  evidence: async (caseId: string, hash: string): Promise<Blob> =>
    (await answer("GET", `/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(hash)}`)).blob(),
  /**
   * Exports a case as a case file (一案一档) signed by this account: the password, typed again,
   * confirms the signature (a wrong one counts towards the lock like at sign-in).
   */
  exportCase: async (id: string, password: string): Promise<ExportedBundle> => {
    const res = await answer("POST", `/cases/${encodeURIComponent(id)}/export`, { body: { password } });
    const named = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "");
    return {
      name: named?.[1] ?? `${id}.qcbundle`,
      bundle: await res.blob(),
      intact: res.headers.get("x-quancheng-verdict") === "intact",
      problems: Number(res.headers.get("x-quancheng-problems") ?? "0") || 0,
    };
  },
  /** 案卷评查: scores a closed case's file, signed by this account (the password confirms it). */
  reviewCase: (id: string, sheet: ReviewSheet, password: string) =>
    request<CaseFileReview>("POST", `/cases/${encodeURIComponent(id)}/reviews`, { body: { ...sheet, password } }),
  /** The published penalty results, newest first: for anyone, without signing in. */
  published: async (limit = 20, offset = 0): Promise<PublishedList> => {
    const got = await request<Partial<PublishedList>>("GET", "/public/disclosures" + query({ limit, offset }), {
      quiet401: true,
    });
    return { total: got.total ?? 0, results: got.results ?? [] };
  },
  /** The administration acts on the log for a day (`YYYYMMDD`; today without one). */
  adminActs: async (day = ""): Promise<AdminActEntry[]> =>
    (await request<{ acts?: AdminActEntry[] }>("GET", "/admin-acts" + query({ day }))).acts ?? [],
  logs: async (kind: LogKind, limit = 200) =>
    (await request<{ entries: LogEntry[] }>("GET", `/logs?kind=${kind}&limit=${limit}`)).entries,
  devices: async (): Promise<DeviceList> => {
    const got = await request<Partial<DeviceList>>("GET", "/devices");
    return { devices: got.devices ?? [], may_manage: got.may_manage ?? false };
  },
  /** The bureau's people and their signing keys (the head, supervision, the administrator). */
  people: async (): Promise<{ people: PersonItem[] }> => {
    const got = await request<{ people?: PersonItem[] }>("GET", "/people");
    return { people: got.people ?? [] };
  },
  /** Refuses the tablet and every signing key made on it from now on; cannot be undone. Signed
   * onto the log by the administrator (the password confirms it). */
  revokeDevice: (id: string, reason: string, password: string) =>
    request<Revocation>("POST", `/devices/${encodeURIComponent(id)}/revoke`, { body: { reason, password } }),
  /** 双随机: a page of the draws (newest first), how many there are, whether this account plans
   * them, and who may be drawn. */
  draws: async (limit = 20, offset = 0): Promise<DrawList> => {
    const got = await request<Partial<DrawList>>("GET", "/draws" + query({ limit, offset }));
    return {
      draws: got.draws ?? [],
      total: got.total ?? got.draws?.length ?? 0,
      may_draw: got.may_draw ?? false,
      inspectors: got.inspectors ?? [],
    };
  },
  /** Reads a register file (CSV, UTF-8 or GBK) for a look before planning; nothing is kept. */
  previewRegister: (file: Blob) => request<RegisterPreview>("POST", "/draws/register", { file }),
  /** 抽查计划, signed by this account (the password confirms it). */
  planDraw: (plan: PlanForm, password: string) =>
    request<DrawItem>("POST", "/draws", { body: { ...plan, password } }),
  /** 随机抽取 of a plan whose seed the log holds, signed by this account. */
  makeDraw: (id: string, password: string) =>
    request<DrawItem>("POST", `/draws/${encodeURIComponent(id)}/draw`, { body: { password } }),
  /** 检查结果 of a drawn target, signed by this account. */
  reportDraw: (id: string, report: ReportForm, password: string) =>
    request<DrawItem>("POST", `/draws/${encodeURIComponent(id)}/reports`, { body: { ...report, password } }),
  /** A page of the published draws, newest first, for anyone; how many plans there are. */
  publishedDraws: async (limit: number, offset: number): Promise<{ draws: DrawItem[]; total: number }> => {
    const got = await request<{ draws?: DrawItem[]; total?: number }>(
      "GET",
      `/public/draws?limit=${limit}&offset=${offset}`,
      { quiet401: true },
    );
    return { draws: got.draws ?? [], total: got.total ?? 0 };
  },
  /** The desk accounts (the administrator). */
  accounts: async (): Promise<{ accounts: AccountItem[] }> => {
    const got = await request<{ accounts?: AccountItem[] }>("GET", "/accounts");
    return { accounts: got.accounts ?? [] };
  },
  /** Makes a desk account (the administrator); the code its holder activates it with, shown once. */
  makeAccount: (form: AccountForm) => request<ActivationCode>("POST", "/accounts", { body: form }),
  /** Resets a desk account (the administrator, their password typed again); its new activation code. */
  resetAccount: (login: string, confirm: string) =>
    request<ActivationCode>("POST", `/accounts/${encodeURIComponent(login)}/reset`, { body: { confirm } }),
  /** Disables a desk account (the administrator, their password typed again). */
  disableAccount: (login: string, confirm: string) =>
    request<null>("POST", `/accounts/${encodeURIComponent(login)}/disable`, { body: { confirm } }),
  /** Lifts a desk account's lock (the administrator, their password typed again). */
  unlockAccount: (login: string, confirm: string) =>
    request<null>("POST", `/accounts/${encodeURIComponent(login)}/unlock`, { body: { confirm } }),
  /** The account an activation code opens, and the authenticator to enrol. */
  enrolment: (login: string, code: string) => request<Enrolment>("POST", "/activation", { body: { login, code } }),
  /** Activates an account with the password chosen and a code of the authenticator; signed in. */
  async activate(form: { login: string; code: string; password: string; totp: string }): Promise<Account> {
    const s = await request<Session>("POST", "/activate", { body: form });
    keepCsrf(s.csrf);
    return s.account;
  },
  /** Changes this account's password; every session of it ends, this one too. */
  async changePassword(old: string, fresh: string): Promise<void> {
    await request<void>("POST", "/password", { body: { old, new: fresh } });
    keepCsrf(null);
  },
  issueEnrolmentCode: (squad: string, password: string) =>
    request<EnrolmentCode>("POST", "/enrolment-codes", { body: { squad, password } }),
  /** 权责清单 and 文书固定用语 in force (the roles that see the devices). */
  bureauFiles: () => request<BureauFiles>("GET", "/bureau-files"),
  /** What importing the file (its text) would change; nothing is kept. A refused file: 400. */
  previewBureauFile: (kind: BureauFileKind, text: string) =>
    request<BureauFilePreview>("POST", `/bureau-files/${kind}/preview`, { body: { text } }),
  /**
   * Puts the file in force in place of the one previewed (`replacing`: 409 if another replaced it
   * meanwhile). The administrator's act, signed onto the log (the password confirms it).
   */
  importBureauFile: (kind: BureauFileKind, text: string, replacing: string, password: string) =>
    request<BureauFileImported>("POST", `/bureau-files/${kind}`, { body: { text, replacing, password } }),
};
