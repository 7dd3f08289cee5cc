// The one typed module over the Tauri commands. Components never call `invoke` themselves.
import { Channel, invoke } from "@tauri-apps/api/core";

/** How close a deadline is; `late`: 逾期办理 — met after it passed, with a reason, still shown. */
export type Urgency = "pending" | "due_soon" | "overdue" | "late";

export interface Deadline {
  kind: { kind: DeadlineKindCode; notice?: string };
  due: number;
  urgency: Urgency;
  /** When it was met late, and the reason recorded. */
  met_late?: [number, string] | null;
}

export interface CaseRow {
  id: string;
  squad: string;
  status: string;
  domain: string;
  domain_name: string;
  violation: string;
  violation_name: string;
  source: string;
  address: string;
  grid: string;
  parties: string;
  summary: string;
  registered_at: number;
  updated_at: number;
  deadlines: Deadline[];
  anomalies: number;
  /** Whose case it is: the registrar, then the investigating officers (person ids). */
  people: string[];
  /** Role codes whose act the case waits for (the leader's queue). */
  waiting_on?: string[];
}

export interface CaseFilter {
  status?: string;
  domain?: string;
  grid?: string;
  squad?: string;
  /** A person's own cases: registered or investigated by them. */
  person?: string;
  text?: string;
  due?: "overdue" | "due_soon" | "urgent";
  /** A role code: the cases waiting on that role's act. */
  waiting_on?: string;
  limit?: number;
  offset?: number;
}

export interface Domain {
  code: string;
  name: string;
  violations: { code: string; name: string }[];
}

export interface AppInfo {
  data_dir: string;
  device_id: string;
  case_count: number;
  /** Cases with a deadline already passed. */
  overdue: number;
  /** Cases with a deadline within the due-soon window. */
  due_soon: number;
}

/** A person enrolled with the bureau. */
export interface Person {
  id: string;
  name: string;
  role: string;
  cert_no: string | null;
  squad: string;
}

/** Whether the person holds an enforcing role (执法队员, 中队长, 负责人): only they inspect, question,
 * capture and sign evidence; assistants, legal reviewers and administrators do not. */
export const enforces = (p: Person) => ["enforcement_officer", "squad_leader", "head"].includes(p.role);

/** A case as an officer registers it (登记). */
export type CaseSource =
  | { kind: "self_discovered" }
  | { kind: "complaint"; complainant: string; contact: string; via_12319: boolean }
  | { kind: "referral"; department: string }
  | { kind: "assigned"; authority: string }
  | { kind: "digital_platform"; ticket: string };

export interface NewCase {
  source: CaseSource;
  violation: string;
  address: string;
  grid: string;
  gps: { lat: number; lon: number } | null;
  parties: { kind: "person" | "business"; name: string; id_number: null; phone: null }[];
  summary: string;
}

/** One case as the detail screen shows it. */
export interface CaseDetail {
  row: CaseRow;
  header: {
    id: string;
    address?: string;
    summary: string;
    squad: string;
    location: { address: string; grid: string };
    parties?: { kind: "person" | "business"; name: string; id_number: string | null; phone: string | null }[];
  };
  source_zh: string;
  registered_by_name: string;
  events: EventView[];
  /** The investigation team (assigned when the investigation started, without anyone who recused
   * since), with names: only they write records. Who recused is `state.recused`. */
  team?: { id: string; name: string }[];
  /** The case as the rules see it (replayed from its events). */
  state?: CaseState;
  /** The acts that may come next, who may do them, and what still blocks each. */
  next_steps?: NextStep[];
  /** The violation type from the catalogue: legal basis and discretion standards. */
  violation?: ViolationInfo;
  /** Fines from which a hearing must be offered, by party kind. */
  hearing_thresholds?: HearingThresholds;
  /** Yuan still to pay under the decision. */
  money_due?: number;
  /** Who may do each act, as the rules' one table (`ActKind::signers`) says. */
  signers?: Partial<Record<ActName, RoleCode[]>>;
  /** 案卷评查: the reviews desks signed about the closed case, oldest first. */
  reviews?: FileReview[];
  /** This tablet's entries about the case the station refused and an officer set aside. */
  set_aside?: { entries: number; reason: string } | null;
}

