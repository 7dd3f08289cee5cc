//! The console's rules on a real store (SQLCipher in a temporary file), with a fixed clock and
//! fixed randomness.

use qc_station_sqlite::SqliteStorage;

use super::*;

const T0: Timestamp = Timestamp(1_795_000_000_000);
const PASSWORD: &str = "correct horse 17";

fn console() -> Console {
    let counter = std::sync::atomic::AtomicU8::new(1);
    Console::new(
        Policy::default(),
        Box::new(move |buf| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            buf.fill(n);
        }),
    )
}

fn leader() -> NewAccount {
    NewAccount {
        login: "zhao.dui".into(),
        name: "赵队长".into(),
        role: DeskRole::SquadLeader,
        squads: vec!["一中队".into()],
        person: Some(person(Role::SquadLeader)),
    }
}

/// The bureau's person 赵强 in `role`, as a certificate names them.
fn person(role: Role) -> Person {
    Person {
        id: qc_domain::PersonId("zhao.qiang".into()),
        name: "赵强".into(),
        role,
        cert_no: role
            .enforces()
            .then(|| qc_domain::CertNo("41030020103".into())),
        squad: "一中队".into(),
    }
}

/// The authenticator's code at `now` for an enrolled account.
fn code(enrolled: &Enrolled, now: Timestamp) -> String {
    let secret = Secret::try_from_base32(&enrolled.totp_secret).unwrap();
    totp(secret.as_bytes(), &enrolled.account.login)
        .unwrap()
        .generate(now.0 as u64 / 1000)
        .to_string()
}

fn enrolled(c: &Console, store: &SqliteStorage, new: NewAccount) -> Enrolled {
    c.add_account(store, new, PASSWORD, ("admin", "x"), T0)
        .unwrap()
}

/// The squad leader's account made and signed in at `T0`.
fn leader_signed_in(c: &Console, store: &SqliteStorage) -> SignedIn {
    let e = enrolled(c, store, leader());
    c.sign_in(store, "zhao.dui", PASSWORD, &code(&e, T0), "x", T0)
        .unwrap()
}

#[test]
fn an_account_signs_in_with_password_and_code_once() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let e = enrolled(&c, &store, leader());
    assert!(
        e.otpauth_url
            .starts_with("otpauth://totp/Quancheng:zhao.dui?")
    );
    let now = Timestamp(T0.0 + 60_000);
    let s = c
        .sign_in(
            &store,
            "zhao.dui",
            PASSWORD,
            &code(&e, now),
            "10.0.0.9",
            now,
        )
        .unwrap();
    assert_eq!(s.session.account.role, DeskRole::SquadLeader);
    assert_eq!(
        c.session(&store, &s.token, now).unwrap().csrf,
        s.session.csrf
    );
    // The same code again (someone who saw it typed): refused.
    let again = c.sign_in(
        &store,
        "zhao.dui",
        PASSWORD,
        &code(&e, now),
        "10.0.0.9",
        now,
    );
    assert!(matches!(again, Err(ConsoleError::BadCredentials)));
    let log = c
        .logs(
            &store,
            &Session {
                account: Account {
                    role: DeskRole::Supervision,
                    ..s.session.account.clone()
                },
                csrf: String::new(),
            },
            (DeskLogKind::SignIn, 10),
            "x",
            now,
        )
        .unwrap();
    assert_eq!(
        log.iter().map(|l| l.ok).collect::<Vec<_>>(),
        [false, true],
        "both attempts logged"
    );
    assert_eq!(log[1].source, "10.0.0.9");
    // Reading a log is an act of its own, recorded in the operation log.
    let done = store.desk_log(DeskLogKind::Operation, 1).unwrap();
    assert_eq!(
        (done[0].what.as_str(), done[0].source.as_str()),
        ("查看登录日志", "x")
    );
}

