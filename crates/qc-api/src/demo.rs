//! Demo data: a squad of officers and realistic cases across the six domains, each played
//! through its story by the same API and rules as real work, at the dates of that story. Every
//! case holds what its status implies: from 调查取证 on, a sealed inspection record signed by the
//! party (or a witness), a two-page transcript signed page by page and two co-signed photos;
//! then the notice, the statement or hearing, the review, the decision, the delivery, the
//! payment, the closing and the disclosure, as far as the case has gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use qc_domain::{
    Act, CaseSource, CaseStatus, CertNo, Clock, DeliveryMethod, DeliveryReceipt, Discretion,
    Execution, Interviewee, NoPartySignature, NoticeItem, Outcome721, Party, PartyKind, Penalty,
    Person, PersonId, Proposal, Qa, Role, Timestamp, TransferTo, money_due, qualifies_for_hearing,
};
use qc_evidence::sample;
use serde::Serialize;

use crate::records::{InspectionEdit, NewEvidence, NoticeDraft, NoticeKind, PageClose, Signoff};
use crate::{ApiError, Enrolment, NewCase, Quancheng, Unlocked};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Beijing time is UTC+8.
const CHINA: i64 = 8 * HOUR;

/// The demo squad. PINs are printed by `init` so a newcomer can sign in.
pub fn demo_people() -> Vec<Enrolment> {
    let p =
        |id: &str, name: &str, role: Role, cert: Option<&str>, squad: &str, pin: &str| Enrolment {
            person: Person {
                id: PersonId(id.into()),
                name: name.into(),
                role,
                cert_no: cert.map(|c| CertNo(c.into())),
                squad: squad.into(),
            },
            pin: pin.into(),
        };
    vec![
        p(
            "li.ming",
            "李明",
            Role::EnforcementOfficer,
            Some("41030021001"),
            "一中队",
            "147258",
        ),
        p(
            "wang.fang",
            "王芳",
            Role::EnforcementOfficer,
            Some("41030021002"),
            "一中队",
            "258369",
        ),
        p(
            "zhao.qiang",
            "赵强",
            Role::EnforcementOfficer,
            Some("41030022001"),
            "二中队",
            "369147",
        ),
        p(
            "sun.hao",
            "孙浩",
            Role::EnforcementOfficer,
            Some("41030022002"),
            "二中队",
            "471825",
        ),
        p(
            "chen.xie",
            "陈晓",
            Role::Assistant,
            None,
            "一中队",
            "741852",
        ),
        p(
            "liu.jianguo",
            "刘建国",
            Role::SquadLeader,
            Some("41030020101"),
            "一中队",
            "852963",
        ),
        p(
            "ma.lin",
            "马琳",
            Role::SquadLeader,
            Some("41030020102"),
            "二中队",
            "518274",
        ),
        p(
            "sun.li",
            "孙丽",
            Role::LegalReviewer,
            None,
            "法制科",
            "963741",
        ),
        p(
            "zhou.wen",
            "周文",
            Role::Head,
            Some("41030020001"),
            "局领导",
            "159357",
        ),
        p(
            "wu.min",
            "吴敏",
            Role::Administrator,
            None,
            "信息科",
            "357159",
        ),
    ]
}

/// What `demo` did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// Cases added now (0 if the demo cases were already there).
    pub cases_added: usize,
    /// Cases on the device afterwards.
    pub cases_total: u64,
}

/// How far a demo case goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    /// The general procedure (一般程序), up to this status.
    Reach(CaseStatus),
    /// The leader sends the filing request back (退回补充核查).
    Returned,
    /// Not filed (不予立案); the complainant has not been told yet.
    NotFiled,
    /// 721 service: found on patrol by an assistant, who registers it and dissuades the party on
    /// the spot (宣传教育、劝阻); no case opened (已处置).
    Advised,
    /// 721 management: ordered to correct within days, the follow-up check still ahead.
    Correcting {
        /// Days from registration to the follow-up date.
        days: i64,
    },
    /// 简易程序: a small fine decided on the spot, paid at the bank, closed.
    OnTheSpot,
    /// Investigated, then transferred to the police as a suspected crime (两法衔接).
    ToPolice,
}

/// A 证据先行登记保存 in a demo case.
#[derive(Debug, Clone, Copy)]
struct Preserve {
    /// Items and quantities.
    items: &'static [(&'static str, &'static str)],
    /// Where they are kept.
    kept_at: &'static str,
    /// The leader's decision within 7 days; `None`: issued 5 days ago and still awaited.
    decided: Option<&'static str>,
}

