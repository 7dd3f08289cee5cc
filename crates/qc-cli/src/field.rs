//! `quancheng record …` and `quancheng evidence …`: field records and evidence (调查取证), each
//! act signed by the officers whose PINs are given.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use qc_api::import::{ImportAs, RedactionOf};
use qc_api::recording::{Recording, RecordingPlan};
use qc_api::records::{NoticeDraft, NoticeKind, PageClose, Signoff};
use qc_api::{Quancheng, Unlocked};
use qc_domain::{
    CopyAttestation, Inspection, Interviewee, MediaKind, NoPartySignature, NoticeItem, OfficerRef,
    Outcome721, Page, Party, PartyKind, Qa, Questioning, RecordBody, Timestamp,
};

use crate::output;

/// The acting officer and, for two-officer acts, the second one; each proven by PIN.
#[derive(Debug, clap::Args)]
pub struct Officers {
    /// Acting officer's id.
    #[arg(long)]
    officer: String,
    /// Their PIN (better: QUANCHENG_PIN, which stays out of shell history).
    #[arg(long, env = "QUANCHENG_PIN", hide_env_values = true)]
    pin: String,
    /// The second enforcement officer, for acts that need two (sealing, evidence).
    #[arg(long)]
    second: Option<String>,
    /// The second officer's PIN (better: QUANCHENG_SECOND_PIN).
    #[arg(long, env = "QUANCHENG_SECOND_PIN", hide_env_values = true)]
    second_pin: Option<String>,
}

impl Officers {
    /// The acting person's id.
    pub(crate) fn officer(&self) -> &str {
        &self.officer
    }

    /// Unlocks the acting officer and, if given, the second one.
    pub(crate) fn unlock(&self, app: &mut Quancheng) -> anyhow::Result<Vec<Unlocked>> {
        let mut who = vec![app.unlock(&self.officer, &self.pin)?];
        if let Some(second) = &self.second {
            let pin = self
                .second_pin
                .as_deref()
                .context("--second needs --second-pin (or QUANCHENG_SECOND_PIN)")?;
            who.push(app.unlock(second, pin)?);
        }
        Ok(who)
    }
}

/// A record or evidence item of a case.
#[derive(Debug, clap::Args)]
pub struct On {
    /// Record or evidence id, or a unique prefix of it.
    item: String,
    /// Case id or unique prefix.
    #[arg(long)]
    case: String,
}

impl On {
    fn resolve(&self, app: &Quancheng) -> anyhow::Result<String> {
        Ok(app.resolve_item(&self.case, &self.item)?)
    }
}

/// Kinds of record.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// 现场检查笔录
    Inspection,
    /// 询问笔录
    Transcript,
    /// 证据先行登记保存通知书
    Preservation,
    /// 抽样取证凭证
    Sampling,
}

/// The 721 outcome categories.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    /// 服务
    Service,
    /// 管理
    Management,
    /// 执法
    Enforcement,
}

/// Why the party did not sign a record.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WhyArg {
    /// 当事人拒绝签名 (the party was present)
    Refused,
    /// 当事人不在场
    Absent,
}

