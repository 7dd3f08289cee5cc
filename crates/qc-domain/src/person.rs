//! People and their roles in the procedure, and the proof types that keep an assistant out of
//! places where an enforcement officer is required.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::CaseStatus;
use crate::rules::RuleViolation;

/// Stable identifier of a person (the id in their certificate).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub String);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 执法证 — enforcement certificate number, printed on records and shown to parties.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CertNo(pub String);

/// A person's role in the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 执法队员 — enforcement officer holding an 执法证.
    EnforcementOfficer,
    /// 协管员 — assistant: publicity, patrol, information collection, dissuasion only.
    Assistant,
    /// 中队长 — squad leader: approves filing, assigns and reviews cases.
    SquadLeader,
    /// 法制审核员 — legal reviewer: reviews before a decision.
    LegalReviewer,
    /// 负责人 — head of unit: approves decisions and extensions.
    Head,
    /// 管理员 — administrator: enrols devices and officers, issues and revokes credentials.
    Administrator,
}

impl Role {
    /// Every role, in the order they are listed to users.
    pub const ALL: [Role; 6] = [
        Role::EnforcementOfficer,
        Role::Assistant,
        Role::SquadLeader,
        Role::LegalReviewer,
        Role::Head,
        Role::Administrator,
    ];

    /// Whether this role acts as the enforcing party (inspects, questions, signs evidence).
    /// Squad leaders and heads are certified officers who also go to the field.
    pub fn enforces(self) -> bool {
        matches!(
            self,
            Role::EnforcementOfficer | Role::SquadLeader | Role::Head
        )
    }

    /// The Chinese name of the role.
    pub fn zh(self) -> &'static str {
        match self {
            Role::EnforcementOfficer => "执法队员",
            Role::Assistant => "协管员",
            Role::SquadLeader => "中队长",
            Role::LegalReviewer => "法制审核员",
            Role::Head => "负责人",
            Role::Administrator => "管理员",
        }
    }

    /// The stable code used in files and on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Role::EnforcementOfficer => "enforcement_officer",
            Role::Assistant => "assistant",
            Role::SquadLeader => "squad_leader",
            Role::LegalReviewer => "legal_reviewer",
            Role::Head => "head",
            Role::Administrator => "administrator",
        }
    }

    /// Parses a stable code back into a role.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// A member of the bureau as the procedure sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Identifier (matches the certificate).
    pub id: PersonId,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// 执法证 number; required for every role that enforces.
    pub cert_no: Option<CertNo>,
    /// Squad (中队) the person belongs to.
    pub squad: String,
}

/// A person proven able to act as the enforcing party: an enforcing role and an 执法证 number.
/// The only way to get one is [`EnforcementOfficer::try_from`], so an assistant cannot be passed
/// where an officer is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcementOfficer(Person);

impl EnforcementOfficer {
    /// The person behind the proof.
    pub fn person(&self) -> &Person {
        &self.0
    }