struct Spec {
    violation: &'static str,
    address: &'static str,
    grid: &'static str,
    party: (PartyKind, &'static str),
    /// Who answers and signs for a business (name, capacity); a person answers for themself.
    speaker: Option<(&'static str, &'static str)>,
    summary: &'static str,
    /// What the party says happened (询问笔录), or what they were told or ordered (721).
    words: &'static str,
    source: CaseSource,
    /// Squad one or two.
    squad: u8,
    /// Registration was this many days ago (at the start of the working day).
    days_ago: i64,
    goal: Goal,
    preserve: Option<Preserve>,
    /// The party was absent from the inspection: a witness signed it.
    party_absent: bool,
    /// Days from the transcript to the end of the investigation.
    investigation_days: i64,
    /// Decided after the deadline, for this reason.
    late_reason: Option<&'static str>,
    /// Delivered by post (else directly).
    by_post: bool,
}

impl Spec {
    fn speaker(mut self, name: &'static str, capacity: &'static str) -> Spec {
        self.speaker = Some((name, capacity));
        self
    }

    fn preserve(mut self, p: Preserve) -> Spec {
        self.preserve = Some(p);
        self
    }

    fn party_absent(mut self) -> Spec {
        self.party_absent = true;
        self
    }

    fn late(mut self, investigation_days: i64, reason: &'static str) -> Spec {
        self.investigation_days = investigation_days;
        self.late_reason = Some(reason);
        self
    }