/** A case-file review (案卷评查) a desk signed, as the squad reads it. */
export interface FileReview {
  /** The signed entry's hash. */
  entry: string;
  at: number;
  /** Who signed it, by name. */
  reviewers: string[];
  /** The sheet as far as this tablet holds it: read, not fetched yet (a sync fetches it), or
   * held but not what the signed entry names. */
  sheet:
    | { state: "read"; sheet: ReviewSheet }
    | { state: "pending" }
    | { state: "unreadable"; why: string };
}

/** A review's sheet: the total and grade follow from the lines as scored. */
export interface ReviewSheet {
  total: number;
  grade: "excellent" | "passing" | "failing";
  grade_zh: string;
  comment: string;
  lines: { zh: string; max: number; score: number; comment: string }[];
}

/** One signed entry of a case's whole-process record. */
export interface RecordItem {
  no: number;
  section_zh: string;
  title: string;
  time: number;
  signers: string[];
  device: string;
  seq: number;
}

/** A case's whole-process record and whether all of it verifies. */
export interface CaseRecord {
  items: RecordItem[];
  verified: boolean;
  problems: string[];
}

// ---- Issue 12: the whole procedure (types shared by every act panel) -------------------------

/** Which deadline (deadline.kind.kind). */
export type DeadlineKindCode =
  | "decision"
  | "delivery"
  | "preservation"
  | "inform_complainant"
  | "payment"
  | "disclosure"
  | "correct_disclosure"
  | "follow_up";

/** Case status codes (CaseRow.status, CaseState.status). */
export type CaseStatus =
  | "registered"
  | "returned"
  | "filed"
  | "not_filed"
  | "transferred"
  | "investigating"
  | "investigation_concluded"
  | "notified"
  | "legal_reviewed"
  | "decided"
  | "delivered"
  | "executed"
  | "closed"
  | "disclosed"
  | "handled"
  | "correcting";

/** Role codes (Person.role, NextStep.roles, CaseRow.waiting_on). */
export type RoleCode =
  | "enforcement_officer"
  | "assistant"
  | "squad_leader"
  | "legal_reviewer"
  | "head"
  | "administrator";

/** 裁量: 不予处罚 / 减轻 / 从轻 / 一般 / 从重. */
export type Discretion = "no_penalty" | "mitigated" | "lighter" | "standard" | "heavier";
export const DISCRETIONS: Discretion[] = ["no_penalty", "mitigated", "lighter", "standard", "heavier"];

/** One penalty (行政处罚的种类); money in whole yuan. */
export type Penalty =
  | { kind: "warning" }
  | { kind: "fine"; yuan: number }
  | { kind: "confiscate_gains"; yuan: number }
  | { kind: "confiscate_property"; items: string }
  | { kind: "suspend_business" }
  | { kind: "revoke_licence" };
export type PenaltyKind = Penalty["kind"];

/** 拟处罚决定 as the prior notice states it. */
export interface Proposal {
  discretion: Discretion;
  penalties: Penalty[];
  facts: string;
  reasons: string;
  basis: string;
}

/** 送达方式. */
export type DeliveryMethod =
  | { kind: "direct" }
  | { kind: "left_at_address" }
  | { kind: "post" }
  | { kind: "entrusted" }
  | { kind: "forwarded" }
  | { kind: "electronic"; party_consented: boolean }
  | { kind: "public_notice" };

/** 送达回证. */
export interface DeliveryReceipt {
  recipient: string;
  refused: boolean;
  witnesses: string[];
  note: string;
  /** SHA-256 (hex) of the recipient's signature drawn on the tablet (签收); set by the app from
   * the drawing sent with `deliverSigned`, never by the panel. */
  signature?: string | null;
}

/** 执行: bank receipt (罚缴分离), complied, or compelled. */
export type Execution =
  | { kind: "paid_at_bank"; receipt_no: string; yuan: number }
  | { kind: "complied" }
  | { kind: "compelled"; note: string };

