// The one typed module over the Tauri commands. Components never call `invoke` themselves.
import { Channel, invoke } from "@tauri-apps/api/core";

export type Urgency = "pending" | "due_soon" | "overdue";

export interface Deadline {
  kind: { kind: "decision" | "delivery" | "preservation" | "inform_complainant"; notice?: string };
  due: number;
  urgency: Urgency;
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
  header: { id: string; address?: string; summary: string; squad: string; location: { address: string; grid: string } };
  source_zh: string;
  registered_by_name: string;
  events: EventView[];
  /** The investigation team (assigned when the investigation started): only they write records. */
  team?: { id: string; name: string }[];
  /** Person ids of those who recused themselves from the case. */
  recused?: string[];
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

/** An act on a case, as the procedure names it. */
export type Act =
  | { act: "file" }
  | { act: "decline_filing"; reason: string }
  | { act: "return_filing"; comments: string }
  | { act: "resubmit_filing"; note: string }
  | { act: "start_investigation"; team: string[] }
  | { act: "conclude_investigation"; summary: string }
  | { act: "legal_review"; passed: boolean; opinion: string };

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
  };
  signatures: { officer: OfficerRef; at: number }[];
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
  signature: { by: "signed" | "refused"; note?: string } | null;
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
}

/** Where a sync is: records (one round trip), then evidence files. */
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
  people: () => call<Person[]>("people"),
  unsyncedCases: () => call<string[]>("unsynced_cases"),
  exportCase: (id: string) => call<string>("export_case", { case: id }),
  /** The file's bytes go as the raw request body, not as JSON. */
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
  syncStatus: () => call<SyncStatus>("sync_status"),
  sync: (onProgress: (p: SyncProgress) => void) => {
    const progress = new Channel<SyncProgress>();
    progress.onmessage = onProgress;
    return call<SyncReport>("sync", { progress });
  },
};