#[test]
fn wrong_attempts_lock_the_account_for_a_while() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let e = enrolled(&c, &store, leader());
    let mut now = T0;
    for i in 1..=5 {
        now = Timestamp(now.0 + 31_000);
        let r = c.sign_in(
            &store,
            "zhao.dui",
            "wrong password!",
            &code(&e, now),
            "x",
            now,
        );
        match (i, r) {
            (1..=4, Err(ConsoleError::BadCredentials)) | (5, Err(ConsoleError::Locked { .. })) => {}
            (i, r) => panic!("attempt {i}: {:?}", r.map(|s| s.token)),
        }
    }
    now = Timestamp(now.0 + 31_000);
    let right = c.sign_in(&store, "zhao.dui", PASSWORD, &code(&e, now), "x", now);
    assert!(
        matches!(right, Err(ConsoleError::Locked { .. })),
        "locked even when right"
    );
    now = Timestamp(now.0 + Policy::default().lock_ms);
    c.sign_in(&store, "zhao.dui", PASSWORD, &code(&e, now), "x", now)
        .expect("the lock ends");
    // A wrong code with the right password counts as wrong too.
    let r = c.sign_in(&store, "zhao.dui", PASSWORD, "000000", "x", now);
    assert!(matches!(r, Err(ConsoleError::BadCredentials)));
    let r = c.sign_in(&store, "nobody", PASSWORD, "000000", "x", now);
    assert!(
        matches!(r, Err(ConsoleError::BadCredentials)),
        "same answer for no account"
    );
}

#[test]
fn a_session_needs_its_csrf_token_and_ends_when_idle() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let e = enrolled(&c, &store, leader());
    let s = c
        .sign_in(&store, "zhao.dui", PASSWORD, &code(&e, T0), "x", T0)
        .unwrap();
    let csrf = s.session.csrf.clone();
    assert!(matches!(
        c.acting(&store, &s.token, None, T0),
        Err(ConsoleError::Csrf)
    ));
    assert!(matches!(
        c.acting(&store, &s.token, Some("forged"), T0),
        Err(ConsoleError::Csrf)
    ));
    assert!(matches!(
        c.acting(&store, "not a token", Some(&csrf), T0),
        Err(ConsoleError::NoSession)
    ));
    let idle = Policy::default().idle_ms;
    let later = Timestamp(T0.0 + idle - 1);
    c.acting(&store, &s.token, Some(&csrf), later).unwrap();
    let after = Timestamp(later.0 + idle + 1);
    assert!(matches!(
        c.session(&store, &s.token, after),
        Err(ConsoleError::NoSession)
    ));
    // Signed out: the token is dead at once.
    let s = c
        .sign_in(&store, "zhao.dui", PASSWORD, &code(&e, after), "x", after)
        .unwrap();
    c.sign_out(&store, &s.token, &s.session, "x", after)
        .unwrap();
    assert!(c.session(&store, &s.token, after).is_err());
}

#[test]
fn a_player_address_plays_one_file_in_one_session() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let e = enrolled(&c, &store, leader());
    let s = c
        .sign_in(&store, "zhao.dui", PASSWORD, &code(&e, T0), "x", T0)
        .unwrap();
    let (case, hash) = ("case-1", "ab".repeat(32));
    let play = Console::play_token(&s.session, case, &hash);
    let played = c
        .playing(&store, &s.token, (case, &hash, &play), T0)
        .unwrap();
    assert_eq!(played.account.login, "zhao.dui");
    // Another file, another case, a forged token, a dead session: refused.
    let other = "cd".repeat(32);
    for (case, hash, play) in [
        (case, other.as_str(), play.as_str()),
        ("case-2", hash.as_str(), play.as_str()),
        (case, hash.as_str(), "00"),
        // The parts are framed: moving a character from one to the next changes the token.
        ("case-", &format!("1{hash}"), play.as_str()),
    ] {
        assert!(matches!(
            c.playing(&store, &s.token, (case, hash, play), T0),
            Err(ConsoleError::Csrf)
        ));
    }
    assert!(matches!(
        c.playing(&store, "not a token", (case, &hash, &play), T0),
        Err(ConsoleError::NoSession)
    ));
    // The next session's token differs: an address does not outlive its session.
    let later = Timestamp(T0.0 + 60_000);
    let again = c
        .sign_in(&store, "zhao.dui", PASSWORD, &code(&e, later), "x", later)
        .unwrap();
    assert_ne!(Console::play_token(&again.session, case, &hash), play);
}