export type TransferTo = "department" | "police";

/** An act on a case, as the procedure names it (serde of qc_domain::Act). */
export type Act =
  | { act: "file" }
  | { act: "decline_filing"; reason: string }
  | { act: "return_filing"; comments: string }
  | { act: "resubmit_filing"; note: string }
  | { act: "transfer"; to: string; reason: string; kind: TransferTo; materials: string }
  | { act: "start_investigation"; team: string[] }
  | { act: "preservation_notice"; notice: string; items: string }
  | { act: "preservation_decision"; notice: string; outcome: string; late_reason: string | null }
  | { act: "conclude_investigation"; summary: string }
  | { act: "notify"; hearing_offered: boolean; proposal: Proposal | null }
  | { act: "hear_statement"; waived: boolean; statement: string; accepted: boolean; reasons: string }
  | { act: "request_hearing"; note: string }
  | { act: "hold_hearing"; participants: string; record: string; opinion: string }
  | { act: "legal_review"; passed: boolean; opinion: string; major?: boolean }
  | { act: "collective_discussion"; participants: string[]; opinions: string; conclusion: string }
  | { act: "extend_deadline"; days: number; reason: string; late_reason: string | null }
  | {
      act: "decide";
      discretion: Discretion;
      summary: string;
      penalties: Penalty[];
      basis: string;
      late_reason: string | null;
    }
  | { act: "summary_decision"; penalties: Penalty[]; facts: string; basis: string; certificate_shown: boolean }
  | { act: "deliver"; method: DeliveryMethod; late_reason: string | null; receipt: DeliveryReceipt | null }
  | { act: "urge_payment"; note: string }
  | { act: "apply_enforcement"; court: string; note: string }
  | { act: "execute"; execution: Execution }
  | { act: "close"; report: string }
  | { act: "disclose"; text: string; late_reason: string | null }
  | { act: "revoke_decision"; authority: string; reason: string }
  | { act: "correct_disclosure"; explanation: string; text: string }
  | { act: "inform_complainant"; how: string }
  | { act: "recuse"; officer: string; reason: string }
  | { act: "advise"; advice: string }
  | { act: "order_correction"; order: string; correct_by: number }
  | { act: "follow_up"; corrected: boolean; note: string };

/** An act's snake_case name. */
export type ActName = Act["act"];
/** The act of that name, e.g. `ActOf<"notify">`. */
export type ActOf<N extends ActName> = Extract<Act, { act: N }>;

/** The prior notice as given. */
export interface NoticeGiven {
  at: number;
  hearing_offered: boolean;
  proposal: Proposal | null;
}

/** A deadline met late, and why. */
export interface LateAct {
  kind: { kind: DeadlineKindCode; notice?: string };
  due: number;
  done_at: number;
  reason: string;
}

/** The case as the rules see it (serde of qc_domain::CaseState). */
export interface CaseState {
  status: CaseStatus;
  filed_at: number | null;
  filing_outcome_at?: number | null;
  decided_at: number | null;
  delivered_at: number | null;
  extension_days: number | null;
  legal_review_passed: boolean;
  notice: NoticeGiven | null;
  statement_heard: boolean;
  hearing: "none" | "requested" | "held";
  major: boolean;
  discussed: boolean;
  decision: { discretion: Discretion; penalties: Penalty[]; summary_procedure: boolean } | null;
  urged_at: number | null;
  enforcement_applied: boolean;
  disclosed_at: number | null;
  revoked_at: number | null;
  disclosure_corrected: boolean;
  correct_by: number | null;
  late: LateAct[];
  team: string[];
  recused: string[];
  open_preservations: { notice: string; issued_at: number }[];
  complainant_informed: boolean;
  anomalies: { event: string; reason: string }[];
}

/** An act that may come next: who may do it, and what still blocks it (Chinese), if anything. */
export interface NextStep {
  act: ActName;
  zh: string;
  roles: RoleCode[];
  missing: string | null;
}