    fn by_post(mut self) -> Spec {
        self.by_post = true;
        self
    }
}

fn complaint(name: &str) -> CaseSource {
    CaseSource::Complaint {
        complainant: name.into(),
        contact: "138****6621".into(),
        via_12319: true,
    }
}

/// The demo cases: one of each status, the 721 outcomes, 简易程序, a transfer to the police,
/// a decision made late with its reason, and overdue deadlines. The timelines are laid out so
/// that every act happens before today.
fn specs() -> Vec<Spec> {
    use CaseStatus as S;
    use Goal::*;
    use PartyKind::{Business as B, Person as P};
    #[allow(clippy::too_many_arguments)]
    fn s(
        violation: &'static str,
        address: &'static str,
        grid: &'static str,
        party: (PartyKind, &'static str),
        summary: &'static str,
        words: &'static str,
        source: CaseSource,
        squad: u8,
        days_ago: i64,
        goal: Goal,
    ) -> Spec {
        Spec {
            violation,
            address,
            grid,
            party,
            speaker: None,
            summary,
            words,
            source,
            squad,
            days_ago,
            goal,
            preserve: None,
            party_absent: false,
            investigation_days: 5,
            late_reason: None,
            by_post: false,
        }
    }
    vec![
        s(
            "environment.open_air_barbecue",
            "建设路与中州路交叉口东南角",
            "JX-03-07",
            (P, "张建国"),
            "夜间在人行道设置露天烧烤摊，油烟扰民，周边居民多次投诉。",
            "烧烤摊是我摆的，每天晚上七点到十二点在这里经营，已经摆了一个多月，没有办任何手续。",
            complaint("王女士"),
            1,
            35,
            Reach(S::Disclosed),
        )
        .preserve(Preserve {
            items: &[("木炭烧烤炉", "2台"), ("折叠桌", "3张")],
            kept_at: "西工区城市管理执法大队暂扣物品仓库",
            decided: Some("经调查，上述物品系当事人从事露天烧烤的工具，依法解除先行登记保存，退还当事人并责令不得再用于露天烧烤"),
        }),
        s(
            "commerce.unlicensed_outdoor_trading",
            "解放路菜市场北门",
            "LL-01-02",
            (P, "李秀英"),
            "占用市场出入口流动摆摊售卖水果，经劝导后仍未撤离。",
            "",
            CaseSource::SelfDiscovered,
            1,
            3,
            Reach(S::Registered),
        ),
        s(
            "environment.fireworks",
            "西工区禁放区域内",
            "XG-04-02",
            (P, "钱永福"),
            "在禁放区域内燃放烟花爆竹。",
            "",
            CaseSource::SelfDiscovered,
            2,
            2,
            Returned,
        ),
        s(
            "food_drug.unlicensed_food_stall",
            "实验小学东门",
            "XG-01-01",
            (P, "赵玉兰"),
            "校门口无证经营油炸食品摊点，卫生条件差。",
            "",
            complaint("家长委员会"),
            1,
            6,
            Reach(S::Filed),
        ),
        s(
            "transport.illegal_parking",
            "青岛路人行道",
            "JX-01-03",
            (P, "周海涛"),
            "机动车长期停放于人行道盲道之上。",
            "",
            complaint("路过市民"),
            1,
            12,
            NotFiled,
        ),
        s(
            "food_drug.illegal_drug_recycling",
            "天津路社区菜市场门口",
            "XG-03-04",
            (P, "孙志强"),
            "街头收购居民家中剩余药品，涉嫌违法回收药品。",
            "药是我从小区居民手里低价收的，攒多了再卖给外地来收药的人，干了大半年了，具体卖了多少钱记不清。",
            CaseSource::SelfDiscovered,
            2,
            6,
            ToPolice,
        ),
        s(
            "housing.illegal_construction",
            "幸福小区12号楼顶层",
            "JX-05-11",
            (P, "刘德胜"),
            "在楼顶平台搭建彩钢板房约30平方米，未取得建设工程规划许可证。",
            "楼顶的彩钢板房是我找人搭的，打算放杂物，没有去规划部门办手续。",
            complaint("物业公司"),
            1,
            66,
            Reach(S::Investigating),
        )
        .preserve(Preserve {
            items: &[("彩钢板", "12张"), ("电焊机", "1台")],
            kept_at: "就地封存，由幸福小区物业服务中心看管",
            decided: None,
        }),
        s(
            "environment.community_noise",
            "丽景门广场",
            "LL-02-06",
            (P, "郑桂芳"),
            "夜间使用高音喇叭，噪声超过标准，影响周边休息。",
            "我们几个人每天晚上在广场跳舞，音箱是我带来的，声音是开得大了一些。",
            complaint("周边居民"),
            1,
            10,
            Reach(S::InvestigationConcluded),
        ),
        s(
            "environment.construction_dust",
            "九都路与太康路交叉口",
            "LL-04-03",
            (B, "洛阳市恒达市政工程有限公司"),
            "施工工地裸土未覆盖，运输车辆未冲洗带泥上路，扬尘明显。",
            "工地裸土前几天下雨后没有及时覆盖，冲洗设备坏了还没修好，车辆出场没有冲洗。",
            CaseSource::DigitalPlatform {
                ticket: "SZCG-2026-118204".into(),
            },
            2,
            12,
            Reach(S::Notified),
        )
        .speaker("韩志刚", "当事人单位项目负责人"),
        s(
            "environment.construction_noise",
            "滨河路安置房项目工地",
            "BH-01-01",
            (B, "洛阳宏建建筑工程有限公司"),
            "夜间22时后进行混凝土浇筑作业，未办理夜间施工许可。",
            "当晚是为了赶工期连续浇筑混凝土，一直干到凌晨两点，没有办理夜间施工证明。",
            complaint("居民代表"),
            2,
            16,
            Reach(S::LegalReviewed),
        )
        .speaker("周明亮", "当事人单位项目经理"),
        s(
            "environment.restaurant_fumes",
            "南昌路美食街17号",
            "JX-06-02",
            (B, "洛阳市西工区老街川菜馆"),
            "餐饮油烟未经净化设施处理直接排放，净化器长期未开启。",
            "油烟净化器嫌费电平时没有开，油烟是从后厨排风口直接排出去的。",
            complaint("楼上住户"),
            1,
            19,
            Reach(S::Decided),
        )
        .speaker("何永红", "经营者"),
        s(
            "housing.property_management",
            "阳光花园小区",
            "JX-07-01",
            (B, "洛阳阳光物业服务有限公司"),
            "擅自将小区公共绿地改建为收费停车位。",
            "小区车位紧张，公司决定把东侧绿地硬化后改成停车位，按月收费，没有经过业主大会同意。",
            complaint("业主委员会"),
            2,
            24,
            Reach(S::Delivered),
        )
        .speaker("孟庆华", "当事人单位委托代理人")
        .by_post(),
        s(
            "environment.open_burning",
            "城郊结合部空地",
            "BH-02-03",
            (P, "吴晓明"),
            "露天焚烧废旧塑料和垃圾，产生浓烟。",
            "",
            complaint("过往群众"),
            2,
            10,
            Reach(S::Filed),
        ),
        s(
            "transport.road_occupation",
            "景华路88号门前",
            "JX-02-04",
            (B, "洛阳市西工区景华五金店"),
            "店外占用人行道堆放货物，影响行人通行。",
            "店里地方小，进货后先把货物堆在门口人行道上，一般要放一两天。",
            CaseSource::SelfDiscovered,
            1,
            29,
            Reach(S::Closed),
        )
        .speaker("冯建华", "经营者"),
        s(
            "water.river_dumping",
            "涧河东岸桥下",
            "JH-01-05",
            (P, "王春生"),
            "向城市河道倾倒建筑垃圾约5立方米。",
            "建筑垃圾是我用三轮车拉过来倒的，是装修拆下来的碎砖和水泥块，觉得倒在桥下没人管。",
            CaseSource::SelfDiscovered,
            2,
            74,
            Reach(S::Executed),
        )
        .party_absent()
        .late(
            46,
            "当事人申请听证，且倾倒废弃物数量需委托测量认定，听证及集体讨论耗时，未能在立案之日起六十日内作出决定",
        ),
        s(
            "commerce.illegal_outdoor_advertising",
            "中州中路126号门前",
            "XG-02-09",
            (B, "洛阳市西工区美佳服饰店"),
            "店门口人行道上摆放落地式广告牌，影响通行。",
            "向店主宣传户外广告设置管理规定，劝导其将落地广告牌收回店内，店主当场收回。",
            CaseSource::SelfDiscovered,
            1,
            4,
            Advised,
        ),
        s(
            "transport.road_occupation",
            "唐宫路45号门前",
            "LL-05-02",
            (B, "洛阳市老城区鑫源便利店"),
            "店外搭建遮阳棚并堆放货物，占用人行道约6平方米。",
            "责令当事人拆除店外遮阳棚、清理占道堆放的货物，恢复人行道通行。",
            CaseSource::DigitalPlatform {
                ticket: "SZCG-2026-120077".into(),
            },
            2,
            2,
            Correcting { days: 5 },
        ),
        s(
            "transport.illegal_parking",
            "九都西路洛阳市第二人民医院门前",
            "XG-05-03",
            (P, "马永强"),
            "机动车停放于人行道上，阻碍行人通行，驾驶人在场。",
            "",
            CaseSource::SelfDiscovered,
            1,
            3,
            OnTheSpot,
        ),
    ]
}

/// A party's name as published: a person's surname and 某, an organisation's name in full.
fn mask(name: &str, kind: PartyKind) -> String {
    match kind {
        PartyKind::Business => name.into(),
        PartyKind::Person => name.chars().take(1).chain("某".chars()).collect(),
    }
}

/// The demo's clock while it loads: each act is done at its own time in its case's story, so
/// that records, evidence, acts and their signed entries carry the dates a real case would,
/// through the same calls the app makes.
struct StoryClock(AtomicI64);

impl StoryClock {
    fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::Relaxed);
    }
}