#[test]
fn a_range_header_asks_for_part_of_a_file_or_all_of_it() {
    let hash = "ab".repeat(32);
    let ask = |h: Option<&str>, size| {
        let ask = case::Ask {
            range: h,
            if_range: None,
        };
        case::requested_range(ask, &hash, size)
    };
    let part = |h: &str, size| ask(Some(h), size).unwrap().unwrap();
    assert!(matches!(ask(None, 100), Ok(None)));
    assert_eq!(part("bytes=0-", 100), 0..100);
    assert_eq!(part("bytes=10-19", 100), 10..20);
    assert_eq!(part("bytes=-5", 100), 95..100);
    // Past the end: cut at the end; a suffix longer than the file is all of it.
    assert_eq!(part("bytes=90-500", 100), 90..100);
    assert_eq!(part("bytes=-500", 100), 0..100);
    // At most a piece at a time: the player asks again.
    let big = 3 * PIECE + 5;
    assert_eq!(part("bytes=0-", big), 0..PIECE);
    assert_eq!(
        part(&format!("bytes={}-", 2 * PIECE + 1), big),
        2 * PIECE + 1..3 * PIECE + 1
    );
    assert_eq!(part("bytes=-10", big), big - 10..big);
    // Headers a server ignores: all of the file.
    for ignored in ["bytes=0-1,5-6", "items=0-1", "bytes=x-y", "bytes=5-1"] {
        assert!(matches!(ask(Some(ignored), 100), Ok(None)), "{ignored}");
    }
    assert!(matches!(ask(Some("bytes=0-"), 0), Ok(None)));
    // Only while the client holds this very file.
    let same = case::Ask {
        range: Some("bytes=10-19"),
        if_range: Some(&entity_tag(&hash)),
    };
    assert_eq!(
        case::requested_range(same, &hash, 100).unwrap(),
        Some(10..20)
    );
    let other = case::Ask {
        range: Some("bytes=10-19"),
        if_range: Some("\"cdcd\""),
    };
    assert!(matches!(case::requested_range(other, &hash, 100), Ok(None)));
    // Starting past the end, or the last no bytes: refused, with the size (RFC 9110 §14.1.3).
    for unsatisfiable in ["bytes=100-", "bytes=-0"] {
        assert!(
            matches!(
                ask(Some(unsatisfiable), 100),
                Err(ConsoleError::RangeNotSatisfiable { size: 100 })
            ),
            "{unsatisfiable}"
        );
    }
    assert_eq!(
        ConsoleError::RangeNotSatisfiable { size: 100 }.status(),
        416
    );
}

#[test]
fn a_file_is_told_by_its_first_bytes() {
    let wav = qc_evidence::sample::tone_wav(1, 8000);
    let jpeg = qc_evidence::sample::jpeg(16, 16);
    let head = |b: &[u8]| b[..b.len().min(qc_server::service::HEAD_BYTES)].to_vec();
    assert_eq!(media_type(&head(&wav)), qc_evidence::sniff(&wav).unwrap().0);
    assert!(media_type(&head(&wav)).starts_with("audio/"));
    assert_eq!(media_type(&head(&jpeg)), "image/jpeg");
    assert_eq!(media_type(b"{\"sheet\": 1}"), "application/json");
    assert_eq!(media_type(b"\0\0\0"), "application/octet-stream");
}

