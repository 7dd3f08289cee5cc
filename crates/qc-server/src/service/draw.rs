//! 双随机、一公开 at the station: a random inspection's plan and then its draw, each a desk act
//! on the log naming its JSON (kept as a file of the draw, under the draw's id), and the draws
//! the log holds, read back and checked against the log's own tree.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::sync::Arc;

use qc_chain::{Action, Digest, SignedEntry};
use qc_domain::draw::{DRAWERS, DrawPlan, DrawResult, InspectionReport, REPORTERS, seed_size};
use qc_domain::{Person, Timestamp};
use qc_sync::wire::InspectionTask;
use sha2::{Digest as _, Sha256};

use super::log::Tiles;
use super::{DeskSigner, Service, ServiceError};
use crate::storage::{Storage, StorageError};

/// Most bytes of a plan's or a result's JSON read back (a register at its largest).
const SHEET_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// How many draws an instance keeps read and checked (each holds its parsed register).
pub const DRAWS_KEPT: usize = 32;
/// How long after its draw a task still goes to tablets.
pub const TASKS_FOR_MS: i64 = 180 * 24 * 60 * 60 * 1000;

/// The draws' ids, each with the index of its last entry, as the log lists them.
type DrawIds = Vec<(String, u64)>;

/// The tasks an instance last read, with the draws' ids and last entries they were read from.
#[derive(Default)]
pub(super) struct TaskCache {
    read: Option<(DrawIds, Arc<Vec<InspectionTask>>)>,
    /// A size of the log at which `read` was current: while the log holds no more entries, no
    /// act named a draw since, and the draws' ids need not be read again.
    current_at: Option<u64>,
}

/// The draws as last read and checked, by id, with the hashes of the entries naming each then.
pub(super) type DrawCache = std::collections::HashMap<String, (Vec<Digest>, Arc<Draw>)>;

/// A random inspection as the log holds it.
#[derive(Debug, Clone)]
pub struct Draw {
    /// The plan.
    pub plan: DrawPlan,
    /// SHA-256 of the plan's JSON.
    pub plan_digest: Digest,
    /// The plan's entry's index in the log.
    pub plan_index: u64,
    /// The draw, once made (checked against its plan and the log's tree).
    pub result: Option<DrawResult>,
    /// SHA-256 of the draw's JSON, once drawn.
    pub result_digest: Option<Digest>,
    /// Whether the log already holds the tree whose root seeds the draw.
    pub seedable: bool,
    /// What the inspections found, in log order (see [`Draw::report`] for which stands).
    pub reports: Vec<InspectionReport>,
    /// Reports signed on tablets whose file has not arrived yet.
    pub pending: usize,
    /// Reports signed on tablets that do not count: their file is no report, breaks the
    /// reports' rules or names a target their two signers were not drawn for.
    pub refused: usize,
}

/// What a report signed on a tablet comes to.
enum OnSite {
    /// It counts.
    Counted(InspectionReport),
    /// Its file has not arrived.
    Waiting,
    /// It never counts.
    Refused,
}

impl Draw {
    /// The report of `target` that stands: the one signed last (by its signed time, then
    /// log order), so a result signed offline and synced days later does not replace a newer
    /// one made meanwhile at a desk.
    pub fn report(&self, target: &str) -> Option<&InspectionReport> {
        self.reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.target == target)
            .max_by_key(|(i, r)| (r.reported_at, *i))
            .map(|(_, r)| r)
    }
}