/** One level of the catalogue's discretion standard (自由裁量基准). */
export interface DiscretionStandard {
  level: Discretion;
  min_yuan: number;
  max_yuan: number;
  circumstances: string;
}

/** The violation type from the catalogue (权责清单). */
export interface ViolationInfo {
  code: string;
  name: string;
  basis: { violated: string; penalty: string } | null;
  standards: DiscretionStandard[];
}

/** Fines (yuan) from which a hearing must be offered. */
export interface HearingThresholds {
  person_fine_yuan: number;
  organisation_fine_yuan: number;
}

/** A squad's 721 ratio for a period: counts of 服务, 管理, 执法. */
export interface Ratio721 {
  service: number;
  management: number;
  enforcement: number;
}

// ---- end of issue 12 types --------------------------------------------------------------------

/** One act in a case's timeline (acts the app does not make carry only their name). */
export interface EventView {
  id: string;
  at: number;
  act_zh: string;
  act: Act | { act: "other" };
  actors: string[];
}

/** An enforcement officer as a record names them. */
export interface OfficerRef {
  person: string;
  name: string;
  cert_no: string;
}

/** An evidence item: what the officers signed, and who signed. */
export interface EvidenceItem {
  facts: {
    id: string;
    sha256: string;
    size: number;
    mime: string;
    kind: "photo" | "audio" | "video" | "document";
    file_name: string;
    description: string;
    captured_at: number;
    exif: {
      captured_at: string | null;
      gps: { lat: number; lon: number } | null;
      make: string | null;
      model: string | null;
    } | null;
    thumbnail: string | null;
    attestation?: CopyAttestation | null;
    /** The time a recording covers (ms since the epoch): the tablet's clock for one made here,
     * the camera's (its file's own start and length) for a clip imported. */
    span?: { from: number; to: number };
    /** The records (a questioning's transcript) it records, by id. */
    covers?: string[];
    /** How it came to be kept (a recording an interruption ended). */
    note?: string;
    /** The original this is a redacted copy of (打码副本). */
    redacts?: { original: string; original_sha256: string; reason: string };
  };
  signatures: { officer: OfficerRef; at: number }[];
  /** 关联执法记录: the acts officers confirmed it records, each link signed by one. */
  links?: { acts: string[]; by: OfficerRef; at: number }[];
  /** 删除原件: its file deleted with the head's approval; the item and its hash stay. */
  deleted?: { reason: string; by: OfficerRef; at: number };
}

/** A record or workflow act of a case that a recording may record. */
export interface CaseAct {
  id: string;
  /** What it is, in Chinese (询问笔录（赵强）, 送达). */
  title: string;
  from: number;
  to: number;
}

/** The acts of a case, and per recording (evidence id) those it probably records. */
export interface FootageLinks {
  acts: CaseAct[];
  proposed: Record<string, string[]>;
}

/** What is being recorded, given when it starts. */
export interface RecordingPlan {
  kind: "audio" | "video";
  /** The recorder's type (names the file; what is kept is told from the bytes). */
  mime: string;
  covers: string[];
  description: string;
  /** The officers told the party it is recorded. */
  told: boolean;
}

/** A recording left on this tablet unkept (a crash, or a stop whose keeping failed). */
export interface RecordingLeft {
  id: string;
  case: string;
  kind: "audio" | "video";
  description: string;
  started_at: number;
  last_at: number | null;
  stopped_at: number | null;
  bytes: number;
  by: string[];
}

/** 打码副本: the original a redacted copy is of, and what it hides and why. */
export interface Redacts {
  original: string;
  reason: string;
}

/** A copy of a document marked "经核对与原件无异": where the original is, when it was checked and by whom. */
export interface CopyAttestation {
  source: string;
  date: string;
  signer: string;
}

/** Why the party did not sign a record: they were there and refused, or they were absent. */
export type NoPartySignature = "refused" | "absent";

/** A witness's sign-off as the officers take it (the signature comes from the pad). */
export interface WitnessSignoff {
  name: string;
  idNumber: string;
  /** Why the party did not sign, in words. */
  reason: string;
  why: NoPartySignature;
}