#[test]
fn accounts_are_checked_when_made_and_logins_are_unique() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let bad = |new: NewAccount, password: &str| {
        c.add_account(&store, new, password, ("admin", "x"), T0)
            .map(|e| e.account)
    };
    let short = bad(leader(), "short").unwrap_err();
    assert!(matches!(short, ConsoleError::BadRequest(_)));
    // A page in English is told why in English, with nothing of the Chinese left in it.
    let said = short.message_en();
    assert!(
        said.contains(&format!("at least {MIN_PASSWORD_CHARS}")),
        "{said}"
    );
    assert!(!has_cjk(&said), "{said}");
    assert!(has_cjk(&short.message_zh()));
    let no_squad = NewAccount {
        squads: vec![],
        ..leader()
    };
    assert!(matches!(
        bad(no_squad, PASSWORD),
        Err(ConsoleError::BadRequest(_))
    ));
    let head_with_squad = NewAccount {
        role: DeskRole::Head,
        ..leader()
    };
    assert!(matches!(
        bad(head_with_squad, PASSWORD),
        Err(ConsoleError::BadRequest(_))
    ));
    let odd_login = NewAccount {
        login: "赵 队".into(),
        ..leader()
    };
    assert!(matches!(
        bad(odd_login, PASSWORD),
        Err(ConsoleError::BadRequest(_))
    ));
    let nobody = NewAccount {
        person: None,
        ..leader()
    };
    assert!(
        matches!(bad(nobody, PASSWORD), Err(ConsoleError::BadRequest(why)) if why.zh.contains("执法证号")),
        "a squad leader signs as a person with an 执法证"
    );
    let someone_else = NewAccount {
        person: Some(person(Role::EnforcementOfficer)),
        ..leader()
    };
    assert!(matches!(
        bad(someone_else, PASSWORD),
        Err(ConsoleError::BadRequest(why)) if why.zh.contains("不符")
    ));
    let reviewer = NewAccount {
        login: "sun".into(),
        role: DeskRole::LegalReviewer,
        squads: vec![],
        person: None,
        ..leader()
    };
    bad(reviewer, PASSWORD).unwrap();
    bad(leader(), PASSWORD).unwrap();
    assert_eq!(
        store
            .desk_account("zhao.dui")
            .unwrap()
            .unwrap()
            .person
            .as_deref(),
        Some("zhao.qiang")
    );
    assert!(matches!(
        bad(leader(), PASSWORD),
        Err(ConsoleError::LoginTaken(_))
    ));
    // One account per person: another login for 赵强 would sign as him too.
    let again = NewAccount {
        login: "zhao2".into(),
        ..leader()
    };
    assert!(matches!(
        bad(again, PASSWORD),
        Err(ConsoleError::BadRequest(why)) if why.zh.contains("已有控制台账号 zhao.dui")
    ));
}

#[test]
fn a_signature_needs_the_password_again_and_wrong_ones_count_towards_the_lock() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let s = leader_signed_in(&c, &store);
    // The key is the password's with the station's salt: the same each time, another for
    // another password or salt (another station, another login).
    let salt = [9; 16];
    let (key, row) = c
        .signing_key(&store, (&s.session, |_: &[u8]| salt), PASSWORD, T0)
        .unwrap();
    assert_eq!(row.person.as_deref(), Some("zhao.qiang"));
    assert_eq!(
        key.to_bytes(),
        signing_key_of(PASSWORD, &salt).unwrap().to_bytes()
    );
    assert_ne!(
        key.to_bytes(),
        signing_key_of("another password", &salt)
            .unwrap()
            .to_bytes()
    );
    assert_ne!(
        key.to_bytes(),
        signing_key_of(PASSWORD, &[8; 16]).unwrap().to_bytes()
    );
    for i in 1..=5 {
        let r = c.signing_key(&store, (&s.session, |_: &[u8]| salt), "wrong wrong", T0);
        if i < 5 {
            assert!(matches!(r, Err(ConsoleError::WrongPassword)), "attempt {i}");
        } else {
            assert!(matches!(r, Err(ConsoleError::Locked { .. })), "attempt {i}");
        }
    }
    assert!(
        matches!(
            c.signing_key(&store, (&s.session, |_: &[u8]| salt), PASSWORD, T0),
            Err(ConsoleError::Locked { .. })
        ),
        "locked: not even the right password signs"
    );
}

#[test]
fn logs_are_for_the_head_supervision_and_the_administrator() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let s = leader_signed_in(&c, &store);
    assert!(matches!(
        c.logs(&store, &s.session, (DeskLogKind::SignIn, 10), "x", T0),
        Err(ConsoleError::Forbidden)
    ));
    for role in DeskRole::ALL {
        assert_eq!(DeskRole::from_code(role.code()), Some(role));
    }
}