/// `quancheng record …`.
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Start a record; the officers given are named on it as present.
    New {
        /// What kind.
        #[arg(value_enum)]
        kind: Kind,
        /// Case id or unique prefix.
        #[arg(long)]
        case: String,
        /// Place (default: the case's address).
        #[arg(long)]
        address: Option<String>,
        /// The party (inspection, notices).
        #[arg(long)]
        party: Option<String>,
        /// The party is a business.
        #[arg(long)]
        business: bool,
        /// The party was not notified to attend (inspection).
        #[arg(long)]
        not_notified: bool,
        /// The party was not present (inspection).
        #[arg(long)]
        party_absent: bool,
        /// The person questioned (transcript).
        #[arg(long)]
        interviewee: Option<String>,
        /// In what capacity they are questioned (transcript).
        #[arg(long, default_value = "当事人")]
        capacity: String,
        /// Their 身份证号 (transcript).
        #[arg(long)]
        id_number: Option<String>,
        /// An item as NAME:QUANTITY (notices; repeatable).
        #[arg(long)]
        item: Vec<String>,
        /// Where the items are kept (notices).
        #[arg(long)]
        kept_at: Option<String>,
        #[command(flatten)]
        who: Officers,
    },
    /// Edit a record that is not sealed yet.
    Edit {
        #[command(flatten)]
        on: On,
        /// What was found (inspection).
        #[arg(long)]
        found: Option<String>,
        /// 721 outcome (inspection).
        #[arg(long, value_enum)]
        outcome: Option<OutcomeArg>,
        /// Mark the inspection or questioning as ended now.
        #[arg(long)]
        end: bool,
        /// The rights notice was shown and acknowledged (transcript).
        #[arg(long)]
        rights_acknowledged: bool,
        /// The recusal question was asked (transcript).
        #[arg(long)]
        recusal_asked: bool,
        /// Add a question (transcript; with --answer).
        #[arg(long, requires = "answer")]
        question: Option<String>,
        /// The answer to --question.
        #[arg(long, requires = "question")]
        answer: Option<String>,
        #[command(flatten)]
        who: Officers,
    },
    /// Close a transcript page: the interviewee's signature image, or the noted refusal.
    SignPage {
        #[command(flatten)]
        on: On,
        /// Page number, from 1.
        #[arg(long)]
        page: usize,
        /// The signature image (PNG or JPEG).
        #[arg(long, conflicts_with = "refused")]
        image: Option<PathBuf>,
        /// The interviewee refused; the officers' note.
        #[arg(long)]
        refused: Option<String>,
        #[command(flatten)]
        who: Officers,
    },
    /// The party's or a witness's signature on an inspection record or notice, or the
    /// officers' note that nobody signed.
    SignOff {
        #[command(flatten)]
        on: On,
        /// The party signed, under this name (with --image).
        #[arg(long, requires = "image", conflicts_with_all = ["witness", "note"])]
        party: Option<String>,
        /// A witness signed, under this name (with --image and --reason); an uninterested
        /// person, neither the party nor an officer of the record.
        #[arg(long, requires_all = ["image", "reason"], conflicts_with = "note")]
        witness: Option<String>,
        /// The witness's 身份证号 (with --witness).
        #[arg(long, requires = "witness")]
        witness_id: Option<String>,
        /// Why the party did not sign, in words (with --witness).
        #[arg(long)]
        reason: Option<String>,
        /// Why the party did not sign (with --witness or --note): refused (the party was
        /// present) or absent. An inspection record's attendance gives it when left out.
        #[arg(long, value_enum, conflicts_with = "party")]
        why: Option<WhyArg>,
        /// The signature image (PNG or JPEG).
        #[arg(long)]
        image: Option<PathBuf>,
        /// No witness, or the witness refused: the officers' note.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        who: Officers,
    },
    /// Seal a record with two officers' signatures; it cannot change afterwards.
    Seal {
        #[command(flatten)]
        on: On,
        #[command(flatten)]
        who: Officers,
    },
    /// Start a correction (更正) of a sealed record: a new record that points at it, starting
    /// from its content.
    Correct {
        /// The sealed record.
        #[command(flatten)]
        on: On,
        #[command(flatten)]
        who: Officers,
    },
    /// The records of a case.
    List {
        /// Case id or unique prefix.
        #[arg(long)]
        case: String,
    },
    /// One record in full.
    Show {
        #[command(flatten)]
        on: On,
    },
}