/** An on-site inspection record's content (现场检查笔录). */
export interface Inspection {
  kind: "inspection";
  place: { address: string; grid: string };
  started_at: number;
  ended_at: number | null;
  officers: OfficerRef[];
  party_notified: boolean;
  party_present: boolean;
  found: string;
  outcome: "service" | "management" | "enforcement" | null;
}

/** One page of a questioning transcript: questions and answers, then a signature or refusal. */
export interface TranscriptPage {
  qa: { question: string; answer: string }[];
  signature: { by: "signed" | "refused"; note?: string; at: number } | null;
}

/** A questioning transcript's content (询问笔录). */
export interface Questioning {
  kind: "questioning";
  interviewee: { name: string; capacity: string };
  location: string;
  ended_at: number | null;
  officers: OfficerRef[];
  rights_acknowledged: boolean;
  pages: TranscriptPage[];
}

/** A field record as the case holds it: live content, and the seal once sealed. */
export interface StoredRecord {
  live: {
    id: string;
    body: Inspection | Questioning | Notice;
    signoff: {
      by: "party" | "witness" | "officers_note";
      name?: string;
      note?: string;
      party_did_not_sign?: NoPartySignature;
    } | null;
    /** The sealed record this one corrects (更正), if it is a correction. */
    corrects?: string | null;
  };
  seal: { digest: string; at: number; by: string[] } | null;
}

/** A 证据先行登记保存通知书 or 抽样取证凭证: the items, where they are kept, the party. */
export interface Notice {
  kind: "preservation" | "sampling";
  items: { name: string; quantity: string }[];
  kept_at: string;
  officers: OfficerRef[];
  party: { kind: "person" | "business"; name: string; id_number: string | null; phone: string | null } | null;
  issued_at: number;
}

/** A notice as the officers fill it in, before it is issued. */
export type NoticeDraft = Pick<Notice, "kind" | "items" | "kept_at" | "party">;

/** What the officers write on an inspection record as it goes. */
export interface InspectionEdit {
  found: string;
  outcome: Inspection["outcome"];
  party_notified: boolean;
  party_present: boolean;
  finished: boolean;
}

/** What waits for the base station. */
export interface SyncStatus {
  station: string | null;
  unsynced_entries: number;
  unsynced_cases: number;
  pending_files: number;
  log_size: number;
  /** This tablet's entries the station refused at the last sync, by case: until they are set
   * aside (搁置), no sync goes through. */
  refused?: RefusedCase[];
}

/** Entries about one case the station refused. */
export interface RefusedCase {
  case: string;
  /** Its address as listed here (empty when not held). */
  address: string;
  entries: number;
  /** Why, in Chinese, each reason once. */
  reasons: string[];
  /** Whether an officer may set them aside here (else they go up again at the next sync). */
  can_set_aside: boolean;
}

/** What setting aside did. */
export interface SetAside {
  case: string;
  entries: number;
  /** The station never took the case: it left this tablet's list (kept on the tablet). */
  case_removed: boolean;
}

/** Where a sync is: records (one round trip), then evidence files. */
/** How far an import of files has come. */
export interface ImportProgress {
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
}

/** What became of each file of an import. */
export interface ImportReport {
  files: { file_name: string; evidence: string | null; error: string | null }[];
  /** Stopped before the end: the file being read then was not kept. */
  cancelled: boolean;
}

export interface SyncProgress {
  stage: "records" | "evidence" | "done";
  items_done: number;
  items_total: number;
  bytes_done: number;
  bytes_total: number;
}

/** What a sync did. */
export interface SyncReport {
  sent: number;
  docs_sent: number;
  docs_received: number;
  receipts: number;
  blobs_sent: number;
  blob_bytes: number;
  log_size: number;
  /** 双随机 tasks now held for this device's people. */
  tasks?: number;
  /** What became of the catalogue and wording the station sent (Chinese), if it sent any. */
  bureau?: string | null;
}