impl<S: Storage> Service<S> {
    /// Signs `plan` as `signer`'s act on their desk device: its JSON kept under the draw's id,
    /// the entry logged. The draw can be made once the log holds one more entry.
    pub fn plan_inspection(
        &self,
        plan: &DrawPlan,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<Draw, ServiceError> {
        signer.may(DRAWERS, "plan a random inspection")?;
        plan.check()
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        let json = plan.to_json();
        if !self.storage.case_entries(&plan.id)?.is_empty() {
            return Err(ServiceError::BadRequest(format!(
                "a draw {} is on the log already",
                plan.id
            )));
        }
        self.sign_sheet(
            signer,
            (Action::InspectionPlanned, &plan.id, Vec::new()),
            &json,
            now,
        )?;
        tracing::info!(
            draw = plan.id,
            login = signer.login,
            "random inspection planned"
        );
        self.draw(&plan.id)?
            .ok_or_else(|| StorageError::Damaged(format!("draw {} vanished", plan.id)).into())
    }

    /// Makes the draw of plan `id` under the root of the log's tree of the plan's index plus
    /// two, signed as `signer`'s act; the draw as it stands afterwards (as it was, if made
    /// already), or `None` for no such plan. Out of step while the log holds no entry after
    /// the plan.
    pub fn draw_inspection(
        &self,
        id: &str,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<Option<Draw>, ServiceError> {
        signer.may(DRAWERS, "make a random inspection's draw")?;
        let Some(draw) = self.draw(id)? else {
            return Ok(None);
        };
        if draw.result.is_some() {
            return Ok(Some(draw));
        }
        if !draw.seedable {
            return Err(ServiceError::OutOfStep(format!(
                "draw {id}: the log holds no entry after the plan yet"
            )));
        }
        let size = seed_size(draw.plan_index);
        let root = self.root_at(size)?;
        let result = DrawResult::make(&draw.plan, &draw.plan_digest, size, &root, now);
        let signed = self.sign_sheet(
            signer,
            (Action::InspectionDrawn, id, Vec::new()),
            &result.to_json(),
            now,
        );
        if let Err(e) = signed {
            // Drawn meanwhile at another desk: that draw stands (the rule gives the same).
            return match self.draw(id)? {
                Some(d) if d.result.is_some() => Ok(Some(d)),
                _ => Err(e),
            };
        }
        tracing::info!(draw = id, login = signer.login, "random inspection drawn");
        self.draw(id)
    }

    /// The tasks of the draws made in the last [`TASKS_FOR_MS`] in which one of `people`
    /// (those whose keys a device holds) was drawn; `None` when they cannot be read now (the
    /// tablet keeps the list it has: a sync never fails, nor wipes a tablet's tasks, for them).
    pub(super) fn tasks_for(
        &self,
        people: &[Person],
        (now, log_size): (Timestamp, u64),
    ) -> Option<Vec<InspectionTask>> {
        let all = self.recent_tasks(log_size)?;
        let people: BTreeSet<&str> = people.iter().map(|p| p.id.0.as_str()).collect();
        Some(
            all.iter()
                .filter(|t| now.0 - t.drawn_at.0 <= TASKS_FOR_MS)
                .filter(|t| t.inspectors.iter().any(|i| people.contains(i.id.as_str())))
                .cloned()
                .collect(),
        )
    }

    /// Every task of every draw, read again only when an act names a draw (one indexed read
    /// tells, not even made while the log still holds `log_size` entries, the size it was
    /// read at last), by any instance; kept only when every draw read whole. `None` when
    /// nothing can be read and nothing was.
    fn recent_tasks(&self, log_size: u64) -> Option<Arc<Vec<InspectionTask>>> {
        let last = || {
            super::locked(&self.tasks)
                .read
                .as_ref()
                .map(|(_, t)| t.clone())
        };
        {
            let cache = super::locked(&self.tasks);
            if let (Some((_, tasks)), Some(at)) = (&cache.read, cache.current_at)
                && at == log_size
            {
                return Some(tasks.clone());
            }
        }
        // Read after the log held `log_size` entries: what the ids say is current at that size.
        let ids = match self
            .storage
            .case_ids_with_prefix(qc_domain::draw::DRAW_PREFIX)
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "tasks not read again; the last list stands");
                return last();
            }
        };
        {
            let mut cache = super::locked(&self.tasks);
            if let Some((seen, tasks)) = &cache.read
                && *seen == ids
            {
                let tasks = tasks.clone();
                cache.current_at = Some(log_size);
                return Some(tasks);
            }
        }
        let (draws, whole) = self.read_draws(&ids);
        if !whole {
            return last();
        }
        let mut tasks = Vec::new();
        for d in draws {
            let Some(result) = d.result else { continue };
            for t in result.tasks {
                let Some(target) = d.plan.target(&t.target) else {
                    continue;
                };
                tasks.push(InspectionTask {
                    draw: d.plan.id.clone(),
                    title: d.plan.title.clone(),
                    drawn_at: result.drawn_at,
                    target: target.clone(),
                    inspectors: d.plan.inspectors_of(&t),
                });
            }
        }
        let tasks = Arc::new(tasks);
        // Kept under the ids read first: a draw made meanwhile changes them, and the next
        // sync reads again.
        *super::locked(&self.tasks) = TaskCache {
            read: Some((ids, tasks.clone())),
            current_at: Some(log_size),
        };
        Some(tasks)
    }

    /// 检查结果: signs `report` (of a target drawn) as `signer`'s act; the draw as it stands
    /// afterwards, or `None` for no such draw. Whether `signer` answers for the target's
    /// inspectors is the console's to check.
    pub fn report_inspection(
        &self,
        report: &InspectionReport,
        signer: &DeskSigner<'_>,
        now: Timestamp,
    ) -> Result<Option<Draw>, ServiceError> {
        signer.may(REPORTERS, "report an inspection")?;
        let Some(draw) = self.draw(&report.draw)? else {
            return Ok(None);
        };
        if draw
            .result
            .as_ref()
            .and_then(|r| r.task(&report.target))
            .is_none()
        {
            return Err(ServiceError::BadRequest(format!(
                "target {} was not drawn in {}",
                report.target, report.draw
            )));
        }
        self.sign_sheet(
            signer,
            (Action::InspectionReported, &report.draw, Vec::new()),
            &report.to_json(),
            now,
        )?;
        tracing::info!(
            draw = report.draw,
            target = report.target,
            "inspection reported"
        );
        self.draw(&report.draw)
    }

    /// A page of the draws: `limit` from `offset`, newest first by id (an id begins with the
    /// day it was planned), and how many there are. Only the page's draws are read, so a
    /// bureau's years of draws cost a list anyone may ask for no more than one page.
    pub fn draws_page(
        &self,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Draw>, usize), ServiceError> {
        let mut ids = self
            .storage
            .case_ids_with_prefix(qc_domain::draw::DRAW_PREFIX)?;
        ids.sort_by(|a, b| b.0.cmp(&a.0));
        let total = ids.len();
        let page: Vec<_> = ids.into_iter().skip(offset).take(limit).collect();
        let mut draws = self.read_draws(&page).0;
        // The pages' order within a page too.
        draws.sort_by(|a, b| b.plan.id.cmp(&a.plan.id));
        Ok((draws, total))
    }

    /// The draws `ids` (as [`Storage::case_ids_with_prefix`] lists them) that read back whole,
    /// newest plan first, and whether every one did.
    fn read_draws(&self, ids: &[(String, u64)]) -> (Vec<Draw>, bool) {
        let (mut draws, mut whole) = (Vec::new(), true);
        for (id, _) in ids {
            // One that cannot be read is reported and left out; the others are still listed.
            match self.draw(id) {
                Ok(d) => draws.extend(d),
                Err(e) => {
                    whole = false;
                    tracing::error!(draw = id, error = %e, "a draw cannot be read");
                }
            }
        }
        draws.sort_by_key(|d| std::cmp::Reverse(d.plan_index));
        (draws, whole)
    }

    /// The random inspection `id` as the log holds it (its first plan and first draw count).
    pub fn draw(&self, id: &str) -> Result<Option<Draw>, ServiceError> {
        let entries = self.storage.case_entries(id)?;
        let hashes: Vec<Digest> = entries.iter().map(SignedEntry::hash).collect();
        // Read and checked already, and no act on it since: only whether it can be drawn moves.
        let known = super::locked(&self.draws)
            .get(id)
            .filter(|(seen, _)| *seen == hashes)
            .map(|(_, d)| d.clone());
        if let Some(d) = known {
            let mut d = Draw::clone(&d);
            d.seedable = d.result.is_some() || self.log_size()? >= seed_size(d.plan_index);
            return Ok(Some(d));
        }
        let read = self.read_draw(id, &entries)?;
        // One waiting for a tablet's file is read again: the file arriving adds no entry.
        if let Some(d) = read.as_ref().filter(|d| d.pending == 0) {
            let mut cache = super::locked(&self.draws);
            cache.insert(id.to_owned(), (hashes, Arc::new(d.clone())));
            // Bounded: the oldest plans go first (read again if asked for).
            while cache.len() > DRAWS_KEPT {
                let oldest = cache
                    .iter()
                    .min_by_key(|(_, (_, d))| d.plan_index)
                    .map(|(id, _)| id.clone());
                if let Some(oldest) = oldest {
                    cache.remove(&oldest);
                }
            }
        }
        Ok(read)
    }

    /// [`Service::draw`] read from `entries` (those naming `id`) and the files they name.
    fn read_draw(&self, id: &str, entries: &[SignedEntry]) -> Result<Option<Draw>, ServiceError> {
        let acts: Vec<(Digest, qc_chain::Entry)> = entries
            .iter()
            .filter_map(|e| e.entry().ok().map(|x| (e.hash(), x)))
            .collect();
        let Some((plan_entry, planned)) = acts
            .iter()
            .find(|(_, x)| x.action == Action::InspectionPlanned)
        else {
            return Ok(None);
        };
        let damaged = |why: &str| StorageError::Damaged(format!("draw {id}: {why}"));
        let [plan_digest] = planned.blobs[..] else {
            return Err(damaged("the plan's entry names no one file").into());
        };
        let plan =
            DrawPlan::from_json(&self.sheet(&plan_digest)?).map_err(|e| damaged(&e.to_string()))?;
        let plan_index = self
            .storage
            .entry_index(plan_entry)?
            .ok_or_else(|| damaged("the plan's entry is not logged"))?;
        let size = seed_size(plan_index);
        let seedable = self.log_size()? >= size;
        let (result, result_digest) = match acts
            .iter()
            .find(|(_, x)| x.action == Action::InspectionDrawn)
        {
            Some((_, drawn)) => {
                let [digest] = drawn.blobs[..] else {
                    return Err(damaged("the draw's entry names no one file").into());
                };
                let result = DrawResult::from_json(&self.sheet(&digest)?)
                    .map_err(|e| damaged(&e.to_string()))?;
                result
                    .check(&plan, &plan_digest, plan_index, &self.root_at(size)?)
                    .map_err(|e| damaged(&e.to_string()))?;
                (Some(result), Some(digest))
            }
            None => (None, None),
        };
        let (mut reports, mut pending, mut refused) = (Vec::new(), 0, 0);
        for (_, x) in acts.iter().filter(|(_, x)| {
            matches!(
                x.action,
                Action::InspectionReported | Action::InspectionReportedOnSite
            )
        }) {
            let [digest] = x.blobs[..] else {
                return Err(damaged("a report's entry names no one file").into());
            };
            if x.action == Action::InspectionReportedOnSite {
                // A tablet's report counts once its file is in, and only of the target its two
                // signers were drawn for: what a tablet sends never makes the draw unreadable.
                match self.on_site_report(id, x, &digest, result.as_ref()) {
                    OnSite::Counted(report) => reports.push(report),
                    OnSite::Waiting => pending += 1,
                    OnSite::Refused => refused += 1,
                }
                continue;
            }
            let report = InspectionReport::from_json(&self.sheet(&digest)?)
                .map_err(|e| damaged(&e.to_string()))?;
            let drawn = result.as_ref().and_then(|r| r.task(&report.target));
            if report.draw != id || drawn.is_none() {
                return Err(damaged("a report of a target not drawn").into());
            }
            reports.push(report);
        }
        Ok(Some(Draw {
            plan,
            plan_digest,
            plan_index,
            result,
            result_digest,
            seedable,
            reports,
            pending,
            refused,
        }))
    }

    /// What the report a tablet's entry `x` names (file `digest`) comes to: counted once the
    /// file is in whole, sent for this draw, small, a report by the rules, of a target of
    /// `result` that the entry's two signers were drawn for; never an error (said in the log).
    fn on_site_report(
        &self,
        id: &str,
        x: &qc_chain::Entry,
        digest: &Digest,
        result: Option<&DrawResult>,
    ) -> OnSite {
        let read = || -> Result<OnSite, ServiceError> {
            let Some(state) = self.storage.blob_state(digest)? else {
                return Ok(OnSite::Waiting);
            };
            if state.size > qc_domain::draw::REPORT_MAX_BYTES {
                return Ok(OnSite::Refused);
            }
            if !state.complete || !self.storage.blob_in_case(digest, id)? {
                return Ok(OnSite::Waiting);
            }
            let Ok(report) = InspectionReport::from_json(&self.sheet(digest)?) else {
                return Ok(OnSite::Refused);
            };
            let drawn = result.and_then(|d| d.task(&report.target));
            let signers = self.signers_of(x)?;
            let theirs = drawn.is_some_and(|t| {
                Some(t.inspectors.iter().cloned().collect::<BTreeSet<_>>()) == signers
            });
            Ok(
                match report.draw == id && theirs && report.check().is_ok() {
                    true => OnSite::Counted(report),
                    false => OnSite::Refused,
                },
            )
        };
        match read() {
            Ok(OnSite::Refused) => {
                tracing::warn!(
                    draw = id,
                    device = x.device,
                    "a tablet's report does not count"
                );
                OnSite::Refused
            }
            Ok(counted_or_waiting) => counted_or_waiting,
            Err(e) => {
                tracing::warn!(draw = id, device = x.device, error = %e, "a tablet's report not read now");
                OnSite::Waiting
            }
        }
    }

    /// The root hash of the log's tree of `size` leaves.
    fn root_at(&self, size: u64) -> Result<Digest, ServiceError> {
        qc_tlog::root(size, &Tiles::new(&self.storage))
            .map_err(|e| StorageError::Damaged(format!("the log's tree of {size}: {e}")).into())
    }

    /// The bytes of a draw's kept JSON file `hash` (its plan's, its result's), checked against
    /// its name.
    pub fn sheet(&self, hash: &Digest) -> Result<Vec<u8>, ServiceError> {
        let mut bytes = Vec::new();
        self.storage
            .open_blob(hash)?
            .take(SHEET_MAX_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| StorageError::Backend(format!("reading a kept file: {e}")))?;
        if <[u8; 32]>::from(Sha256::digest(&bytes)) != *hash {
            return Err(StorageError::Damaged("a kept file does not match its name".into()).into());
        }
        Ok(bytes)
    }
}