/// `quancheng evidence …`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Capture files as evidence, each one item, read from disk in one streaming pass (a video's
    /// own time and place kept). With --second, both officers sign at once; otherwise each
    /// waits for a second officer's `evidence cosign`.
    Add {
        /// The files (photo, audio, video or document; the type is read from its content), or
        /// folders (a body camera's: their files).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Case id or unique prefix.
        #[arg(long)]
        case: String,
        /// What it shows.
        #[arg(long, default_value = "")]
        description: String,
        /// For a copy of a document: where the original is ("经核对与原件无异").
        #[arg(long, requires_all = ["attest_date", "attest_signer"])]
        attest_source: Option<String>,
        /// Date the copy was checked against the original.
        #[arg(long)]
        attest_date: Option<String>,
        /// Who checked it.
        #[arg(long)]
        attest_signer: Option<String>,
        /// For a redacted copy (打码副本) of evidence ID of the case (one file): the original,
        /// which stays as it is.
        #[arg(
            long,
            value_name = "ID",
            requires = "reason",
            conflicts_with = "attest_source"
        )]
        redacts: Option<String>,
        /// What the copy hides, and why.
        #[arg(long, requires = "redacts")]
        reason: Option<String>,
        #[command(flatten)]
        who: Officers,
    },
    /// The second enforcement officer signs evidence another officer captured.
    Cosign {
        #[command(flatten)]
        on: On,
        #[command(flatten)]
        who: Officers,
    },
    /// The evidence of a case.
    List {
        /// Case id or unique prefix.
        #[arg(long)]
        case: String,
    },
    /// Record evidence from standard input as it comes (a recorder piped in, `arecord … |`):
    /// each piece written to disk, sealed, before the next is read, so a crash keeps what
    /// came before; kept as one evidence item at the end of the input. The recording's id is
    /// said on standard error when it starts.
    Record {
        /// Case id or unique prefix.
        #[arg(long)]
        case: String,
        /// Audio (同步录音) or video.
        #[arg(long, value_enum, default_value_t = Recorded::Audio)]
        kind: Recorded,
        /// The recorder's type (names the file; the kept type is read from the content).
        #[arg(long, default_value = "audio/mp4")]
        mime: String,
        /// A record it records (the questioning's transcript), by id; may be repeated.
        #[arg(long)]
        covers: Vec<String>,
        /// What it records.
        #[arg(long, default_value = "")]
        description: String,
        /// The party was told they are recorded (said in the evidence's note).
        #[arg(long)]
        told: bool,
        #[command(flatten)]
        who: Officers,
    },
    /// The acts of a case a recording may record, and per recording those proposed (关联执法记录:
    /// the acts its officers took part in about the time it covers).
    Links {
        /// Case id or unique prefix.
        #[arg(long)]
        case: String,
    },
    /// An enforcement officer confirms, signing, which acts a recording records: those given
    /// by --act, else those proposed.
    Link {
        #[command(flatten)]
        on: On,
        /// A record or workflow act it records (id or unique prefix, from `evidence links`);
        /// may be repeated.
        #[arg(long = "act")]
        acts: Vec<String>,
        #[command(flatten)]
        who: Officers,
    },
    /// The head of unit approves deleting an evidence item's file (删除原件), signing: the item
    /// and its hash stay in the case for ever, the bytes go.
    Delete {
        #[command(flatten)]
        on: On,
        /// Why (e.g. footage of bystanders unrelated to the case).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Officers,
    },
    /// Recordings left on this device (a crash, a stop not kept), not yet evidence.
    Recordings,
    /// Keeps a recording a crash left as evidence (with a note of how it ended).
    KeepRecording {
        /// The recording's id (from `evidence recordings`).
        id: String,
        #[command(flatten)]
        who: Officers,
    },
}

/// What a recording records.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Recorded {
    /// 录音.
    Audio,
    /// 录像.
    Video,
}

/// Bytes a piece of a recording from standard input waits for before it is written, unless a
/// second has passed.
const PIECE: usize = 1 << 20;

