//! 双随机 on the tablet: what the two officers drawn for a target found there, signed by both
//! on the tablet that holds their task, and sent up with its sheet at the next sync.

use std::collections::BTreeSet;

use qc_chain::Action;
use qc_domain::EnforcementOfficer;
use qc_domain::draw::{InspectionReport, Outcome};
use qc_store::Touched;

use crate::{ApiError, Quancheng, Unlocked, signer};

impl Quancheng {
    /// 检查结果: what the inspection of `target` of the draw `draw` found, signed by the two
    /// officers the draw named for it (their task as the last sync brought it), who must be
    /// among `who`, as an entry naming the draw and the report's JSON; the station takes it
    /// at the next sync.
    pub fn report_inspection(
        &mut self,
        (draw, target): (&str, &str),
        (outcome, case, note): (Outcome, &str, &str),
        who: &[&Unlocked],
    ) -> Result<InspectionReport, ApiError> {
        let task = self
            .inspection_tasks()?
            .into_iter()
            .find(|t| t.draw == draw && t.target.id == target)
            .ok_or_else(|| {
                ApiError::Invalid(format!(
                    "本机没有抽查任务 {draw} / {target}，请先同步 (no such task here)"
                ))
            })?;
        let drawn: BTreeSet<&str> = task.inspectors.iter().map(|i| i.id.as_str()).collect();
        // Of the officers signed in, the two drawn sign, once each (others at the tablet do
        // not): an entry the station would refuse would hold up everything after it.
        let mut signing = BTreeSet::new();
        let who: Vec<&Unlocked> = who
            .iter()
            .filter(|u| drawn.contains(u.person.id.0.as_str()) && signing.insert(&u.person.id.0))
            .copied()
            .collect();
        if who.len() != 2 || who.len() != drawn.len() {
            let names: Vec<&str> = task.inspectors.iter().map(|i| i.name.as_str()).collect();
            return Err(ApiError::Invalid(format!(
                "检查结果须由抽中的两名执法人员（{}）签名 (both drawn inspectors sign)",
                names.join("、")
            )));
        }
        for u in &who {
            EnforcementOfficer::try_from(u.person.clone())?;
        }
        let at = self.now();
        let report = InspectionReport::of_task(draw, (target, outcome, case), note, at)
            .map_err(|e| ApiError::Invalid(e.zh()))?;
        let hash = self.put_blob(&report.to_json())?;
        let touched = Touched {
            blobs: vec![hash],
            records: vec![hash],
        };
        let action = Action::InspectionReportedOnSite;
        let sign = signer(&self.device_id, &self.device_key, at, action, &who);
        self.store
            .append_act(draw, &self.device_id, touched, sign)?;
        tracing::info!(draw, target, "inspection reported on the tablet");
        Ok(report)
    }

    /// The inspection reports signed on this tablet for the tasks it holds, oldest first, as
    /// its own feed records them (a later one of a target replaces an earlier one where the
    /// results are published).
    pub fn inspection_reports(&self) -> Result<Vec<InspectionReport>, ApiError> {
        let draws: BTreeSet<String> = self
            .inspection_tasks()?
            .into_iter()
            .map(|t| t.draw)
            .collect();
        let mut reports = Vec::new();
        for draw in draws {
            for signed in self.store.feeds_for_case(&draw)? {
                let Ok(e) = signed.entry() else { continue };
                let ours =
                    e.device == self.device_id && e.action == Action::InspectionReportedOnSite;
                let [hash] = e.blobs[..] else { continue };
                if let (true, Ok(bytes)) = (ours, self.read_blob(&hash))
                    && let Ok(report) = InspectionReport::from_json(&bytes)
                {
                    reports.push(report);
                }
            }
        }
        reports.sort_by_key(|r| r.reported_at);
        Ok(reports)
    }
}