#[test]
fn tablets_silent_for_days_are_listed_for_the_squads_in_view() {
    let day = 24 * 3600 * 1000;
    let now = Timestamp(T0.0 + 10 * day);
    let d = |id: &str, squad: &str, last_seen: Option<i64>, revoked: bool| DeviceItem {
        id: id.into(),
        label: format!("{id} 平板"),
        squad: squad.into(),
        revoked,
        revoked_at: None,
        reason: None,
        keys: 1,
        last_seen,
        desk: id.starts_with(qc_server::service::DESK_PREFIX),
        bureau: None,
    };
    let devices = vec![
        d("fresh", "一中队", Some(now.0 - day), false),
        d(
            "edge",
            "一中队",
            Some(now.0 - STALE_AFTER_DAYS * day),
            false,
        ),
        d("silent", "一中队", Some(now.0 - 4 * day), false),
        d("never", "一中队", None, false),
        d("lost", "一中队", None, true),
        d("desk-zhou", "一中队", None, false),
        d("other", "二中队", None, false),
    ];
    let h = sync_health(devices.clone(), &[], &CaseView::squad("一中队"), now);
    assert_eq!(
        h.devices, 4,
        "in service: not revoked, not a desk, of the squad"
    );
    let stale: Vec<&str> = h.stale.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(stale, ["never", "silent"], "never synced first");
    let all = CaseView {
        everything: true,
        ..CaseView::default()
    };
    assert_eq!(sync_health(devices.clone(), &[], &all, now).stale.len(), 3);
    let legal = CaseView {
        sent_for_review: true,
        ..CaseView::default()
    };
    assert_eq!(sync_health(devices.clone(), &[], &legal, now).devices, 0);

    // Files named and not yet sent, by tablet, the longest waiting first.
    let file = |hash: u8, case: &str, device: &str, since: i64| PendingBlob {
        hash: [hash; 32],
        case: case.into(),
        device: device.into(),
        since: Timestamp(since),
    };
    let pending = [
        file(1, "c1", "fresh", now.0 - 100),
        file(2, "c1", "fresh", now.0 - 50),
        file(3, "c2", "fresh", now.0 - 10),
        file(4, "c3", "silent", now.0 - 200),
    ];
    let h = sync_health(devices, &pending, &all, now);
    let got: Vec<(&str, &str, u64, u64, i64)> = h
        .pending
        .iter()
        .map(|p| {
            (
                p.device.as_str(),
                p.label.as_str(),
                p.files,
                p.cases,
                p.oldest,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("silent", "silent 平板", 1, 1, now.0 - 200),
            ("fresh", "fresh 平板", 3, 2, now.0 - 100),
        ]
    );
}

/// The authenticator's code at `now` for the secret an activation page shows.
fn enrolment_code(shown: &Enrolment, now: Timestamp) -> String {
    let secret = Secret::try_from_base32(&shown.totp_secret).unwrap();
    totp(secret.as_bytes(), &shown.login)
        .unwrap()
        .generate(now.0 as u64 / 1000)
        .to_string()
}

#[test]
fn an_invited_account_is_activated_once_by_its_holder_who_chooses_the_password() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let invited = c
        .invite_account(&store, leader(), ("admin", "x"), T0)
        .unwrap();
    let code = invited.activation.code.clone();
    assert_eq!(code.len(), 32);
    assert_eq!(
        invited.activation.until,
        T0.0 + Policy::default().activation_ms
    );
    let kept = store.desk_account("zhao.dui").unwrap().unwrap();
    assert!(kept.credentials.password_hash.is_empty(), "no password yet");
    assert_ne!(
        kept.credentials.activation.unwrap().code_hash,
        [0; 32],
        "the code's digest kept"
    );
    // Before activation nobody signs in, whatever they type.
    assert!(matches!(
        c.sign_in(&store, "zhao.dui", "", "000000", "x", T0),
        Err(ConsoleError::BadCredentials)
    ));
    // A wrong code, or another login, shows nothing.
    for (login, code) in [("zhao.dui", "0".repeat(32)), ("other", code.clone())] {
        assert!(matches!(
            c.enrolment(&store, (login, &code), "x", T0),
            Err(ConsoleError::BadActivation)
        ));
    }
    let now = Timestamp(T0.0 + 60_000);
    let shown = c.enrolment(&store, ("zhao.dui", &code), "x", now).unwrap();
    assert_eq!(
        (shown.name.as_str(), shown.role_label),
        ("赵队长", "中队长")
    );
    assert!(shown.qr_svg.contains("<svg"), "{}", shown.qr_svg);
    let form = |password: &str, totp: String| ActivationForm {
        login: "zhao.dui".into(),
        code: code.clone(),
        password: password.into(),
        totp,
    };
    let short = c.activate(&store, form("short", enrolment_code(&shown, now)), "x", now);
    assert!(matches!(short, Err(ConsoleError::BadRequest(why)) if why.zh.contains("至少")));
    let wrong = c.activate(&store, form(PASSWORD, "000000".into()), "x", now);
    assert!(matches!(wrong, Err(ConsoleError::BadRequest(why)) if why.zh.contains("验证码")));
    let signed = c
        .activate(
            &store,
            form(PASSWORD, enrolment_code(&shown, now)),
            "x",
            now,
        )
        .unwrap();
    assert_eq!(signed.session.account.login, "zhao.dui");
    c.session(&store, &signed.token, now).unwrap();
    // Used up: the code neither shows the secret again nor activates again.
    let later = Timestamp(now.0 + 60_000);
    assert!(matches!(
        c.enrolment(&store, ("zhao.dui", &code), "x", later),
        Err(ConsoleError::BadActivation)
    ));
    assert!(matches!(
        c.activate(
            &store,
            form("another password", enrolment_code(&shown, later)),
            "x",
            later
        ),
        Err(ConsoleError::BadActivation)
    ));
    // The holder signs in with the password they chose and the authenticator they enrolled.
    c.sign_in(
        &store,
        "zhao.dui",
        PASSWORD,
        &enrolment_code(&shown, later),
        "x",
        later,
    )
    .unwrap();
    let log: Vec<String> = store
        .desk_log(DeskLogKind::SignIn, 20)
        .unwrap()
        .into_iter()
        .map(|l| l.what)
        .collect();
    assert!(
        log.iter().any(|l| l.contains("激活账号：本人设置密码")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("激活账号 未成")),
        "{log:?}"
    );
    let made = store.desk_log(DeskLogKind::Operation, 5).unwrap();
    assert!(made[0].what.contains("待本人激活"), "{:?}", made[0]);

    // A code past its time is refused like a wrong one.
    let other = NewAccount {
        login: "sun".into(),
        role: DeskRole::LegalReviewer,
        squads: vec![],
        person: None,
        ..leader()
    };
    let late = c.invite_account(&store, other, ("admin", "x"), T0).unwrap();
    let expired = Timestamp(late.activation.until);
    assert!(matches!(
        c.enrolment(&store, ("sun", &late.activation.code), "x", expired),
        Err(ConsoleError::BadActivation)
    ));
}