/// Records standard input a piece at a time (at most [`PIECE`] bytes or a second's).
///
/// Standard input is read on a thread of its own so that what came in is written within a
/// second of its first byte, even while the source is silent: a kill then loses at most that
/// second. A read that fails ends the recording after what came before it is written.
fn record_stdin(recording: &mut Recording) -> anyhow::Result<()> {
    use std::sync::mpsc::RecvTimeoutError;
    let second = std::time::Duration::from_secs(1);
    let (send, reads) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(16);
    let reader = std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let read = match input.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(0) => return,
                read => read.map(|n| buf[..n].to_vec()),
            };
            let failed = read.is_err();
            if send.send(read).is_err() || failed {
                return;
            }
        }
    });
    let mut pending = Vec::with_capacity(PIECE);
    // When the first byte of what is pending came (or, with nothing pending, the last check).
    let mut since = std::time::Instant::now();
    loop {
        let wait = second.saturating_sub(since.elapsed());
        let (ended, failed) = match reads.recv_timeout(wait) {
            Ok(Ok(bytes)) => {
                pending.extend(bytes);
                (false, None)
            }
            Ok(Err(e)) => (true, Some(e)),
            Err(RecvTimeoutError::Timeout) => (false, None),
            Err(RecvTimeoutError::Disconnected) => (true, None),
        };
        if !pending.is_empty() && (ended || pending.len() >= PIECE || since.elapsed() >= second) {
            recording.piece(&pending)?;
            pending.clear();
        }
        if let Some(e) = failed {
            return Err(e).context("无法读取标准输入 (cannot read standard input)");
        }
        if ended {
            return match reader.join() {
                Ok(()) => Ok(()),
                Err(_) => bail!("读取标准输入的线程异常结束 (the standard input reader panicked)"),
            };
        }
        if pending.is_empty() {
            since = std::time::Instant::now();
        }
    }
}

fn read_image(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("无法读取 {} (cannot read)", path.display()))
}

fn party(name: &Option<String>, business: bool) -> Option<Party> {
    name.as_ref().map(|n| Party {
        kind: if business {
            PartyKind::Business
        } else {
            PartyKind::Person
        },
        name: n.clone(),
        id_number: None,
        phone: None,
    })
}

fn items(raw: &[String]) -> anyhow::Result<Vec<NoticeItem>> {
    raw.iter()
        .map(|i| {
            let (name, quantity) = i
                .split_once([':', '：'])
                .context("--item 格式应为 名称:数量 (NAME:QUANTITY)")?;
            Ok(NoticeItem {
                name: name.trim().into(),
                quantity: quantity.trim().into(),
            })
        })
        .collect()
}

/// Why the party did not sign, as an inspection record's attendance says (refused if present,
/// absent if not); a notice records no attendance, so it must be given.
fn party_did_not_sign(app: &Quancheng, case: &str, id: &str) -> anyhow::Result<NoPartySignature> {
    let (records, _) = app.case_file(case)?;
    match records
        .iter()
        .find(|r| r.live.id == id)
        .map(|r| &r.live.body)
    {
        Some(RecordBody::Inspection(i)) if i.party_present => Ok(NoPartySignature::Refused),
        Some(RecordBody::Inspection(_)) => Ok(NoPartySignature::Absent),
        _ => bail!("give --why refused|absent (当事人拒绝签名或不在场)"),
    }
}

