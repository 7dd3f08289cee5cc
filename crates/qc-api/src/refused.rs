//! Entries of this tablet the station refused for what each one is — a signer revoked while
//! the tablet was offline, a case moved to another squad meanwhile — and setting them aside
//! (搁置) so the rest of the feed goes up. Nothing is lost: the entries stay whole on this
//! device, and the station logs each one's place in the feed without its act.

use qc_store::SetAsideNote;
use qc_sync::wire::RefusedEntry;
use serde::{Deserialize, Serialize};

use crate::records::unhex;
use crate::{ApiError, Quancheng, Unlocked};

/// Where the entries a station refused are kept until they are set aside or taken.
const REFUSED_KEY: &str = "entries_refused";

/// An entry of this device the station refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Refused {
    /// The entry's hash (hex).
    entry: String,
    /// What it is about (a case, or a draw).
    case: String,
    /// Its place in this device's feed.
    seq: u64,
    /// Why, in Chinese.
    reason: String,
    /// Whether the station refused it for what it is, so it may be set aside (else it goes
    /// up again at the next sync).
    #[serde(default)]
    kept: bool,
}

/// The entries about one case the station refused, as the sync screen lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedCase {
    /// The case (or draw) they are about; empty for entries this device cannot set aside
    /// (not its own, or set aside already), which the administrator must look into.
    pub case: String,
    /// Its address, as listed here (empty when this device holds no such case).
    pub address: String,
    /// How many.
    pub entries: usize,
    /// Why, in Chinese, each reason once.
    pub reasons: Vec<String>,
    /// Whether an officer may set them aside here: some were refused for what they are (the
    /// others, refused for how they were sent, go up again at the next sync).
    pub can_set_aside: bool,
}

/// What setting aside did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAside {
    /// The case.
    pub case: String,
    /// Entries set aside (the refused ones and this device's later ones about the case).
    pub entries: usize,
    /// Whether the case left this device's list (the station never took it); otherwise its
    /// document is back at its state before them.
    pub case_removed: bool,
}

impl Quancheng {
    /// Remembers what the station refused of this device's upload, for the sync screen.
    pub(crate) fn note_refused(&self, refused: &[RefusedEntry]) -> Result<(), ApiError> {
        let mut kept: Vec<Refused> = Vec::new();
        for r in refused {
            // Not this device's, or already set aside (its head alone refused): setting aside
            // cannot mend it; listed without a case, for the administrator.
            let own = self
                .store
                .own_entry(&self.device_id, &unhex(&r.entry)?)?
                .unwrap_or(qc_store::OwnEntry {
                    case: String::new(),
                    seq: 0,
                });
            // One entry, several reasons (a revoked signer, so the act lacks its signer).
            if let Some(same) = kept.iter_mut().find(|k: &&mut Refused| k.entry == r.entry) {
                same.reason = format!("{}；{}", same.reason, r.reason);
                same.kept |= r.kept;
                continue;
            }
            kept.push(Refused {
                entry: r.entry.clone(),
                case: own.case,
                seq: own.seq,
                reason: r.reason.clone(),
                kept: r.kept,
            });
        }
        tracing::warn!(
            refused = kept.len(),
            "the station refused entries of this device"
        );
        self.set_meta_json(REFUSED_KEY, &kept)
    }

    /// Forgets the station's refusals (a sync went through).
    pub(crate) fn clear_refused(&self) -> Result<(), ApiError> {
        if self.refused()?.is_empty() {
            return Ok(());
        }
        self.set_meta_json(REFUSED_KEY, &Vec::<Refused>::new())
    }

    fn refused(&self) -> Result<Vec<Refused>, ApiError> {
        Ok(self.meta_json(REFUSED_KEY)?.unwrap_or_default())
    }

    /// The entries of this device the station refused at the last sync, by case.
    pub fn refused_cases(&self) -> Result<Vec<RefusedCase>, ApiError> {
        let mut out: Vec<RefusedCase> = Vec::new();
        for r in self.refused()? {
            let i = match out.iter().position(|c| c.case == r.case) {
                Some(i) => i,
                None => {
                    out.push(RefusedCase {
                        address: self.store.case_address(&r.case)?.unwrap_or_default(),
                        case: r.case.clone(),
                        entries: 0,
                        reasons: Vec::new(),
                        can_set_aside: false,
                    });
                    out.len() - 1
                }
            };
            out[i].entries += 1;
            out[i].can_set_aside |= r.kept && !r.case.is_empty();
            crate::push_new(&mut out[i].reasons, r.reason);
        }
        Ok(out)
    }