/** 双随机抽查任务: a target drawn for inspection, and the two officers drawn to inspect it. */
export interface InspectionTask {
  draw: string;
  title: string;
  drawn_at: number;
  target: { id: string; name: string; address: string; category: string };
  inspectors: { id: string; name: string; squad: string }[];
}

/** 检查结果: what the inspection of a drawn target found. */
export type InspectionOutcome = "compliant" | "corrected" | "case_filed" | "not_found";

/** An inspection's result as signed on this tablet. */
export interface InspectionReport {
  draw: string;
  target: string;
  outcome: InspectionOutcome;
  /** The case filed, for `case_filed`. */
  case: string;
  note: string;
  reported_at: number;
}

/** A document (执法文书) as issued: its 文号, the digests of its data and PDF, who issued it. */
export interface IssuedDocument {
  kind: string;
  source: string;
  /** 文号, or empty for a document that has none. */
  number: string;
  data: string;
  pdf: string;
  pages: number;
  at: number;
  by: string[];
}

/** A document the case can issue now, and its latest issue. */
export interface DocumentRow {
  /** The kind's stable name (`decision`…). */
  kind: string;
  /** Its title (行政处罚决定书). */
  title: string;
  /** What it is made from: `event:<id>`, `record:<id>` or `case`. */
  source: string;
  at: number;
  issued: IssuedDocument | null;
  /** Issued, but the record now says something else: issuing again gives a new 文号. */
  outdated: boolean;
  /** Issued as the case still says, under the bureau's earlier wording or catalogue. */
  bureau_changed: boolean;
}

/** A document's pages (PNG, base64) as they would be or were issued. */
export interface DocumentPreview {
  title: string;
  /** The 文号 it has, or would get if issued now. */
  number: string;
  issued: IssuedDocument | null;
  pages: string[];
}

/** An error from the app: a stable code and a message already in Chinese. */
export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
    public detail = "",
  ) {
    super(message);
  }

  /** What went wrong as an ApiError: itself, or anything else thrown, coded "unknown". */
  static from(e: unknown): ApiError {
    return e instanceof ApiError ? e : new ApiError("unknown", String(e));
  }
}