/// Runs `quancheng record …`.
pub fn record(app: &mut Quancheng, cmd: &RecordCommand, as_json: bool) -> anyhow::Result<()> {
    match cmd {
        RecordCommand::New {
            kind,
            case,
            address,
            party: party_name,
            business,
            not_notified,
            party_absent,
            interviewee,
            capacity,
            id_number,
            item,
            kept_at,
            who,
        } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let mut place = app.case_detail(case)?.header.location;
            if let Some(a) = address {
                place.address = a.clone();
            }
            let p = party(party_name, *business);
            let items = items(item)?;
            let body: Box<dyn FnOnce(Vec<OfficerRef>, Timestamp) -> RecordBody> = match kind {
                Kind::Inspection => Box::new(move |officers, at| {
                    RecordBody::Inspection(Inspection {
                        place,
                        started_at: at,
                        ended_at: None,
                        officers,
                        party: p,
                        party_notified: !not_notified,
                        party_present: !party_absent,
                        found: String::new(),
                        outcome: None,
                    })
                }),
                Kind::Transcript => {
                    let name = interviewee
                        .clone()
                        .context("a transcript needs --interviewee (被询问人)")?;
                    let interviewee = Interviewee {
                        name,
                        id_number: id_number.clone(),
                        phone: None,
                        capacity: capacity.clone(),
                    };
                    Box::new(move |officers, at| {
                        RecordBody::Questioning(Questioning {
                            interviewee,
                            location: place.address,
                            started_at: at,
                            ended_at: None,
                            officers,
                            rights_acknowledged: false,
                            recusal_asked: false,
                            pages: Vec::new(),
                        })
                    })
                }
                Kind::Preservation | Kind::Sampling => {
                    let draft = NoticeDraft {
                        kind: if matches!(kind, Kind::Sampling) {
                            NoticeKind::Sampling
                        } else {
                            NoticeKind::Preservation
                        },
                        items,
                        kept_at: kept_at.clone().unwrap_or_default(),
                        party: p,
                    };
                    Box::new(move |officers, at| draft.body(officers, at))
                }
            };
            let id = app.create_record(case, body, None, &by)?;
            output::created("已建立", &id, as_json)
        }
        RecordCommand::Edit {
            on,
            found,
            outcome,
            end,
            rights_acknowledged,
            recusal_asked,
            question,
            answer,
            who,
        } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let id = on.resolve(app)?;
            let now = app.now();
            app.edit_record(&on.case, &id, &by, |r| {
                match &mut r.body {
                    RecordBody::Inspection(i) => {
                        if let Some(f) = found {
                            i.found = f.clone();
                        }
                        if let Some(o) = outcome {
                            i.outcome = Some(match o {
                                OutcomeArg::Service => Outcome721::Service,
                                OutcomeArg::Management => Outcome721::Management,
                                OutcomeArg::Enforcement => Outcome721::Enforcement,
                            });
                        }
                        if *end {
                            i.ended_at = Some(now);
                        }
                    }
                    RecordBody::Questioning(q) => {
                        q.rights_acknowledged |= rights_acknowledged;
                        q.recusal_asked |= recusal_asked;
                        if let (Some(question), Some(answer)) = (question, answer) {
                            let n = qc_domain::record::open_page(q);
                            if n == q.pages.len() {
                                q.pages.push(Page::default());
                            }
                            q.pages[n].qa.push(Qa {
                                question: question.clone(),
                                answer: answer.clone(),
                            });
                        }
                        if *end {
                            q.ended_at = Some(now);
                        }
                    }
                    RecordBody::Preservation(_) | RecordBody::Sampling(_) => {}
                }
                Ok(())
            })?;
            output::done(&format!("已修改笔录 {id}"), as_json)
        }
        RecordCommand::SignPage {
            on,
            page,
            image,
            refused,
            who,
        } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let id = on.resolve(app)?;
            let bytes = image.as_deref().map(read_image).transpose()?;
            let how = match (&bytes, refused) {
                (Some(b), _) => PageClose::Signed(b),
                (None, Some(note)) => PageClose::Refused(note.clone()),
                (None, None) => bail!("give --image (签名图片) or --refused (拒签说明)"),
            };
            app.close_page(&on.case, &id, *page, how, &by)?;
            output::done(&format!("第{page}页已签名（或已注明拒签）"), as_json)
        }
        RecordCommand::SignOff {
            on,
            party,
            witness,
            witness_id,
            reason,
            why,
            image,
            note,
            who,
        } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let id = on.resolve(app)?;
            let bytes = image.as_deref().map(read_image).transpose()?;
            let why = || -> anyhow::Result<NoPartySignature> {
                match why {
                    Some(WhyArg::Refused) => Ok(NoPartySignature::Refused),
                    Some(WhyArg::Absent) => Ok(NoPartySignature::Absent),
                    None => party_did_not_sign(app, &on.case, &id),
                }
            };
            let how = match (party, witness, note, &bytes) {
                (Some(name), _, _, Some(b)) => Signoff::Party {
                    name: name.clone(),
                    image: b,
                },
                (_, Some(name), _, Some(b)) => Signoff::Witness {
                    name: name.clone(),
                    id_number: witness_id.clone(),
                    party_absent_reason: reason.clone().unwrap_or_default(),
                    party_did_not_sign: why()?,
                    image: b,
                },
                (_, _, Some(n), _) => Signoff::OfficersNote {
                    note: n.clone(),
                    party_did_not_sign: why()?,
                },
                _ => bail!(
                    "give --party NAME --image FILE, --witness NAME --reason R --image FILE, or --note NOTE"
                ),
            };
            app.sign_off(&on.case, &id, how, &by)?;
            output::done("已记录签名", as_json)
        }
        RecordCommand::Seal { on, who } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let id = on.resolve(app)?;
            app.seal_record(&on.case, &id, &by)?;
            output::done(&format!("笔录 {id} 已签名封存"), as_json)
        }
        RecordCommand::Correct { on, who } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let id = on.resolve(app)?;
            let (records, _) = app.case_file(&on.case)?;
            let old = records
                .iter()
                .find(|r| r.live.id == id)
                .context("no such record")?
                .authoritative()?;
            let body = move |officers: Vec<OfficerRef>, _at: Timestamp| {
                let mut body = old.body;
                match &mut body {
                    RecordBody::Inspection(i) => i.officers = officers,
                    RecordBody::Questioning(q) => {
                        q.officers = officers;
                        q.pages.iter_mut().for_each(|p| p.signature = None);
                    }
                    RecordBody::Preservation(n) | RecordBody::Sampling(n) => n.officers = officers,
                }
                body
            };
            let new = app.create_record(&on.case, body, Some(&id), &by)?;
            output::created("已建立更正笔录", &new, as_json)
        }
        RecordCommand::List { case } => {
            let (records, _) = app.case_file(case)?;
            output::records(&records, as_json)
        }
        RecordCommand::Show { on } => {
            let id = on.resolve(app)?;
            let (records, _) = app.case_file(&on.case)?;
            let r = records
                .iter()
                .find(|r| r.live.id == id)
                .context("no such record")?;
            output::record(r, as_json)
        }
    }
}