impl Clock for StoryClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::Relaxed))
    }
}

/// Adds the demo cases, once. Every act is validated like real work.
pub fn load(app: &mut Quancheng) -> Result<DemoReport, ApiError> {
    if app.store.meta("demo_loaded")?.is_some() {
        return Ok(DemoReport {
            cases_added: 0,
            cases_total: app.case_count()?,
        });
    }
    let team = demo_people()
        .iter()
        .filter(|e| e.person.role != Role::Administrator)
        .map(|e| app.unlock(&e.person.id.0, &e.pin))
        .collect::<Result<Vec<_>, _>>()?;
    let now = app.now();
    let specs = specs();
    let story = Arc::new(StoryClock(AtomicI64::new(now.0)));
    let installed: Arc<dyn Clock> = story.clone();
    let wall = std::mem::replace(&mut app.clock, installed);
    let played = specs.iter().enumerate().try_for_each(|(n, spec)| {
        Story::new(&mut *app, &story, &team, spec, n, now).and_then(Story::play)
    });
    // The wall clock is back whether or not every case could be played.
    app.clock = wall;
    played?;
    app.store.set_meta("demo_loaded", b"1")?;
    Ok(DemoReport {
        cases_added: specs.len(),
        cases_total: app.case_count()?,
    })
}

/// When a step of a story happens.
#[derive(Debug, Clone, Copy)]
enum When {
    /// This many milliseconds after the previous step.
    After(i64),
    /// This many days after the previous step's day, at this hour and minute (Beijing time).
    Day(i64, i64, i64),
    /// This many days before today, at this hour and minute.
    Ago(i64, i64, i64),
}

/// The start of the Beijing day `t` falls on.
fn day_start(t: i64) -> i64 {
    let local = t + CHINA;
    local - local.rem_euclid(DAY) - CHINA
}

/// The people of a case.
#[derive(Clone, Copy)]
struct Cast<'a> {
    /// The investigating officers.
    a: &'a Unlocked,
    b: &'a Unlocked,
    leader: &'a Unlocked,
    reviewer: &'a Unlocked,
    head: &'a Unlocked,
    assistant: &'a Unlocked,
}

/// One demo case being played.
struct Story<'a> {
    app: &'a mut Quancheng,
    clock: &'a StoryClock,
    spec: &'a Spec,
    cast: Cast<'a>,
    /// Its place among the demo cases (numbers its documents).
    n: usize,
    /// The wall clock's now: nothing may happen after it.
    now: Timestamp,
    /// The story's time: the last step's.
    t: Timestamp,
    case: String,
}

