//! Demo data: a squad of officers and realistic cases across the six domains, each walked
//! through the lifecycle by the same API and rules as real work.

use qc_domain::{
    Act, CaseSource, CaseStatus, CertNo, DeliveryMethod, DeliveryReceipt, Discretion, Execution,
    Party, PartyKind, Penalty, Person, PersonId, Proposal, Role, Timestamp, TransferTo,
    money_due, qualifies_for_hearing,
};
use serde::Serialize;

use crate::{ApiError, Enrolment, NewCase, Quancheng, Unlocked};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

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

struct Spec {
    violation: &'static str,
    address: &'static str,
    grid: &'static str,
    party: (PartyKind, &'static str),
    summary: &'static str,
    source: CaseSource,
    /// Squad one or two.
    squad: u8,
    days_ago: i64,
    stage: CaseStatus,
    /// A complaint whose complainant has not yet been told (shows an overdue obligation).
    complainant_not_told: bool,
    /// An open evidence-preservation notice.
    preservation: bool,
}

fn complaint(name: &str) -> CaseSource {
    CaseSource::Complaint {
        complainant: name.into(),
        contact: "138****6621".into(),
        via_12319: true,
    }
}

fn specs() -> Vec<Spec> {
    use CaseStatus as S;
    use PartyKind::{Business as B, Person as P};
    let s = |violation, address, grid, party, summary, source, squad, days_ago, stage| Spec {
        violation,
        address,
        grid,
        party,
        summary,
        source,
        squad,
        days_ago,
        stage,
        complainant_not_told: false,
        preservation: false,
    };
    let mut v = vec![
        s(
            "environment.open_air_barbecue",
            "建设路与中州路交叉口东南角",
            "JX-03-07",
            (P, "张建国"),
            "夜间在人行道设置露天烧烤摊，油烟扰民，周边居民多次投诉。",
            complaint("王女士"),
            1,
            35,
            S::Disclosed,
        ),
        s(
            "commerce.unlicensed_outdoor_trading",
            "解放路菜市场北门",
            "LL-01-02",
            (P, "李秀英"),
            "占用市场出入口流动摆摊售卖水果，经劝导后仍未撤离。",
            CaseSource::SelfDiscovered,
            1,
            3,
            S::Registered,
        ),
        s(
            "housing.illegal_construction",
            "幸福小区12号楼顶层",
            "JX-05-11",
            (P, "刘德胜"),
            "在楼顶平台搭建彩钢板房约30平方米，未取得建设工程规划许可证。",
            complaint("物业公司"),
            1,
            59,
            S::Investigating,
        ),
        s(
            "transport.road_occupation",
            "景华路88号门前",
            "JX-02-04",
            (B, "景华五金店"),
            "店外占用人行道堆放货物，影响行人通行。",
            CaseSource::SelfDiscovered,
            1,
            20,
            S::Closed,
        ),
        s(
            "environment.construction_noise",
            "滨河路安置房项目工地",
            "BH-01-01",
            (B, "某建筑工程有限公司"),
            "夜间22时后进行混凝土浇筑作业，未办理夜间施工许可。",
            complaint("居民代表"),
            2,
            28,
            S::LegalReviewed,
        ),
        s(
            "environment.construction_dust",
            "九都路与太康路交叉口",
            "LL-04-03",
            (B, "某市政工程公司"),
            "施工工地裸土未覆盖，运输车辆未冲洗带泥上路，扬尘明显。",
            CaseSource::DigitalPlatform {
                ticket: "SZCG-2026-118204".into(),
            },
            2,
            15,
            S::Notified,
        ),
        s(
            "environment.restaurant_fumes",
            "南昌路美食街17号",
            "JX-06-02",
            (B, "老街川菜馆"),
            "餐饮油烟未经净化设施处理直接排放，净化器长期未开启。",
            complaint("楼上住户"),
            1,
            40,
            S::Decided,
        ),
        s(
            "commerce.illegal_outdoor_advertising",
            "中州中路商业广场外墙",
            "XG-02-09",
            (B, "某广告传媒公司"),
            "未经审批在建筑外墙设置大型户外广告牌。",
            CaseSource::Referral {
                department: "市场监督管理局".into(),
            },
            2,
            64,
            S::Investigating,
        ),
        s(
            "water.river_dumping",
            "涧河东岸桥下",
            "JH-01-05",
            (P, "王春生"),
            "向城市河道倾倒建筑垃圾约5立方米。",
            CaseSource::SelfDiscovered,
            2,
            9,
            S::Investigating,
        ),
        s(
            "water.illegal_earth_taking",
            "洛河南岸滩地",
            "LH-03-01",
            (B, "某土方工程队"),
            "在河道管理范围内擅自取土，形成多处深坑。",
            CaseSource::Assigned {
                authority: "市城市管理局".into(),
            },
            2,
            31,
            S::Executed,
        ),
        s(
            "food_drug.unlicensed_food_stall",
            "实验小学东门",
            "XG-01-01",
            (P, "赵玉兰"),
            "校门口无证经营油炸食品摊点，卫生条件差。",
            complaint("家长委员会"),
            1,
            6,
            S::Filed,
        ),
        s(
            "food_drug.illegal_drug_recycling",
            "天津路社区菜市场门口",
            "XG-03-04",
            (P, "孙志强"),
            "街头收购居民家中剩余药品，涉嫌违法回收药品。",
            CaseSource::SelfDiscovered,
            2,
            2,
            S::Transferred,
        ),
        s(
            "transport.illegal_parking",
            "青岛路人行道",
            "JX-01-03",
            (P, "周海涛"),
            "机动车长期停放于人行道盲道之上。",
            CaseSource::DigitalPlatform {
                ticket: "SZCG-2026-120077".into(),
            },
            1,
            4,
            S::NotFiled,
        ),
        s(
            "housing.property_management",
            "阳光花园小区",
            "JX-07-01",
            (B, "某物业服务公司"),
            "擅自将小区公共绿地改建为收费停车位。",
            complaint("业主委员会"),
            2,
            45,
            S::Delivered,
        ),
        s(
            "environment.community_noise",
            "丽景门广场",
            "LL-02-06",
            (P, "郑桂芳"),
            "夜间使用高音喇叭，噪声超过标准，影响周边休息。",
            complaint("周边居民"),
            1,
            12,
            S::InvestigationConcluded,
        ),
        s(
            "environment.fireworks",
            "西工区禁放区域内",
            "XG-04-02",
            (P, "钱永福"),
            "在禁放区域内燃放烟花爆竹。",
            CaseSource::SelfDiscovered,
            2,
            1,
            S::Registered,
        ),
        s(
            "environment.open_burning",
            "城郊结合部空地",
            "BH-02-03",
            (P, "吴晓明"),
            "露天焚烧废旧塑料和垃圾，产生浓烟。",
            complaint("过往群众"),
            2,
            10,
            S::Filed,
        ),
        s(
            "housing.unlicensed_construction",
            "唐宫路商铺改造现场",
            "LL-05-02",
            (B, "某装饰公司"),
            "未取得施工许可擅自进行结构改造施工。",
            CaseSource::SelfDiscovered,
            1,
            24,
            S::Investigating,
        ),
    ];
    // A declined complaint whose complainant was never told: an overdue obligation.
    v[12].source = complaint("路过市民");
    v[12].complainant_not_told = true;
    v[12].days_ago = 12;
    // Preserved evidence awaiting its decision.
    v[8].preservation = true;
    v
}

/// A party's name as published: a person's surname and 某, an organisation's name in full.
fn mask(name: &str, kind: PartyKind) -> String {
    match kind {
        PartyKind::Business => name.into(),
        PartyKind::Person => name.chars().take(1).chain("某".chars()).collect(),
    }
}

/// The `n`th unlocked member with this role (and squad, if given).
fn member(team: &[Unlocked], role: Role, squad: Option<u8>, n: usize) -> &Unlocked {
    let squad = squad.map(|s| if s == 1 { "一中队" } else { "二中队" });
    team.iter()
        .filter(|u| u.person().role == role && squad.is_none_or(|s| u.person().squad == s))
        .nth(n)
        .unwrap_or(&team[0])
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
    for spec in &specs {
        add_case(app, &team, spec, now)?;
    }
    app.store.set_meta("demo_loaded", b"1")?;
    Ok(DemoReport {
        cases_added: specs.len(),
        cases_total: app.case_count()?,
    })
}

fn add_case(
    app: &mut Quancheng,
    team: &[Unlocked],
    spec: &Spec,
    now: Timestamp,
) -> Result<(), ApiError> {
    let squad = Some(spec.squad);
    let a = member(team, Role::EnforcementOfficer, squad, 0);
    let b = member(team, Role::EnforcementOfficer, squad, 1);
    let leader = member(team, Role::SquadLeader, squad, 0);
    let reviewer = member(team, Role::LegalReviewer, None, 0);
    let head = member(team, Role::Head, None, 0);
    let start = Timestamp(now.0 - spec.days_ago * DAY);
    let id = app.register_case_at(
        NewCase {
            source: spec.source.clone(),
            violation: spec.violation.into(),
            address: spec.address.into(),
            grid: spec.grid.into(),
            gps: None,
            parties: vec![Party {
                kind: spec.party.0,
                name: spec.party.1.into(),
                id_number: None,
                phone: None,
            }],
            summary: spec.summary.into(),
        },
        a,
        start,
    )?;
    let is_complaint = matches!(spec.source, CaseSource::Complaint { .. });
    let stage = spec.stage;
    let mut steps: Vec<(i64, Act, Vec<&Unlocked>)> = Vec::new();
    steps.push(match stage {
        CaseStatus::NotFiled => (
            1,
            Act::DeclineFiling {
                reason: "经核查，违法事实不成立".into(),
            },
            vec![leader],
        ),
        CaseStatus::Transferred => (
            1,
            Act::Transfer {
                to: "市市场监督管理局".into(),
                reason: "涉嫌违法回收药品，不属于本部门管辖".into(),
                kind: TransferTo::Department,
                materials: "案件来源登记表、现场照片3张".into(),
            },
            vec![leader],
        ),
        _ => (1, Act::File, vec![leader]),
    });
    if stage == CaseStatus::Registered {
        steps.clear();
    }
    if is_complaint && !spec.complainant_not_told && !steps.is_empty() {
        steps.push((
            0,
            Act::InformComplainant {
                how: "电话告知立案情况".into(),
            },
            vec![a],
        ));
    }
    let catalogue = app.catalogue().clone();
    let violation = catalogue.violation(spec.violation).map(|(_, v)| v.clone());
    let basis = violation
        .as_ref()
        .and_then(|v| v.basis.as_ref())
        .map(|b| format!("违反{}，依据{}", b.violated, b.penalty))
        .unwrap_or_else(|| "《中华人民共和国行政处罚法》".into());
    // A fine at the bottom of the standard range, or a warning where the catalogue has none.
    let penalties = match catalogue.fine_standard(spec.violation, Discretion::Standard) {
        Some(f) => vec![Penalty::Fine { yuan: f.min_yuan }],
        None => vec![Penalty::Warning],
    };
    let due = money_due(&penalties);
    let state = app.case_detail(&id.0)?.state;
    let serious = qualifies_for_hearing(&state, &catalogue, &penalties);
    let party = mask(spec.party.1, spec.party.0);
    let proposal = Proposal {
        discretion: Discretion::Standard,
        penalties: penalties.clone(),
        facts: spec.summary.into(),
        reasons: "当事人系初次违法，违法情节一般".into(),
        basis: basis.clone(),
    };
    // Each step with the status it leads to, in the order of the procedure (see
    // ARCHITECTURE.md: 告知 and 陈述申辩 come before 法制审核).
    use CaseStatus as S;
    let mut path: Vec<(CaseStatus, i64, Act, Vec<&Unlocked>)> = vec![
        (
            S::Investigating,
            1,
            Act::StartInvestigation {
                team: vec![a.person().id.clone(), b.person().id.clone()],
            },
            vec![leader],
        ),
        (
            S::InvestigationConcluded,
            10,
            Act::ConcludeInvestigation {
                summary: "违法事实清楚，证据确凿，建议给予行政处罚".into(),
            },
            vec![a, b],
        ),
        (
            S::Notified,
            1,
            Act::Notify {
                hearing_offered: serious,
                proposal: Some(proposal),
            },
            vec![a, b],
        ),
        (
            S::Notified,
            1,
            Act::HearStatement {
                waived: false,
                statement: "当事人称系初次经营，愿意立即改正。".into(),
                accepted: true,
                reasons: "当事人陈述属实，已按一般情节最低限度裁量，维持拟处罚意见".into(),
            },
            vec![a, b],
        ),
        (
            S::LegalReviewed,
            3,
            Act::LegalReview {
                passed: true,
                opinion: "主体适格，程序合法，事实清楚，适用依据正确，裁量适当".into(),
                major: false,
            },
            vec![reviewer],
        ),
    ];
    if serious {
        path.push((
            S::LegalReviewed,
            1,
            Act::CollectiveDiscussion {
                participants: vec!["周局长".into(), "刘队长".into(), "孙法制".into()],
                opinions: "一致同意按一般情节处罚".into(),
                conclusion: "同意作出处罚决定".into(),
            },
            vec![head],
        ));
    }
    path.extend([
        (
            S::Decided,
            2,
            Act::Decide {
                discretion: Discretion::Standard,
                summary: format!(
                    "{}",
                    penalties.iter().map(Penalty::zh).collect::<Vec<_>>().join("，")
                ),
                penalties: penalties.clone(),
                basis,
                late_reason: None,
            },
            vec![head],
        ),
        (
            S::Delivered,
            2,
            Act::Deliver {
                method: DeliveryMethod::Direct,
                late_reason: None,
                receipt: Some(DeliveryReceipt {
                    recipient: spec.party.1.into(),
                    ..DeliveryReceipt::default()
                }),
            },
            vec![a, b],
        ),
        (
            S::Executed,
            5,
            Act::Execute {
                execution: if due > 0 {
                    Execution::PaidAtBank {
                        receipt_no: "ICBC-2026-0031".into(),
                        yuan: due,
                    }
                } else {
                    Execution::Complied
                },
            },
            vec![a],
        ),
        (
            S::Closed,
            3,
            Act::Close {
                report: "当事人已履行处罚决定，案件办结".into(),
            },
            vec![leader],
        ),
        (
            S::Disclosed,
            1,
            Act::Disclose {
                text: format!("{party}{}，依法作出行政处罚。", spec.summary),
                late_reason: None,
            },
            vec![leader],
        ),
    ]);
    let order = |s: CaseStatus| CaseStatus::ALL.iter().position(|x| *x == s);
    let reached = order(stage).filter(|_| order(stage) >= order(S::Investigating));
    for (i, (to, gap, act, actors)) in path.into_iter().enumerate() {
        if reached.is_none_or(|r| order(to).is_none_or(|o| o > r)) {
            break;
        }
        steps.push((gap, act, actors));
        if i == 0 && spec.preservation {
            steps.push((
                2,
                Act::PreservationNotice {
                    notice: "保存〔2026〕031号".into(),
                    items: "建筑垃圾运输车辆一辆".into(),
                },
                vec![a, b],
            ));
        }
    }
    // Spread the steps over the case's age, squeezing them if they would run past now.
    let total: i64 = steps.iter().map(|s| s.0).sum::<i64>().max(1) * DAY;
    let available = spec.days_ago * DAY - 2 * HOUR;
    let mut elapsed = 0;
    for (gap, act, actors) in steps {
        elapsed += gap * DAY;
        let offset = if total > available {
            elapsed * available / total
        } else {
            elapsed
        };
        app.record_act_at(&id.0, act, &actors, Timestamp(start.0 + offset + HOUR))?;
    }
    Ok(())
}