/// Runs `quancheng evidence …`.
pub fn evidence(app: &mut Quancheng, cmd: &EvidenceCommand, as_json: bool) -> anyhow::Result<()> {
    match cmd {
        EvidenceCommand::Add {
            files,
            case,
            description,
            attest_source,
            attest_date,
            attest_signer,
            redacts,
            reason,
            who,
        } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let attestation = attest_source.as_ref().map(|source| CopyAttestation {
                source: source.clone(),
                date: attest_date.clone().unwrap_or_default(),
                signer: attest_signer.clone().unwrap_or_default(),
            });
            // One file named, as scripts have always given it: its refusal is the command's.
            let alone = files.len() == 1 && !files[0].is_dir();
            let mut paths = Vec::new();
            for f in files {
                if f.is_dir() {
                    paths.extend(qc_api::import::folder_files(f)?);
                } else {
                    paths.push(f.clone());
                }
            }
            let to_be = ImportAs {
                description: description.clone(),
                attestation,
                redacts: redacts
                    .as_ref()
                    .map(|original| -> anyhow::Result<RedactionOf> {
                        Ok(RedactionOf {
                            original: app.resolve_item(case, original)?,
                            reason: reason.clone().unwrap_or_default(),
                        })
                    })
                    .transpose()?,
            };
            if paths.is_empty() {
                bail!("所选文件夹中没有可导入的文件 (nothing to import)");
            }
            let mut report = app.import_files(
                case,
                &paths,
                (&to_be, &by),
                &mut |_| {},
                &AtomicBool::new(false),
            )?;
            if alone && let Some(e) = report.files.first_mut().and_then(|f| f.cause.take()) {
                return Err(e.into());
            }
            let failed: Vec<String> = report
                .files
                .iter()
                .filter_map(|f| Some(format!("{}：{}", f.file_name, f.error.as_ref()?)))
                .collect();
            match report.files.as_slice() {
                // One file, as scripts have always read it.
                [one] if alone => output::created(
                    "已建立",
                    one.evidence.as_deref().unwrap_or_default(),
                    as_json,
                )?,
                _ => output::imported(&report, as_json)?,
            }
            if !failed.is_empty() {
                bail!("未导入 (not imported)：{}", failed.join("；"));
            }
            Ok(())
        }
        EvidenceCommand::Cosign { on, who } => {
            let who = who.unlock(app)?;
            let id = on.resolve(app)?;
            app.cosign_evidence(&on.case, &id, &who[0])?;
            output::done(&format!("证据 {id} 已由两名执法人员签名确认"), as_json)
        }
        EvidenceCommand::List { case } => {
            let (_, items) = app.case_file(case)?;
            output::evidence(&items, as_json)
        }
        EvidenceCommand::Record {
            case,
            kind,
            mime,
            covers,
            description,
            told,
            who,
        } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let plan = RecordingPlan {
                kind: match kind {
                    Recorded::Audio => MediaKind::Audio,
                    Recorded::Video => MediaKind::Video,
                },
                mime: mime.clone(),
                covers: covers.clone(),
                description: description.clone(),
                told: *told,
            };
            let mut recording = app.start_recording(case, plan, &by)?;
            eprintln!("录制中 (recording)：{}", recording.id());
            // An input that cannot be read ends the recording: what came before is kept.
            let read = record_stdin(&mut recording);
            let evidence = app.finish_recording(recording, &by)?;
            read?;
            output::created("已建立", &evidence, as_json)
        }
        EvidenceCommand::Links { case } => {
            output::footage_links(&app.footage_links(case)?, as_json)
        }
        EvidenceCommand::Link { on, acts, who } => {
            let who = who.unlock(app)?;
            let id = on.resolve(app)?;
            let links = app.footage_links(&on.case)?;
            let acts: Vec<String> = if acts.is_empty() {
                links.proposed.get(&id).cloned().with_context(
                    || "没有建议关联的执法活动，请用 --act 指定 (nothing proposed: name the acts)",
                )?
            } else {
                acts.iter()
                    .map(|prefix| {
                        let found: Vec<&str> = links
                            .acts
                            .iter()
                            .map(|a| a.id.as_str())
                            .filter(|a| !prefix.trim().is_empty() && a.starts_with(prefix.trim()))
                            .collect();
                        match found.as_slice() {
                            [one] => Ok(one.to_string()),
                            [] => bail!("没有这项执法活动 (no such act)：{prefix}"),
                            _ => bail!("`{prefix}` 对应多项执法活动，请写全 (ambiguous act)"),
                        }
                    })
                    .collect::<anyhow::Result<_>>()?
            };
            app.link_evidence(&on.case, &id, &acts, &who[0])?;
            // Say what was signed: with no --act, it is what was proposed.
            let titles: Vec<&str> = acts
                .iter()
                .filter_map(|a| links.acts.iter().find(|c| c.id == *a))
                .map(|c| c.title.as_str())
                .collect();
            output::done(
                &format!("证据 {id} 已关联执法活动：{}", titles.join("、")),
                as_json,
            )
        }
        EvidenceCommand::Delete { on, reason, who } => {
            let who = who.unlock(app)?;
            let id = on.resolve(app)?;
            app.delete_original(&on.case, &id, reason, &who[0])?;
            output::done(
                &format!("证据 {id} 的原件已经负责人批准删除，其哈希保留在案卷中"),
                as_json,
            )
        }
        EvidenceCommand::Recordings => output::recordings(&app.recordings_left()?, as_json),
        EvidenceCommand::KeepRecording { id, who } => {
            let who = who.unlock(app)?;
            let by: Vec<&Unlocked> = who.iter().collect();
            let evidence = app.keep_recording_left(id, &by)?;
            output::created("已建立", &evidence, as_json)
        }
    }
}