function isWire(e: unknown): e is { code: string; message: string; detail?: string } {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(
  command: string,
  args?: Record<string, unknown> | Uint8Array,
  headers?: Record<string, string>,
): Promise<T> {
  try {
    return await invoke<T>(command, args, headers ? { headers } : undefined);
  } catch (e) {
    if (isWire(e)) throw new ApiError(e.code, e.message, e.detail ?? "");
    throw new ApiError("unavailable", String(e));
  }
}

export const api = {
  listCases: (filter: CaseFilter) => call<CaseRow[]>("list_cases", { filter }),
  countCases: (filter: CaseFilter) => call<number>("count_cases", { filter }),
  grids: () => call<string[]>("grids"),
  catalogue: () => call<Domain[]>("catalogue"),
  appInfo: () => call<AppInfo>("app_info"),
  signers: () => call<Person[]>("signers"),
  signIn: (person: string, pin: string) => call<Person[]>("sign_in", { person, pin }),
  signOut: (person: string) => call<Person[]>("sign_out", { person }),
  signedIn: () => call<Person[]>("signed_in"),
  registerCase: (c: NewCase) => call<string>("register_case", { case: c }),
  caseDetail: (id: string) => call<CaseDetail>("case_detail", { case: id }),
  caseRecord: (id: string) => call<CaseRecord>("case_record", { case: id }),
  recordAct: (id: string, act: Act) => call<void>("record_act", { case: id, act }),
  /** 送达 with the recipient's signature drawn on the pad (PNG) for the 送达回证: one JSON call,
   * the act as `recordAct` sends it and the few KB of the drawing as an array of numbers. */
  deliverSigned: (id: string, act: Act, png: Uint8Array) =>
    call<void>("deliver_signed", { case: id, act, signature: Array.from(png) }),
  /** A squad's (null: every squad's) 721 ratio between two ms timestamps. */
  ratio721: (squad: string | null, from: number, to: number) => call<Ratio721>("ratio_721", { squad, from, to }),
  people: () => call<Person[]>("people"),
  /** The 双随机 tasks of this device's people, as the last sync brought them. */
  inspectionTasks: () => call<InspectionTask[]>("inspection_tasks"),
  /** The inspection results recorded on this tablet, oldest first. */
  inspectionReports: () => call<InspectionReport[]>("inspection_reports"),
  /** The two drawn inspectors, signed in, sign what they found at the target. */
  reportInspection: (found: {
    draw: string;
    target: string;
    outcome: InspectionOutcome;
    case: string;
    note: string;
  }) => call<InspectionReport>("report_inspection", { found }),
  /** 搁置: the refused entries about a case, as the first enforcement officer signed in decides. */
  setAside: (caseId: string) => call<SetAside>("set_aside", { case: caseId }),
  unsyncedCases: () => call<string[]>("unsynced_cases"),
  exportCase: (id: string) => call<string>("export_case", { case: id }),
  /** Files to import, chosen in the platform's dialog (a folder: its files); none if closed. */
  pickEvidence: (folder: boolean) => call<string[]>("pick_evidence", { folder }),
  /** Imports files by path, each one evidence item, streamed by the app, never read by the page. */
  importEvidence: (
    id: string,
    paths: string[],
    description: string,
    attestation: CopyAttestation | null,
    onProgress: (p: ImportProgress) => void,
    redacts: Redacts | null = null,
  ) => {
    const progress = new Channel<ImportProgress>();
    progress.onmessage = onProgress;
    return call<ImportReport>("import_evidence", { form: { case: id, paths, description, attestation, redacts }, progress });
  },
  /**
   * Where the window's players read evidence files by range (the app's loopback server, with
   * this run's token): a file is `${base}${case}/${sha256}`.
   */
  mediaBase: () => call<string>("media_base"),
  /** Makes an evidence file ready to play: fetched from the station when this tablet lacks it. */
  prepareMedia: (id: string, sha256: string) => call<void>("prepare_media", { case: id, sha256 }),
  /** Starts recording evidence of a case by the officers signed in; the recording's id. */
  startRecording: (id: string, plan: RecordingPlan) => call<string>("start_recording", { case: id, plan }),
  /** Writes the next piece of a recording to the tablet's disk (raw bytes); the bytes it holds now. */
  recordPiece: (recording: string, piece: Uint8Array) =>
    call<number>("record_piece", piece, { "x-recording": encodeURIComponent(recording) }),
  /** Stops a recording and keeps it as evidence signed by the officers signed in; its id. */
  finishRecording: (recording: string) => call<string>("finish_recording", { id: recording }),
  /** Recordings an interruption (a crash, a flat battery) left on this tablet. */
  recordingsLeft: () => call<RecordingLeft[]>("recordings_left"),
  /** Keeps a recording an interruption left as evidence, with a note of how it ended; its id. */
  keepRecordingLeft: (recording: string) => call<string>("keep_recording_left", { id: recording }),
  /** Stops the import under way: the file being read is not kept, those before it are. */
  cancelImport: () => call<void>("cancel_import"),
  /** A photo taken with the camera: its bytes go as the raw request body, not as JSON. */
  addEvidence: async (id: string, file: File, description: string, attestation: CopyAttestation | null = null) =>
    call<string>("add_evidence", new Uint8Array(await file.arrayBuffer()), {
      "x-case": encodeURIComponent(id),
      "x-file-name": encodeURIComponent(file.name),
      "x-description": encodeURIComponent(description),
      ...(attestation
        ? {
            "x-attest-source": encodeURIComponent(attestation.source),
            "x-attest-date": encodeURIComponent(attestation.date),
            "x-attest-signer": encodeURIComponent(attestation.signer),
          }
        : {}),
    }),
  cosignEvidence: (id: string, item: string) => call<void>("cosign_evidence", { case: id, item }),
  evidence: (id: string) => call<EvidenceItem[]>("evidence", { case: id }),
  footageLinks: (id: string) => call<FootageLinks>("footage_links", { case: id }),
  /** The officer signed in first confirms, signing, which acts a recording records. */
  linkEvidence: (id: string, item: string, acts: string[]) => call<void>("link_evidence", { case: id, item, acts }),
  /** The head signed in first approves deleting an evidence item's file (删除原件). */
  deleteOriginal: (id: string, item: string, reason: string) => call<void>("delete_original", { case: id, item, reason }),
  records: (id: string) => call<StoredRecord[]>("records", { case: id }),
  startInspection: (id: string) => call<string>("start_inspection", { case: id }),
  issueNotice: (id: string, notice: NoticeDraft) => call<string>("issue_notice", { case: id, notice }),
  updateInspection: (id: string, record: string, edit: InspectionEdit) =>
    call<void>("update_inspection", { case: id, record, edit }),
  /** The signature drawn on the tablet goes as the raw request body (PNG). */
  signOffParty: (id: string, record: string, name: string, png: Uint8Array) =>
    call<void>("sign_off_party", png, {
      "x-case": encodeURIComponent(id),
      "x-record": encodeURIComponent(record),
      "x-name": encodeURIComponent(name),
    }),
  /** An uninterested witness signs for a party who refused or was absent (the drawing as the raw body). */
  signOffWitness: (id: string, record: string, witness: WitnessSignoff, png: Uint8Array) =>
    call<void>("sign_off_witness", png, {
      "x-case": encodeURIComponent(id),
      "x-record": encodeURIComponent(record),
      "x-name": encodeURIComponent(witness.name),
      "x-id-number": encodeURIComponent(witness.idNumber),
      "x-reason": encodeURIComponent(witness.reason),
      "x-why": witness.why,
    }),
  signOffNote: (id: string, record: string, note: string, partyDidNotSign: NoPartySignature) =>
    call<void>("sign_off_note", { case: id, record, note, partyDidNotSign }),
  sealRecord: (id: string, record: string) => call<void>("seal_record", { case: id, record }),
  startQuestioning: (id: string, name: string, capacity: string, rightsShown: boolean) =>
    call<string>("start_questioning", {
      case: id,
      interviewee: { name, id_number: null, phone: null, capacity },
      rightsShown,
    }),
  addAnswer: (id: string, record: string, question: string, answer: string) =>
    call<void>("add_answer", { case: id, record, qa: { question, answer } }),
  /** A page signed (the drawing as the raw body) or, with a refusal note, refused. */
  closePage: (id: string, record: string, page: number, png: Uint8Array, refusal = "") =>
    call<void>("close_page", png, {
      "x-case": encodeURIComponent(id),
      "x-record": encodeURIComponent(record),
      "x-page": String(page),
      "x-refusal": encodeURIComponent(refusal),
    }),
  endQuestioning: (id: string, record: string) => call<void>("end_questioning", { case: id, record }),
  /** A blob (a thumbnail) as an object URL for an <img>. */
  blobUrl: async (id: string, sha256: string) =>
    URL.createObjectURL(new Blob([await call<ArrayBuffer>("blob", { case: id, sha256 })])),
  caseDocuments: (id: string) => call<DocumentRow[]>("case_documents", { case: id }),
  previewDocument: (id: string, d: Pick<DocumentRow, "kind" | "source">) =>
    call<DocumentPreview>("preview_document", { case: id, kind: d.kind, source: d.source }),
  issueDocument: (id: string, d: Pick<DocumentRow, "kind" | "source">) =>
    call<IssuedDocument>("issue_document", { case: id, kind: d.kind, source: d.source }),
  /** Saves an issued document's PDF (by 文号 or data digest) under exports/; returns the path. */
  saveDocument: (id: string, which: string) => call<string>("save_document", { case: id, which }),
  /** Saves the printable case file (cover, 卷内目录, documents, photos) under exports/; returns the path. */
  saveCaseFile: (id: string) => call<string>("save_case_file", { case: id }),
  syncStatus: () => call<SyncStatus>("sync_status"),
  sync: (onProgress: (p: SyncProgress) => void) => {
    const progress = new Channel<SyncProgress>();
    progress.onmessage = onProgress;
    return call<SyncReport>("sync", { progress });
  },
};