    /// 搁置: sets aside the entries about `case` the station refused, with this device's later
    /// entries about it (they build on them), as `by` decides: each is kept whole on this
    /// device and goes up without its act at the next sync; the case's document goes back to
    /// what it was before them (the state this device's last other entry about it recorded,
    /// with what the station acknowledged), or leaves this device's list when the station never
    /// took the case. An enforcement officer, squad leader or head decides.
    pub fn set_aside(&mut self, case: &str, by: &Unlocked) -> Result<SetAside, ApiError> {
        if !by.person().is_enforcement_officer() {
            return Err(ApiError::Invalid(format!(
                "{}不能搁置记录，须由持执法证的执法人员办理",
                by.person().name
            )));
        }
        if case.is_empty() {
            return Err(ApiError::Invalid(
                "这些记录不是本机可搁置的记录，请联系管理员".into(),
            ));
        }
        let refused = self.refused()?;
        // Those still whole here (a crash may have left the list behind a setting aside).
        let mut mine: Vec<&Refused> = Vec::new();
        // Only what the station refused for what it is: another may go up as it is.
        for r in refused.iter().filter(|r| r.case == case && r.kept) {
            if self
                .store
                .own_entry(&self.device_id, &unhex(&r.entry)?)?
                .is_some_and(|own| own.case == case)
            {
                mine.push(r);
            }
        }
        let Some(from) = mine.iter().map(|r| r.seq).min() else {
            if refused.iter().any(|r| r.case == case && !r.kept) {
                return Err(ApiError::Invalid(format!(
                    "案件 {case} 的记录被拒收是因为上传途中出错（如签名受损），不能搁置，\
                     下次同步将重新上传；如仍被拒收，请联系管理员"
                )));
            }
            // Any left listed for it are stale (set aside already).
            let left: Vec<&Refused> = refused.iter().filter(|r| r.case != case).collect();
            if left.len() != refused.len() {
                self.set_meta_json(REFUSED_KEY, &left)?;
            }
            return Err(ApiError::Invalid(format!(
                "案件 {case} 没有被基站拒收的记录"
            )));
        };
        let mut reasons: Vec<&str> = Vec::new();
        for r in &mine {
            crate::push_new(&mut reasons, r.reason.as_str());
        }
        let actor = self.device_id.clone();
        let (held, mut back) = match self.store.case_doc(case, actor.as_bytes()) {
            Ok(mut doc) => {
                let mut heads: Vec<[u8; 32]> = Vec::new();
                if let Some(e) = self.store.own_entry_before(&actor, case, from)?
                    && let Ok(e) = e.entry()
                {
                    heads.extend(e.heads);
                }
                for h in self.store.station_ack(case)?.unwrap_or_default() {
                    heads.push(unhex(&h)?);
                }
                // A head the station acknowledged may be another device's change not pulled yet.
                heads.retain(|h| doc.has_change(h));
                heads.sort();
                heads.dedup();
                if heads.is_empty() {
                    (true, None)
                } else {
                    (true, Some(doc.at(&heads, actor.as_bytes())?))
                }
            }
            // Not a case (a draw's act): its entries alone.
            Err(qc_store::StoreError::UnknownCase(_)) => (false, None),
            Err(e) => return Err(e.into()),
        };
        let note = SetAsideNote {
            reason: reasons.join("；"),
            by: by.person().id.0.clone(),
            at: self.now(),
        };
        let dropping = held && back.is_none();
        // The setting aside is itself an act, signed by who decided it.
        let actors = [by];
        let sign = crate::signer(
            &self.device_id,
            &self.device_key,
            note.at,
            qc_chain::Action::EntriesSetAside,
            &actors,
        );
        let entries = self
            .store
            .set_aside(&actor, (case, from), back.as_mut(), &note, sign)?;
        let case_removed = dropping && entries > 0;
        let left: Vec<Refused> = refused.into_iter().filter(|r| r.case != case).collect();
        self.set_meta_json(REFUSED_KEY, &left)?;
        tracing::warn!(
            case,
            entries,
            case_removed,
            by = note.by,
            "entries the station refused set aside"
        );
        Ok(SetAside {
            case: case.to_owned(),
            entries,
            case_removed,
        })
    }
}