#[test]
fn a_session_begun_before_the_password_changed_is_over() {
    let (c, store) = (console(), SqliteStorage::temporary().unwrap());
    let s = leader_signed_in(&c, &store);
    c.session(&store, &s.token, T0).unwrap();
    let row = store.desk_account("zhao.dui").unwrap().unwrap();
    // Another instance changes the password after this session began (its sessions dropped
    // there, or a sign-in racing the change added this one after the drop).
    let changed = DeskCredentials {
        changed_at: T0.0 + 1,
        ..row.credentials.clone()
    };
    assert!(
        store
            .set_desk_credentials("zhao.dui", &row.credentials, &changed, row.totp_last_step)
            .unwrap()
    );
    assert!(matches!(
        c.session(&store, &s.token, Timestamp(T0.0 + 2)),
        Err(ConsoleError::NoSession)
    ));
}

#[test]
fn a_form_s_fault_is_told_in_chinese_and_in_english() {
    // As a page's form is read: named, the fault in Chinese (and in English, below).
    let account_form = ("账号表单", "the account form");
    let fault = |json: &str| match http::form::<AccountForm>(json.as_bytes(), account_form) {
        Err(e) => e.message_zh(),
        Ok(_) => panic!("{json} read"),
    };
    assert_eq!(
        fault(r#"{"name": "x", "role": "head"}"#),
        "请求有误：账号表单缺少“登录名”"
    );
    assert_eq!(fault("{"), "请求有误：账号表单不是有效的 JSON");
    assert!(fault(r#"{"login": 5}"#).contains("账号表单中有内容的类型或取值不正确"));
    let outcome = http::form::<draw::ReportForm>(
        br#"{"target": "a", "outcome": "maybe"}"#,
        ("检查结果", "the inspection result"),
    );
    assert!(
        matches!(outcome, Err(ConsoleError::BadRequest(why)) if why.zh == "检查结果中“maybe”不是可选的值")
    );
    // The same fault, for a page in English.
    let missing =
        http::form::<AccountForm>(br#"{"name": "x", "role": "head"}"#, account_form).unwrap_err();
    assert_eq!(
        missing.message_en(),
        "“Login” is missing from the account form"
    );
}

/// Whether `s` holds a CJK ideograph or CJK punctuation (full-width forms included).
fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
    })
}