    /// The officer's 执法证 number (always present).
    pub fn cert_no(&self) -> &CertNo {
        // Checked on construction.
        self.0.cert_no.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl TryFrom<Person> for EnforcementOfficer {
    type Error = RuleViolation;

    fn try_from(p: Person) -> Result<Self, Self::Error> {
        if !p.role.enforces() {
            return Err(RuleViolation::NotAnEnforcementOfficer {
                name: p.name,
                role: p.role,
            });
        }
        if p.is_enforcement_officer() {
            Ok(EnforcementOfficer(p))
        } else {
            Err(RuleViolation::NoEnforcementCertificate { name: p.name })
        }
    }
}

impl Person {
    /// Whether this person counts as an enforcement officer: an enforcing role and a 执法证
    /// number that is not blank (what [`EnforcementOfficer::try_from`] accepts).
    pub fn is_enforcement_officer(&self) -> bool {
        self.role.enforces()
            && self
                .cert_no
                .as_ref()
                .is_some_and(|no| !no.0.trim().is_empty())
    }

    /// Whether this person may see and work on a case of `squad` that is now at `status` (the
    /// rule is [`CaseView::of`]'s).
    pub fn may_see(&self, squad: &str, status: CaseStatus) -> bool {
        CaseView::of(self).sees(squad, status)
    }
}

/// Which cases some people may see, as a query can ask for them: the rule of
/// [`Person::may_see`], kept once, here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseView {
    /// Every case (the head).
    pub everything: bool,
    /// Squads all of whose cases are seen.
    pub squads: BTreeSet<String>,
    /// Also every case sent for review, of any squad (a legal reviewer).
    pub sent_for_review: bool,
}

impl CaseView {
    /// What one person may see: their own squad's cases (a squad leader leads their own
    /// squad); a legal reviewer also every case sent for review; the head every case.
    pub fn of(person: &Person) -> CaseView {
        let mut view = CaseView::squad(&person.squad);
        match person.role {
            Role::Head => view.everything = true,
            Role::LegalReviewer => view.sent_for_review = true,
            Role::EnforcementOfficer
            | Role::Assistant
            | Role::SquadLeader
            | Role::Administrator => {}
        }
        view
    }

    /// The cases of one squad.
    pub fn squad(squad: &str) -> CaseView {
        CaseView {
            squads: BTreeSet::from([squad.to_owned()]),
            ..CaseView::default()
        }
    }

    /// What a device of `squad` holding the keys of `people` may see: its squad's cases and
    /// whatever any of them may see.
    pub fn of_device<'a>(squad: &str, people: impl IntoIterator<Item = &'a Person>) -> CaseView {
        people
            .into_iter()
            .map(CaseView::of)
            .fold(CaseView::squad(squad), CaseView::union)
    }

    /// What this view or `other` sees.
    #[must_use]
    pub fn union(mut self, other: CaseView) -> CaseView {
        self.everything |= other.everything;
        self.sent_for_review |= other.sent_for_review;
        self.squads.extend(other.squads);
        self
    }

    /// Whether a case of `squad` now at `status` is seen.
    pub fn sees(&self, squad: &str, status: CaseStatus) -> bool {
        self.everything
            || self.squads.contains(squad)
            || (self.sent_for_review && status.sent_for_review())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, cert: Option<&str>) -> Person {
        Person {
            id: PersonId("p1".into()),
            name: "张伟".into(),
            role,
            cert_no: cert.map(|c| CertNo(c.into())),
            squad: "一中队".into(),
        }
    }

    #[test]
    fn assistant_cannot_become_an_enforcement_officer() {
        let err = EnforcementOfficer::try_from(person(Role::Assistant, Some("X1"))).unwrap_err();
        assert!(matches!(err, RuleViolation::NotAnEnforcementOfficer { .. }));
    }

    #[test]
    fn officer_without_certificate_is_refused() {
        let err = EnforcementOfficer::try_from(person(Role::EnforcementOfficer, None)).unwrap_err();
        assert!(matches!(
            err,
            RuleViolation::NoEnforcementCertificate { .. }
        ));
        let err =
            EnforcementOfficer::try_from(person(Role::EnforcementOfficer, Some("  "))).unwrap_err();
        assert!(matches!(
            err,
            RuleViolation::NoEnforcementCertificate { .. }
        ));
    }

    #[test]
    fn certified_officer_and_leader_are_accepted() {
        let o = EnforcementOfficer::try_from(person(Role::EnforcementOfficer, Some("44010001")))
            .unwrap();
        assert_eq!(o.cert_no().0, "44010001");
        assert!(EnforcementOfficer::try_from(person(Role::SquadLeader, Some("44010002"))).is_ok());
        assert!(EnforcementOfficer::try_from(person(Role::LegalReviewer, Some("1"))).is_err());
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_code("nobody"), None);
    }
}