impl<'a> Story<'a> {
    fn new(
        app: &'a mut Quancheng,
        clock: &'a StoryClock,
        team: &'a [Unlocked],
        spec: &'a Spec,
        n: usize,
        now: Timestamp,
    ) -> Result<Story<'a>, ApiError> {
        let squad = if spec.squad == 1 {
            "一中队"
        } else {
            "二中队"
        };
        let member = |role: Role, squad: Option<&str>, nth: usize| {
            team.iter()
                .filter(|u| u.person().role == role && squad.is_none_or(|s| u.person().squad == s))
                .nth(nth)
                .ok_or_else(|| {
                    ApiError::Invalid(format!("the demo needs a {role:?} of {squad:?} unlocked"))
                })
        };
        let cast = Cast {
            a: member(Role::EnforcementOfficer, Some(squad), 0)?,
            b: member(Role::EnforcementOfficer, Some(squad), 1)?,
            leader: member(Role::SquadLeader, Some(squad), 0)?,
            reviewer: member(Role::LegalReviewer, None, 0)?,
            head: member(Role::Head, None, 0)?,
            assistant: member(Role::Assistant, None, 0)?,
        };
        // Registered at the start of that working day, the cases a few minutes apart.
        let day = day_start(now.0 - spec.days_ago * DAY);
        let t = Timestamp(day + 9 * HOUR + (n as i64 * 17 % 90) * MINUTE);
        Ok(Story {
            app,
            clock,
            spec,
            cast,
            n,
            now,
            t,
            case: String::new(),
        })
    }

    /// Moves the story's clock to `when`; a story never runs into the future.
    fn at(&mut self, when: When) -> Result<(), ApiError> {
        let t = match when {
            When::After(ms) => self.t.0 + ms,
            When::Day(days, h, m) => day_start(self.t.0) + days * DAY + h * HOUR + m * MINUTE,
            When::Ago(days, h, m) => day_start(self.now.0) - days * DAY + h * HOUR + m * MINUTE,
        };
        let t = t.max(self.t.0 + MINUTE);
        if t >= self.now.0 {
            return Err(ApiError::Invalid(format!(
                "demo case {} ({}) would act after now",
                self.n, self.spec.violation
            )));
        }
        self.t = Timestamp(t);
        self.clock.set(self.t);
        Ok(())
    }

    fn act(&mut self, when: When, act: Act, by: &[&Unlocked]) -> Result<(), ApiError> {
        self.at(when)?;
        self.app.record_act(&self.case, act, by)
    }

    fn party(&self) -> Party {
        Party {
            kind: self.spec.party.0,
            name: self.spec.party.1.into(),
            id_number: None,
            phone: None,
        }
    }

    /// Who answers and signs for the party.
    fn speaker(&self) -> (&'static str, &'static str) {
        self.spec.speaker.unwrap_or((self.spec.party.1, "当事人"))
    }

    fn play(mut self) -> Result<(), ApiError> {
        let c = self.cast;
        // An assistant registers what they find on patrol.
        let registrar = if self.spec.goal == Goal::Advised {
            c.assistant
        } else {
            c.a
        };
        if self.t >= self.now {
            return Err(ApiError::Invalid(format!(
                "demo case {} ({}) would be registered after now",
                self.n, self.spec.violation
            )));
        }
        self.clock.set(self.t);
        let spec = self.spec;
        self.case = self
            .app
            .register_case(
                NewCase {
                    source: spec.source.clone(),
                    violation: spec.violation.into(),
                    address: spec.address.into(),
                    grid: spec.grid.into(),
                    gps: None,
                    parties: vec![self.party()],
                    summary: spec.summary.into(),
                },
                registrar,
            )?
            .0;
        match spec.goal {
            Goal::Reach(_) | Goal::ToPolice => self.procedure(),
            Goal::Returned => self.act(
                When::Day(1, 15, 0),
                Act::ReturnFiling {
                    comments: "请补充当事人身份信息及现场照片后重新提请立案".into(),
                },
                &[c.leader],
            ),
            Goal::NotFiled => self.act(
                When::Day(1, 10, 0),
                Act::DeclineFiling {
                    reason: "经核查，涉事车辆已驶离，违法事实无法查证".into(),
                },
                &[c.leader],
            ),
            Goal::Advised => self.act(
                When::After(20 * MINUTE),
                Act::Advise {
                    advice: spec.words.into(),
                },
                &[c.assistant],
            ),
            Goal::Correcting { days } => {
                let correct_by = Timestamp(day_start(self.t.0) + days * DAY + 18 * HOUR);
                self.act(
                    When::After(30 * MINUTE),
                    Act::OrderCorrection {
                        order: format!("{}限于{}前改正。", spec.words, correct_by.display_china()),
                        correct_by,
                    },
                    &[c.a, c.b],
                )
            }
            Goal::OnTheSpot => self.on_the_spot(),
        }
    }

    /// 简易程序: the officers show their credentials and decide on the spot; the party pays at
    /// the bank the next day and the leader closes the case.
    fn on_the_spot(&mut self) -> Result<(), ApiError> {
        let c = self.cast;
        let catalogue = self.app.catalogue().clone();
        let penalties = match catalogue.fine_standard(self.spec.violation, Discretion::Standard) {
            Some(f) => vec![Penalty::Fine { yuan: f.min_yuan }],
            None => vec![Penalty::Warning],
        };
        let due = money_due(&penalties);
        self.act(
            When::After(15 * MINUTE),
            Act::SummaryDecision {
                penalties,
                facts: self.spec.summary.into(),
                basis: basis(&catalogue, self.spec.violation),
                certificate_shown: true,
            },
            &[c.a, c.b],
        )?;
        if due > 0 {
            self.act(
                When::Day(1, 10, 30),
                Act::Execute {
                    execution: Execution::PaidAtBank {
                        receipt_no: self.receipt_no(),
                        yuan: due,
                    },
                },
                &[c.a],
            )?;
        }
        self.act(
            When::Day(1, 16, 0),
            Act::Close {
                report: "当事人已于次日到银行缴纳罚款，当场处罚决定执行完毕，案件办结".into(),
            },
            &[c.leader],
        )
    }

    fn receipt_no(&self) -> String {
        format!("豫非税{:010}", 4_103_002_611 + self.n as u64 * 97)
    }

    /// The general procedure (一般程序) up to the spec's status: 立案, 调查取证 with its
    /// records, 调查终结, 事先告知, 陈述申辩 or 听证, 法制审核, 集体讨论 where the penalty
    /// qualifies for a hearing, 决定, 送达, 执行, 结案, 公开.
    fn procedure(&mut self) -> Result<(), ApiError> {
        use CaseStatus as S;
        let c = self.cast;
        let spec = self.spec;
        let goal = match spec.goal {
            Goal::Reach(s) => s,
            _ => S::Investigating,
        };
        let rank = |s: CaseStatus| CaseStatus::ALL.iter().position(|x| *x == s);
        let reached = |s: CaseStatus| rank(s) <= rank(goal);
        if goal == S::Registered {
            return Ok(());
        }
        self.act(When::Day(1, 10, 0), Act::File, &[c.leader])?;
        if matches!(spec.source, CaseSource::Complaint { .. }) {
            self.act(
                When::After(2 * HOUR),
                Act::InformComplainant {
                    how: "电话告知投诉人已立案调查".into(),
                },
                &[c.a],
            )?;
        }
        if !reached(S::Investigating) {
            return Ok(());
        }

        // 调查取证, by the two officers of the team.
        self.act(
            When::Day(1, 9, 0),
            Act::StartInvestigation {
                team: vec![c.a.person().id.clone(), c.b.person().id.clone()],
            },
            &[c.leader],
        )?;
        self.inspect()?;
        let decided = spec.preserve.filter(|p| p.decided.is_some());
        let preserved = match decided {
            Some(p) => Some(self.preserve(When::After(10 * MINUTE), p)?),
            None => None,
        };
        self.question()?;
        if let (Some(notice), Some(outcome)) = (preserved, decided.and_then(|p| p.decided)) {
            self.act(
                When::Day(2, 15, 0),
                Act::PreservationDecision {
                    notice,
                    outcome: outcome.into(),
                    late_reason: None,
                },
                &[c.leader],
            )?;
        }
        if let Some(p) = spec.preserve.filter(|p| p.decided.is_none()) {
            self.preserve(When::Ago(5, 14, 0), p)?;
        }
        if spec.goal == Goal::ToPolice {
            return self.act(
                When::Day(1, 15, 0),
                Act::Transfer {
                    to: "洛阳市公安局西工分局".into(),
                    reason:
                        "调查发现当事人长期大量收购并转售药品，涉嫌非法经营罪，依法移送公安机关"
                            .into(),
                    kind: TransferTo::Police,
                    materials: "涉嫌犯罪案件移送书、现场检查笔录、询问笔录、现场照片2张".into(),
                },
                &[c.leader],
            );
        }
        if !reached(S::InvestigationConcluded) {
            return Ok(());
        }
        self.act(
            When::Day(spec.investigation_days, 16, 0),
            Act::ConcludeInvestigation {
                summary: format!(
                    "经调查，{}有现场检查笔录、询问笔录及现场照片为证，违法事实清楚，证据确凿，建议给予行政处罚。",
                    spec.summary
                ),
            },
            &[c.a, c.b],
        )?;
        if !reached(S::Notified) {
            return Ok(());
        }

        // 事先告知 with the proposal, from the catalogue's standard.
        let catalogue = self.app.catalogue().clone();
        let basis = basis(&catalogue, spec.violation);
        let penalties = match catalogue.fine_standard(spec.violation, Discretion::Standard) {
            Some(f) => vec![Penalty::Fine { yuan: f.min_yuan }],
            None => vec![Penalty::Warning],
        };
        let state = self.app.case_detail(&self.case)?.state;
        let serious = qualifies_for_hearing(&state, &catalogue, &penalties);
        self.act(
            When::Day(1, 10, 0),
            Act::Notify {
                hearing_offered: serious,
                proposal: Some(Proposal {
                    discretion: Discretion::Standard,
                    penalties: penalties.clone(),
                    facts: spec.summary.into(),
                    reasons: "当事人系初次违法，违法情节一般，依照裁量基准按一般情节处罚".into(),
                    basis: basis.clone(),
                }),
            },
            &[c.a, c.b],
        )?;
        let (party, _) = self.speaker();
        if serious {
            self.act(
                When::Day(2, 9, 30),
                Act::RequestHearing {
                    note: format!("当事人{party}于告知后第二日书面申请听证"),
                },
                &[c.a],
            )?;
            self.act(
                When::Day(7, 9, 0),
                Act::HoldHearing {
                    participants: format!(
                        "主持人{}，案件调查人员{}、{}，当事人{party}",
                        c.reviewer.person().name,
                        c.a.person().name,
                        c.b.person().name
                    ),
                    record: "调查人员陈述违法事实、证据和拟处罚意见；当事人对违法事实无异议，称系初次违法，请求从轻处罚。".into(),
                    opinion: "违法事实清楚，证据充分；当事人无法定从轻、减轻情节，维持拟处罚意见".into(),
                },
                &[c.reviewer],
            )?;
        } else {
            self.act(
                When::Day(2, 10, 0),
                Act::HearStatement {
                    waived: false,
                    statement: format!("当事人{party}称系初次违法，已认识到错误，愿意立即改正，请求从轻处罚。"),
                    accepted: false,
                    reasons: "当事人所述初次违法已在一般情节裁量中考虑，无其他从轻、减轻情节，维持拟处罚意见".into(),
                },
                &[c.a, c.b],
            )?;
        }
        if !reached(S::LegalReviewed) {
            return Ok(());
        }
        self.act(
            When::Day(2, 15, 0),
            Act::LegalReview {
                passed: true,
                opinion: "主体适格，程序合法，事实清楚，证据确凿，适用依据正确，裁量适当".into(),
                major: serious,
            },
            &[c.reviewer],
        )?;
        if serious {
            let name = |u: &Unlocked| u.person().name.clone();
            self.act(
                When::Day(1, 9, 30),
                Act::CollectiveDiscussion {
                    participants: vec![name(c.head), name(c.leader), name(c.reviewer)],
                    opinions:
                        "与会人员一致认为违法事实清楚，听证意见已充分考虑，同意按一般情节处罚"
                            .into(),
                    conclusion: "同意作出行政处罚决定".into(),
                },
                &[c.head],
            )?;
        }
        if !reached(S::Decided) {
            return Ok(());
        }
        self.act(
            When::Day(1, 11, 0),
            Act::Decide {
                discretion: Discretion::Standard,
                summary: penalties
                    .iter()
                    .map(Penalty::zh)
                    .collect::<Vec<_>>()
                    .join("，"),
                penalties: penalties.clone(),
                basis: basis.clone(),
                late_reason: spec.late_reason.map(str::to_owned),
            },
            &[c.head],
        )?;
        if !reached(S::Delivered) {
            return Ok(());
        }
        let recipient = spec.party.1.to_owned();
        let (method, receipt) = if spec.by_post {
            (
                DeliveryMethod::Post,
                DeliveryReceipt {
                    recipient,
                    note: format!("EMS邮件单号 1187{:08}", 23_456_601 + self.n * 13),
                    ..DeliveryReceipt::default()
                },
            )
        } else {
            (
                DeliveryMethod::Direct,
                DeliveryReceipt {
                    recipient,
                    ..DeliveryReceipt::default()
                },
            )
        };
        self.act(
            When::Day(2, 10, 0),
            Act::Deliver {
                method,
                late_reason: None,
                receipt: Some(receipt),
            },
            &[c.a, c.b],
        )?;
        if !reached(S::Executed) {
            return Ok(());
        }
        let due = money_due(&penalties);
        self.act(
            When::Day(6, 11, 0),
            Act::Execute {
                execution: if due > 0 {
                    Execution::PaidAtBank {
                        receipt_no: self.receipt_no(),
                        yuan: due,
                    }
                } else {
                    Execution::Complied
                },
            },
            &[c.a],
        )?;
        if !reached(S::Closed) {
            return Ok(());
        }
        self.act(
            When::Day(2, 16, 0),
            Act::Close {
                report: "当事人已按期到银行缴纳罚款，处罚决定执行完毕，案件办结".into(),
            },
            &[c.leader],
        )?;
        if !reached(S::Disclosed) {
            return Ok(());
        }
        self.act(
            When::Day(1, 10, 0),
            Act::Disclose {
                text: format!(
                    "当事人{}：{}依据{}，决定{}。",
                    mask(spec.party.1, spec.party.0),
                    spec.summary,
                    basis,
                    penalties
                        .iter()
                        .map(Penalty::zh)
                        .collect::<Vec<_>>()
                        .join("，")
                ),
                late_reason: None,
            },
            &[c.leader],
        )
    }

    /// 现场检查笔录 with two co-signed photos: the party notified, present and signing, or
    /// absent and a witness signing; sealed by the two officers.
    fn inspect(&mut self) -> Result<(), ApiError> {
        let Cast { a, b, .. } = self.cast;
        let spec = self.spec;
        self.at(When::After(HOUR))?;
        let record = self.app.start_inspection(&self.case, &[a, b])?;
        let what = self
            .app
            .catalogue()
            .violation(spec.violation)
            .map_or_else(|| spec.summary.to_owned(), |(_, v)| v.name.clone());
        // Two photos, small and different in every case: the first signed by both officers at
        // once, the second by one and co-signed by the other.
        let photos = [
            (None, format!("{}现场全景", spec.address)),
            (Some(b), format!("{what}现场细部")),
        ];
        for (k, (second, description)) in photos.into_iter().enumerate() {
            self.at(When::After(8 * MINUTE))?;
            let photo = sample::jpeg(320 + 4 * self.n as u32 + 2 * k as u32, 240);
            let new = NewEvidence {
                file_name: format!("IMG_{:04}.jpg", 2000 + 2 * self.n + k),
                description,
                attestation: None,
            };
            let by: &[&Unlocked] = if second.is_some() { &[a] } else { &[a, b] };
            let id = self.app.add_evidence(&self.case, &photo[..], new, by)?;
            if let Some(second) = second {
                self.at(When::After(2 * MINUTE))?;
                self.app.cosign_evidence(&self.case, &id, second)?;
            }
        }
        self.at(When::After(20 * MINUTE))?;
        self.app.update_inspection(
            &self.case,
            &record,
            InspectionEdit {
                found: format!("经现场检查：{}现场拍摄照片2张。", spec.summary),
                outcome: Some(Outcome721::Enforcement),
                party_notified: true,
                party_present: !spec.party_absent,
                finished: true,
            },
            &[a],
        )?;
        self.at(When::After(5 * MINUTE))?;
        let (signer, _) = self.speaker();
        let image = sample::signature_png(240 + self.n as u32, 80);
        let how = if spec.party_absent {
            Signoff::Witness {
                name: "李卫东".into(),
                id_number: None,
                party_absent_reason: "当事人经电话通知未到场".into(),
                party_did_not_sign: NoPartySignature::Absent,
                image: &image,
            }
        } else {
            Signoff::Party {
                name: signer.into(),
                image: &image,
            }
        };
        self.app.sign_off(&self.case, &record, how, &[a])?;
        self.at(When::After(3 * MINUTE))?;
        self.app.seal_record(&self.case, &record, &[a, b])
    }

    /// 询问笔录 of the party (or the business's representative), rights shown, two pages each
    /// signed by the interviewee, sealed by the two officers.
    fn question(&mut self) -> Result<(), ApiError> {
        let Cast { a, b, .. } = self.cast;
        let spec = self.spec;
        let (name, capacity) = self.speaker();
        let qa = |question: &str, answer: &str| Qa {
            question: question.into(),
            answer: answer.into(),
        };
        let who = match spec.party.0 {
            PartyKind::Person => format!("我叫{name}。"),
            PartyKind::Business => format!("我叫{name}，是{}的{capacity}。", spec.party.1),
        };
        let pages = [
            vec![
                qa(
                    "我们是城市管理执法人员（出示执法证件），依法向你询问，你应如实回答，有陈述、申辩和申请回避的权利。是否申请回避？",
                    "不申请回避。",
                ),
                qa(
                    &format!("请讲一下你的身份和{}的情况。", spec.address),
                    &format!("{who}{}", spec.words),
                ),
            ],
            vec![qa(
                "以上笔录你是否看过，与你所说的是否一致？",
                "看过了，一致。",
            )],
        ];
        self.at(When::Day(1, 9, 30))?;
        let record = self.app.start_questioning(
            &self.case,
            Interviewee {
                name: name.into(),
                id_number: None,
                phone: None,
                capacity: capacity.into(),
            },
            true,
            &[a, b],
        )?;
        let signature = sample::signature_png(240 + self.n as u32, 80);
        for (page, answers) in pages.into_iter().enumerate() {
            for answer in answers {
                self.at(When::After(4 * MINUTE))?;
                self.app.add_answer(&self.case, &record, answer, &[a])?;
            }
            self.at(When::After(2 * MINUTE))?;
            self.app.close_page(
                &self.case,
                &record,
                page + 1,
                PageClose::Signed(&signature),
                &[a],
            )?;
        }
        self.at(When::After(MINUTE))?;
        self.app.end_questioning(&self.case, &record, &[a])?;
        self.at(When::After(2 * MINUTE))?;
        self.app.seal_record(&self.case, &record, &[a, b])
    }

    /// 证据先行登记保存通知书, signed by the party and sealed by the two officers (which opens
    /// its 7-day decision deadline). Returns the notice's id.
    fn preserve(&mut self, when: When, p: Preserve) -> Result<String, ApiError> {
        let Cast { a, b, .. } = self.cast;
        self.at(when)?;
        let notice = self.app.issue_notice(
            &self.case,
            NoticeDraft {
                kind: NoticeKind::Preservation,
                items: p
                    .items
                    .iter()
                    .map(|(name, quantity)| NoticeItem {
                        name: (*name).into(),
                        quantity: (*quantity).into(),
                    })
                    .collect(),
                kept_at: p.kept_at.into(),
                party: Some(self.party()),
            },
            &[a, b],
        )?;
        self.at(When::After(5 * MINUTE))?;
        let (signer, _) = self.speaker();
        let image = sample::signature_png(240 + self.n as u32, 80);
        self.app.sign_off(
            &self.case,
            &notice,
            Signoff::Party {
                name: signer.into(),
                image: &image,
            },
            &[a],
        )?;
        self.at(When::After(3 * MINUTE))?;
        self.app.seal_record(&self.case, &notice, &[a, b])?;
        Ok(notice)
    }
}

/// The legal basis of a violation type as a decision cites it.
fn basis(catalogue: &qc_domain::Catalogue, violation: &str) -> String {
    catalogue
        .violation(violation)
        .and_then(|(_, v)| v.basis.as_ref())
        .map(|b| format!("违反{}，依据{}", b.violated, b.penalty))
        .unwrap_or_else(|| "《中华人民共和国行政处罚法》".into())
}
