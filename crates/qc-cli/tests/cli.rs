//! The `quancheng` binary as an operator uses it.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn run(data: &Path, args: &[&str], pin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quancheng"));
    c.arg("--data-dir").arg(data).args(args);
    c.env_remove("QUANCHENG_PIN")
        .env_remove("QUANCHENG_SECOND_PIN")
        .env_remove("QUANCHENG_KEY_FILE");
    if let Some(p) = pin {
        c.env("QUANCHENG_PIN", p);
    }
    c.output().expect("run quancheng")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_then_case_list_prints_the_demo_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let demo = run(&data, &["demo"], None);
    assert!(demo.status.success(), "{}", stderr(&demo));
    assert!(stdout(&demo).contains("已添加 18 件演示案件"));
    assert!(
        stdout(&demo).contains("li.ming"),
        "init prints the demo squad"
    );
    let list = run(&data, &["case", "list"], None);
    assert!(list.status.success());
    let text = stdout(&list);
    for expected in [
        "露天烧烤",
        "违法建设",
        "户外无照经营",
        "侵占城市道路",
        "向城市河道倾倒废弃物",
        "户外无证食品摊贩",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(text.contains("已逾期"));
    assert!(text.contains("共 18 件"));
    // Running demo again adds nothing.
    let again = run(&data, &["demo"], None);
    assert!(stdout(&again).contains("未重复添加"));
}

#[test]
fn case_show_of_an_unknown_id_says_so_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let o = run(&data, &["case", "show", "deadbeef"], None);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("未找到案件：deadbeef"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("unknown_case"));
}

#[test]
fn uninitialised_directory_and_second_init_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let o = run(&data, &["case", "list"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("尚未初始化"));
    assert!(run(&data, &["init"], None).status.success());
    let o = run(&data, &["init"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("已初始化"));
}

#[test]
fn case_new_needs_the_right_pin_then_shows_up_in_list_and_show() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let args = [
        "case",
        "new",
        "--officer",
        "li.ming",
        "--violation",
        "environment.open_air_barbecue",
        "--address",
        "洛浦公园南门",
        "--grid",
        "LP-01-02",
        "--summary",
        "夜间露天烧烤",
        "--party",
        "某烧烤店",
        "--business",
        "--gps",
        "34.61,112.45",
        "--json",
    ];
    let wrong = run(&data, &args, Some("000111"));
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("PIN 错误"), "{}", stderr(&wrong));
    let ok = run(&data, &args, Some("147258"));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let id = serde_json::from_slice::<serde_json::Value>(&ok.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = run(&data, &["case", "list", "--search", "洛浦"], None);
    assert!(stdout(&list).contains(&id[..8]));
    let show = run(&data, &["case", "show", &id[..8]], None);
    assert!(show.status.success());
    assert!(stdout(&show).contains("某烧烤店"));
    assert!(stdout(&show).contains("34.610000, 112.450000"));
    // Bad input is refused with a reason, and nothing is recorded.
    let value_of = |flag: &str| args.iter().position(|a| *a == flag).unwrap() + 1;
    let mut bad = args.to_vec();
    bad[value_of("--violation")] = "environment.nothing";
    let o = run(&data, &bad, Some("147258"));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("权责清单中没有"));
    let mut bad_gps = args.to_vec();
    bad_gps[value_of("--gps")] = "north";
    assert!(!run(&data, &bad_gps, Some("147258")).status.success());
    let rows = |extra: &[&str]| {
        let o = run(&data, &[&["case", "list", "--json"], extra].concat(), None);
        serde_json::from_slice::<serde_json::Value>(&o.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(rows(&[]), 1);
    // Whose case it is: the officer who registered it, not another.
    assert_eq!(rows(&["--person", "li.ming"]), 1);
    assert_eq!(rows(&["--person", "wang.fang"]), 0);
}

#[test]
fn a_wrong_database_key_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["demo"], None).status.success());
    std::fs::write(data.join("db.key"), "00".repeat(32)).unwrap();
    let o = run(&data, &["case", "list"], None);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("密钥错误或文件已损坏"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_deleted_originals_of_a_directory_where_no_station_ran_are_refused_and_nothing_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let o = run(&data, &["admin", "deleted-originals"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("这里没有基站数据"), "{}", stderr(&o));
    assert!(!data.join("station").join("station.db").exists());
}

#[test]
fn an_administrator_revokes_and_edits_the_catalogue_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let revoke = [
        "admin",
        "revoke",
        "li.ming",
        "--reason",
        "平板遗失",
        "--officer",
        "wu.min",
    ];
    let o = run(&data, &revoke, Some("357159"));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&data, &["people"], None);
    assert!(!stdout(&o).contains("li.ming"));
    let o = run(
        &data,
        &[
            "case",
            "new",
            "--officer",
            "li.ming",
            "--violation",
            "transport.illegal_parking",
            "--address",
            "青岛路",
            "--grid",
            "G1",
            "--summary",
            "占用盲道",
        ],
        Some("147258"),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("吊销"), "{}", stderr(&o));

    let cat = run(&data, &["catalogue", "--json"], None);
    let mut c: serde_json::Value = serde_json::from_slice(&cat.stdout).unwrap();
    c["version"] = 2.into();
    c["domains"][0]["name"] = "住房和城乡建设".into();
    let file = tmp.path().join("catalogue.json");
    std::fs::write(&file, serde_json::to_vec(&c).unwrap()).unwrap();
    let import = [
        "catalogue",
        "import",
        file.to_str().unwrap(),
        "--officer",
        "wu.min",
    ];
    assert!(!run(&data, &import, Some("000111")).status.success());
    let o = run(&data, &import, Some("357159"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&run(&data, &["catalogue"], None)).contains("住房和城乡建设"));
}

#[test]
fn export_then_verify_offline_with_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["demo"], None).status.success());
    let list = run(&data, &["case", "list", "--json", "-s", "幸福小区"], None);
    let id = serde_json::from_slice::<serde_json::Value>(&list.stdout).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bundle = tmp.path().join("case.qcb");
    let export = [
        "export",
        id.as_str(),
        "--out",
        bundle.to_str().unwrap(),
        "--officer",
        "li.ming",
    ];
    assert!(!run(&data, &export, Some("000111")).status.success());
    assert!(!bundle.exists(), "nothing written without the right PIN");
    let o = run(&data, &export, Some("147258"));
    assert!(o.status.success(), "{}", stderr(&o));
    let info = run(&data, &["info", "--json"], None);
    let key = serde_json::from_slice::<serde_json::Value>(&info.stdout).unwrap()["bureau_key"]
        .as_str()
        .unwrap()
        .to_owned();

    // The verifier needs no data directory.
    let elsewhere = tmp.path().join("nothing-here");
    let b = bundle.to_str().unwrap();
    let v = run(&elsewhere, &["verify", b, "--bureau", &key], None);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    assert!(stdout(&v).contains("完整、未被篡改"));
    assert!(stdout(&v).contains("由 --bureau 指定"));
    assert!(stdout(&v).contains("案件登记"));
    let en = run(&elsewhere, &["verify", b, "--lang", "en"], None);
    assert!(stdout(&en).contains("complete and unaltered"));
    assert!(stdout(&en).contains("proves consistency only"));
    let j = run(&elsewhere, &["verify", b, "--json"], None);
    let report: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(report["problems"].as_array().unwrap().len(), 0);

    // A key that is not even a valid public key: runs, reports, exits non-zero.
    let o = run(
        &elsewhere,
        &["verify", b, "--bureau", &"ab".repeat(32)],
        None,
    );
    assert!(!o.status.success());
    assert!(stdout(&o).contains("发现"));
    // Another bureau's real key: its certificates are not this bureau's.
    let other = tmp.path().join("other-bureau");
    assert!(run(&other, &["init"], None).status.success());
    let info = run(&other, &["info", "--json"], None);
    let other_key =
        serde_json::from_slice::<serde_json::Value>(&info.stdout).unwrap()["bureau_key"]
            .as_str()
            .unwrap()
            .to_owned();
    let o = run(
        &elsewhere,
        &["verify", b, "--bureau", &other_key, "--lang", "en"],
        None,
    );
    assert!(!o.status.success());
    assert!(stdout(&o).contains("problems found"));
    assert!(stdout(&o).contains("certificate of"), "{}", stdout(&o));
    // A tampered bundle fails.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    let bad = tmp.path().join("bad.qcb");
    std::fs::write(&bad, &bytes).unwrap();
    assert!(
        !run(&elsewhere, &["verify", bad.to_str().unwrap()], None)
            .status
            .success()
    );
    // Garbage, truncated and missing files are clear errors.
    std::fs::write(&bad, b"definitely not a bundle").unwrap();
    let o = run(&elsewhere, &["verify", bad.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("不是全程案卷包"), "{}", stderr(&o));
    std::fs::write(&bad, &std::fs::read(&bundle).unwrap()[..700]).unwrap();
    assert!(
        !run(&elsewhere, &["verify", bad.to_str().unwrap()], None)
            .status
            .success()
    );
    let o = run(&elsewhere, &["verify", "/no/such/file.qcb"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("无法打开"));
}

/// Runs a field act with 李明 (and, with `two`, 王芳) signing; PINs come from the environment.
fn act(data: &Path, args: &[&str], two: bool) -> Output {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--officer", "li.ming"]);
    if two {
        full.extend(["--second", "wang.fang"]);
    }
    let mut c = Command::new(env!("CARGO_BIN_EXE_quancheng"));
    c.arg("--data-dir")
        .arg(data)
        .args(&full)
        .env_remove("QUANCHENG_KEY_FILE")
        .env("QUANCHENG_PIN", "147258")
        .env("QUANCHENG_SECOND_PIN", "258369");
    c.output().expect("run quancheng")
}

/// The evidence item of `case` whose facts' `field` is `value`, as `quancheng --json evidence
/// list` says it.
fn evidence_item(data: &Path, case: &str, field: &str, value: &str) -> serde_json::Value {
    let list: serde_json::Value = serde_json::from_str(&stdout(&run(
        data,
        &["--json", "evidence", "list", "--case", case],
        None,
    )))
    .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["facts"][field] == value)
        .cloned()
        .unwrap_or_else(|| panic!("no evidence whose {field} is {value}: {list}"))
}

/// The squad leader 刘建国 files the case and has 李明 and 王芳 investigate it. Through the API:
/// the CLI has no workflow acts yet.
fn open_investigation(data: &Path, case: &str) {
    use qc_domain::{Act, PersonId};
    let mut app = qc_api::Quancheng::open(
        &qc_api::DataDir::new(data),
        std::sync::Arc::new(qc_api::SystemClock),
        Box::new(qc_api::OsEntropy),
    )
    .unwrap();
    let liu = app.unlock("liu.jianguo", "852963").unwrap();
    app.record_act(case, Act::File, &[&liu]).unwrap();
    let team = ["li.ming", "wang.fang"]
        .map(|p| PersonId(p.into()))
        .to_vec();
    app.record_act(case, Act::StartInvestigation { team }, &[&liu])
        .unwrap();
}

fn created_id(o: &Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    stdout(o).trim().rsplit('：').next().unwrap().to_owned()
}

#[test]
fn records_and_evidence_are_made_signed_sealed_and_exported_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let case = created_id(&run(
        &data,
        &[
            "case",
            "new",
            "--officer",
            "li.ming",
            "--violation",
            "transport.road_occupation",
            "--address",
            "景华路88号",
            "--grid",
            "JX-02-04",
            "--summary",
            "占道堆放货物",
        ],
        Some("147258"),
    ));
    // Records belong to the investigation: none before the case is filed and assigned.
    let o = act(
        &data,
        &["record", "new", "inspection", "--case", &case],
        true,
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("调查取证阶段"), "{}", stderr(&o));
    open_investigation(&data, &case);
    // 现场检查笔录: incomplete sealing is refused with the reason, in Chinese.
    let rec = created_id(&act(
        &data,
        &["record", "new", "inspection", "--case", &case],
        true,
    ));
    let o = act(&data, &["record", "seal", &rec[..8], "--case", &case], true);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("现场检查情况"), "{}", stderr(&o));
    let o = act(
        &data,
        &[
            "record",
            "edit",
            &rec[..8],
            "--case",
            &case,
            "--found",
            "店外堆放货物约3平方米",
            "--outcome",
            "management",
            "--end",
        ],
        false,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = act(
        &data,
        &[
            "record",
            "sign-off",
            &rec,
            "--case",
            &case,
            "--note",
            "当事人拒绝签名，现场无见证人",
        ],
        true,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // One officer cannot seal.
    let o = act(&data, &["record", "seal", &rec, "--case", &case], false);
    assert!(stderr(&o).contains("不得少于2人"), "{}", stderr(&o));
    assert!(
        act(&data, &["record", "seal", &rec, "--case", &case], true)
            .status
            .success()
    );
    let show = run(&data, &["record", "show", &rec, "--case", &case], None);
    assert!(stdout(&show).contains("已签名封存"), "{}", stdout(&show));
    assert!(stdout(&show).contains("执法证号"));
    let o = act(
        &data,
        &["record", "edit", &rec, "--case", &case, "--found", "改"],
        false,
    );
    assert!(stderr(&o).contains("已签名封存"), "{}", stderr(&o));

    // An inspection with the party absent: "the party refused" does not fit it; an uninterested
    // witness signs instead (the reason taken from the record's attendance).
    let sig = tmp.path().join("sig.png");
    std::fs::write(&sig, qc_evidence::sample::signature_png(300, 100)).unwrap();
    let absent = created_id(&act(
        &data,
        &[
            "record",
            "new",
            "inspection",
            "--case",
            &case,
            "--party-absent",
        ],
        true,
    ));
    let o = act(
        &data,
        &[
            "record",
            "sign-off",
            &absent,
            "--case",
            &case,
            "--note",
            "当事人拒绝签名，现场无见证人",
            "--why",
            "refused",
        ],
        false,
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("当事人不在场"), "{}", stderr(&o));
    let o = act(
        &data,
        &[
            "record",
            "sign-off",
            &absent,
            "--case",
            &case,
            "--witness",
            "李四",
            "--witness-id",
            "410302199001011234",
            "--reason",
            "当事人经通知未到场",
            "--image",
            sig.to_str().unwrap(),
        ],
        false,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let show = run(&data, &["record", "show", &absent, "--case", &case], None);
    assert!(
        stdout(&show).contains("当事人不在场；当事人经通知未到场，见证人李四签名"),
        "{}",
        stdout(&show)
    );

    // 询问笔录 with a signed page.
    let tr = created_id(&act(
        &data,
        &[
            "record",
            "new",
            "transcript",
            "--case",
            &case,
            "--interviewee",
            "张三",
        ],
        true,
    ));
    let o = act(
        &data,
        &[
            "record",
            "edit",
            &tr,
            "--case",
            &case,
            "--rights-acknowledged",
            "--recusal-asked",
            "--question",
            "货物是否为你所放？",
            "--answer",
            "是。",
            "--end",
        ],
        false,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = act(
        &data,
        &[
            "record",
            "sign-page",
            &tr,
            "--case",
            &case,
            "--page",
            "1",
            "--image",
            sig.to_str().unwrap(),
        ],
        false,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        act(&data, &["record", "seal", &tr, "--case", &case], true)
            .status
            .success()
    );
    let list = run(&data, &["record", "list", "--case", &case], None);
    assert!(stdout(&list).contains("询问笔录"), "{}", stdout(&list));

    // Evidence: one officer, then the second co-signs; bad files are refused.
    let photo = tmp.path().join("IMG_0001.jpg");
    std::fs::write(&photo, qc_evidence::sample::camera_photo(800, 600)).unwrap();
    let ev = created_id(&act(
        &data,
        &[
            "evidence",
            "add",
            photo.to_str().unwrap(),
            "--case",
            &case,
            "--description",
            "堆放的货物",
        ],
        false,
    ));
    let list = run(&data, &["evidence", "list", "--case", &case], None);
    assert!(
        stdout(&list).contains("待第二名执法人员签名"),
        "{}",
        stdout(&list)
    );
    assert!(stdout(&list).contains("image/jpeg"));
    let mut cosign = Command::new(env!("CARGO_BIN_EXE_quancheng"));
    cosign
        .arg("--data-dir")
        .arg(&data)
        .args([
            "evidence",
            "cosign",
            &ev,
            "--case",
            &case,
            "--officer",
            "wang.fang",
        ])
        .env("QUANCHENG_PIN", "258369");
    let o = cosign.output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let list = run(&data, &["evidence", "list", "--case", &case], None);
    assert!(
        stdout(&list).contains("已由两名执法人员签名确认"),
        "{}",
        stdout(&list)
    );
    let empty = tmp.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let o = act(
        &data,
        &["evidence", "add", empty.to_str().unwrap(), "--case", &case],
        true,
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("文件为空"), "{}", stderr(&o));
    assert!(stderr(&o).contains("[evidence_empty]"), "{}", stderr(&o));

    // A body camera's folder: each clip one item, with the time and place it recorded; what
    // is no evidence is said, the rest taken.
    let camera = tmp.path().join("DCIM");
    std::fs::create_dir(&camera).unwrap();
    for name in ["CAM0001.MP4", "CAM0002.MP4"] {
        // 2026-11-30 08:15:00 UTC, 洛阳.
        let mut clip =
            qc_evidence::sample::body_camera_clip(1 << 20, 1_796_026_500, (34.6197, 112.454));
        std::io::copy(
            &mut clip,
            &mut std::fs::File::create(camera.join(name)).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(camera.join("notes.txt"), "not evidence").unwrap();
    let o = act(
        &data,
        &["evidence", "add", camera.to_str().unwrap(), "--case", &case],
        true,
    );
    assert!(!o.status.success(), "notes.txt is no evidence");
    assert!(stderr(&o).contains("notes.txt："), "{}", stderr(&o));
    assert_eq!(stdout(&o).matches("已建立：").count(), 2, "{}", stdout(&o));
    let list = stdout(&run(&data, &["evidence", "list", "--case", &case], None));
    assert_eq!(list.matches("2026:11:30 16:15:00").count(), 2, "{list}");
    assert!(list.contains("34.61970,112.45400"), "{list}");

    // A redacted copy of the photo (打码副本) for disclosure: a new item naming the original.
    let masked = tmp.path().join("IMG_0001_masked.jpg");
    std::fs::write(&masked, qc_evidence::sample::jpeg(800, 600)).unwrap();
    let copy = created_id(&act(
        &data,
        &[
            "evidence",
            "add",
            masked.to_str().unwrap(),
            "--case",
            &case,
            "--redacts",
            &ev[..8],
            "--reason",
            "遮挡围观群众面部",
        ],
        true,
    ));
    let item = |id: &str| evidence_item(&data, &case, "id", id);
    assert_eq!(item(&copy)["facts"]["redacts"]["original"], ev.as_str());
    assert_eq!(
        item(&copy)["facts"]["redacts"]["original_sha256"],
        item(&ev)["facts"]["sha256"]
    );

    // The clip, filmed days before by the camera's clock, is proposed for nothing; an officer
    // names the inspection it recorded and signs the link (关联执法记录).
    let clip = evidence_item(&data, &case, "file_name", "CAM0001.MP4")["facts"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(item(&clip)["facts"]["span"]["to"], 1_796_026_560_000_i64);
    let links = stdout(&run(&data, &["evidence", "links", "--case", &case], None));
    assert!(links.contains(&format!("{rec}  现场检查笔录")), "{links}");
    let o = act(
        &data,
        &["evidence", "link", &clip[..8], "--case", &case],
        false,
    );
    assert!(stderr(&o).contains("没有建议关联"), "{}", stderr(&o));
    let o = act(
        &data,
        &[
            "evidence",
            "link",
            &clip[..8],
            "--case",
            &case,
            "--act",
            &rec[..8],
        ],
        false,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let linked = item(&clip);
    assert_eq!(linked["links"][0]["acts"][0], rec.as_str());
    assert_eq!(linked["links"][0]["by"]["name"], "李明");

    // A file goes only with the head's approval (删除原件), not an officer's, and not while
    // another item of the case is the same file (the two clips are); the item and its hash
    // stay, and the case still exports and verifies. Here the redacted copy, badly masked.
    let other = evidence_item(&data, &case, "file_name", "CAM0002.MP4")["facts"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = |id: &str| {
        let args = [
            "evidence",
            "delete",
            id,
            "--case",
            &case,
            "--reason",
            "打码不全，重新制作",
        ];
        args.map(str::to_owned)
    };
    let args = delete(&copy[..8]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = act(&data, &args, false);
    assert!(stderr(&o).contains("须经负责人批准"), "{}", stderr(&o));
    let same = delete(&other[..8]);
    let same: Vec<&str> = same.iter().map(String::as_str).collect();
    let o = signed(&data, HEAD.0, HEAD.1, &same);
    assert!(stderr(&o).contains("使用同一文件"), "{}", stderr(&o));
    let o = signed(&data, HEAD.0, HEAD.1, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let gone = item(&copy);
    assert_eq!(gone["deleted"]["reason"], "打码不全，重新制作");
    assert_eq!(gone["deleted"]["by"]["name"], "周文");
    assert_eq!(gone["facts"]["sha256"].as_str().unwrap().len(), 64);

    // The questioning recorded from a recorder piped in, killed with SIGKILL mid-recording:
    // what was written a second before survives and is kept at the next start, with a note.
    let wav = qc_evidence::sample::tone_wav(4, 8000);
    let mut rec = Command::new(env!("CARGO_BIN_EXE_quancheng"));
    rec.arg("--data-dir")
        .arg(&data)
        .args([
            "evidence",
            "record",
            "--case",
            &case,
            "--mime",
            "audio/wav",
            "--covers",
            &tr,
            "--description",
            "询问同步录音",
            "--officer",
            "li.ming",
        ])
        .env_remove("QUANCHENG_KEY_FILE")
        .env("QUANCHENG_PIN", "147258")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = rec.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let half = wav.len() / 2;
    std::io::Write::write_all(&mut input, &wav[..half]).unwrap();
    // Nothing more follows: what came is written within a second all the same.
    let list_left = || run(&data, &["evidence", "recordings", "--json"], None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    // The journal holds the first half once it is on disk (the live recorder's own is not
    // listed: it is at work).
    while !std::fs::read_dir(data.join("blobs/recording"))
        .map(|d| {
            d.flatten()
                .any(|f| f.metadata().is_ok_and(|m| m.len() > half as u64))
        })
        .unwrap_or(false)
    {
        assert!(std::time::Instant::now() < deadline, "nothing written");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(stdout(&list_left()).trim() == "[]", "at work, not left");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(input);
    let left: serde_json::Value = serde_json::from_str(&stdout(&list_left())).unwrap();
    let left = left.as_array().unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0]["bytes"].as_u64().unwrap() >= half as u64);
    let id = left[0]["id"].as_str().unwrap().to_owned();
    let kept = created_id(&act(&data, &["evidence", "keep-recording", &id], true));
    assert_eq!(kept, id);
    let item = &item(&id);
    assert_eq!(item["facts"]["kind"], "audio");
    assert_eq!(item["facts"]["covers"][0], tr.as_str());
    assert!(
        item["facts"]["note"]
            .as_str()
            .unwrap()
            .contains("未正常结束（应用中断）"),
        "{item}"
    );
    assert!(item["facts"]["span"]["to"].as_i64() >= item["facts"]["span"]["from"].as_i64());
    let left = stdout(&run(&data, &["evidence", "recordings"], None));
    assert!(left.contains("没有中断的录制"), "{left}");

    // The case file exports with its evidence and verifies offline.
    let bundle = tmp.path().join("case.qcb");
    let o = act(
        &data,
        &["export", &case, "--out", bundle.to_str().unwrap()],
        false,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = run(&data, &["verify", bundle.to_str().unwrap()], None);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
}

/// A running `quancheng serve`, killed if the test fails before stopping it, and what it said
/// on starting.
struct Served(Option<std::process::Child>, Vec<String>);

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `quancheng serve` on a free port; returns the child and its address once it listens.
fn serve(data: &Path) -> (Served, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_quancheng"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("QUANCHENG_KEY_FILE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.rsplit('：').next().unwrap().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{first}");
    let mut said = vec![first];
    while !said.last().unwrap().contains("Ctrl-C") {
        said.push(lines.next().unwrap().unwrap());
    }
    // Keep reading so the server never blocks on a full pipe; hand back what it says at exit.
    std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    (Served(Some(child), said), url)
}

fn stop(mut served: Served) {
    let mut child = served.0.take().unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the station stops cleanly on SIGTERM: {status}"
    );
}

#[test]
fn a_device_syncs_with_the_base_station_and_catches_a_station_that_lost_its_log() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["demo"], None).status.success());
    // Every entry the demo made goes up once, with a receipt each.
    let info = run(&data, &["info", "--json"], None);
    let entries = serde_json::from_slice::<serde_json::Value>(&info.stdout).unwrap()["entries"]
        .as_u64()
        .unwrap();
    let (station, url) = serve(&data);
    let o = run(&data, &["sync"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "上传 {entries} 条记录，收到并核验 {entries} 份回执；案件文档上传 18 件、接收 0 件"
        )),
        "{}",
        stdout(&o)
    );
    let o = run(&data, &["sync"], None);
    assert!(
        stdout(&o).contains("上传 0 条记录，收到并核验 0 份回执；案件文档上传 0 件、接收 0 件"),
        "nothing twice: {}",
        stdout(&o)
    );
    // The administrator hands out a one-time code; a new tablet enrols with it.
    let code = |args: &[&str]| -> String {
        let mut all = vec!["admin", "enroll", "--officer", "wu.min", "--json"];
        all.extend_from_slice(args);
        let o = run(&data, &all, Some("357159"));
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["code"].as_str().unwrap().to_owned()
    };
    let tablet = tmp.path().join("tablet");
    let cert = data.join("station").join("tls-cert.pem");
    let device_code = code(&["--squad", "二中队"]);
    let enrol = |code: &str| {
        run(
            &tablet,
            &[
                "enrol",
                "device",
                "--server",
                &url,
                "--cert",
                cert.to_str().unwrap(),
                "--code",
                code,
                "--label",
                "二中队 平板2",
            ],
            None,
        )
    };
    let o = enrol(&device_code);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("本机已在基站登记"), "{}", stdout(&o));
    let again = enrol(&device_code);
    assert!(!again.status.success(), "a directory is enrolled once");
    // Zhao Qiang's key is made on the tablet, certified with a code for him.
    let person_code = code(&["--person", "zhao.qiang"]);
    let o = run(
        &tablet,
        &[
            "enrol",
            "officer",
            "--person",
            "zhao.qiang",
            "--code",
            &person_code,
        ],
        Some("246813"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        &tablet,
        &[
            "case",
            "new",
            "--officer",
            "zhao.qiang",
            "--violation",
            "transport.illegal_parking",
            "--address",
            "九都路",
            "--grid",
            "JD-3",
            "--summary",
            "新平板登记的案件",
        ],
        Some("246813"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let squad = run(
        &data,
        &["case", "list", "--squad", "二中队", "--json"],
        None,
    );
    let squad = serde_json::from_slice::<serde_json::Value>(&squad.stdout).unwrap();
    let squad = squad.as_array().unwrap().len();
    let o = run(&tablet, &["sync"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("案件文档上传 1 件、接收 {squad} 件")),
        "the tablet sends its case and receives its squad's: {}",
        stdout(&o)
    );
    let o = run(&data, &["sync"], None);
    assert!(
        stdout(&o).contains("接收 1 件"),
        "the bureau's device sees the new case: {}",
        stdout(&o)
    );
    // The tablet is lost: the administrator revokes it and the running station refuses it.
    let device = stdout(&run(&tablet, &["info", "--json"], None));
    let device: serde_json::Value = serde_json::from_str(&device).unwrap();
    let device = device["device_id"].as_str().unwrap().to_owned();
    let o = run(
        &data,
        &[
            "admin",
            "revoke",
            "--device",
            &device,
            "--reason",
            "平板遗失",
            "--officer",
            "wu.min",
        ],
        Some("357159"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&tablet, &["sync"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("已被吊销"), "{}", stderr(&o));
    let o = run(
        &data,
        &[
            "admin",
            "enroll",
            "--squad",
            "一中队",
            "--officer",
            "li.ming",
        ],
        Some("147258"),
    );
    assert!(!o.status.success(), "only administrators enrol devices");
    stop(station);

    // The station comes back without its log: the device refuses to accept that.
    let before = stdout(&run(&data, &["info"], None));
    for f in ["station.db", "station.db-wal", "station.db-shm"] {
        let _ = std::fs::remove_file(data.join("station").join(f));
    }
    let (station, _) = serve(&data);
    let o = run(&data, &["sync"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("基站日志被改写"), "{}", stderr(&o));
    assert!(stderr(&o).contains("log_inconsistent"));
    assert_eq!(
        stdout(&run(&data, &["info"], None)),
        before,
        "the device keeps its data"
    );
    stop(station);
}

#[test]
fn serve_sync_and_info_print_the_station_log_key_for_auditors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let o = run(&data, &["info"], None);
    assert!(
        stdout(&o).contains("基站日志公钥：尚未设置"),
        "{}",
        stdout(&o)
    );
    let (station, _) = serve(&data);
    let line = station
        .1
        .iter()
        .find(|l| l.starts_with("基站日志公钥："))
        .unwrap_or_else(|| panic!("{:?}", station.1));
    assert!(line.contains("--log-key"));
    let key: String = line["基站日志公钥：".len()..].chars().take(64).collect();
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
    let o = run(&data, &["sync"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("基站日志公钥：{key}")));
    let o = run(&data, &["sync", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["log_key"], key.as_str());
    stop(station);
    assert!(stdout(&run(&data, &["info"], None)).contains(&format!("基站日志公钥：{key}")));
    let v: serde_json::Value =
        serde_json::from_slice(&run(&data, &["info", "--json"], None).stdout).unwrap();
    assert_eq!(v["station_log_key"], key.as_str());
}

#[test]
fn a_locked_out_officer_is_told_until_when_in_china_time() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let out = tmp.path().join("x.qcb");
    let try_wrong = || {
        let args = [
            "export",
            "nothing",
            "--out",
            out.to_str().unwrap(),
            "--officer",
            "li.ming",
        ];
        stderr(&run(&data, &args, Some("000111")))
    };
    let locked = (0..6)
        .map(|_| try_wrong())
        .find(|e| e.contains("锁定至"))
        .expect("locked out after five wrong PINs");
    assert!(!locked.contains("Timestamp("), "{locked}");
    let at: String = locked
        .split("锁定至")
        .nth(1)
        .unwrap()
        .chars()
        .take(16)
        .collect();
    assert!(at.starts_with("20") && at.contains(':'), "{locked}");
    assert!(
        locked.contains(&format!("until {at} (China time)")),
        "{locked}"
    );
}

#[test]
fn verify_asks_a_station_whether_the_case_went_on_after_the_export() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["demo"], None).status.success());
    let (station, url) = serve(&data);
    assert!(run(&data, &["sync"], None).status.success());
    let list = run(&data, &["case", "list", "--json"], None);
    let id = serde_json::from_slice::<serde_json::Value>(&list.stdout).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let export = |name: &str| {
        let out = tmp.path().join(name);
        let args = [
            "export",
            id.as_str(),
            "--out",
            out.to_str().unwrap(),
            "--officer",
            "li.ming",
        ];
        let o = run(&data, &args, Some("147258"));
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let first = export("first.qcb");
    let cert = data.join("station").join("tls-cert.pem");
    let elsewhere = tmp.path().join("nothing-here");
    let verify = |bundle: &Path| {
        let args = [
            "verify",
            bundle.to_str().unwrap(),
            "--station",
            &url,
            "--cert",
            cert.to_str().unwrap(),
        ];
        run(&elsewhere, &args, None)
    };
    let o = verify(&first);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("本案卷包是最新的"), "{}", stdout(&o));
    // Another export is an act on the case too: once it is synced, the first bundle is not the
    // latest, though it still verifies offline.
    export("second.qcb");
    assert!(run(&data, &["sync"], None).status.success());
    let o = verify(&first);
    assert!(!o.status.success());
    assert!(stdout(&o).contains("完整、未被篡改"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("不是基站所知的最新状态"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &elsewhere,
        &["verify", first.to_str().unwrap(), "--station", &url],
        None,
    );
    assert!(
        !o.status.success(),
        "--station needs the certificate to pin"
    );
    stop(station);
}

/// A command signed by `who` with `pin`.
fn signed(data: &Path, who: &str, pin: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--officer", who]);
    run(data, &all, Some(pin))
}

const LI: (&str, &str) = ("li.ming", "147258");
const LEADER: (&str, &str) = ("liu.jianguo", "852963");
const REVIEWER: (&str, &str) = ("sun.li", "963741");
const HEAD: (&str, &str) = ("zhou.wen", "159357");
const ASSISTANT: (&str, &str) = ("chen.xie", "741852");

/// Does an act that must succeed.
fn ok(data: &Path, (who, pin): (&str, &str), args: &[&str]) -> String {
    let o = signed(data, who, pin, args);
    assert!(o.status.success(), "{args:?}: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

/// Does an act that must be refused with `zh` and `code`, exit 1, and leave the case as it was.
fn refused(data: &Path, case: &str, (who, pin): (&str, &str), args: &[&str], zh: &str, code: &str) {
    let before = case_json(data, case);
    let o = signed(data, who, pin, args);
    assert_eq!(o.status.code(), Some(1), "{args:?} exits 1: {}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("错误：") && err.contains(zh),
        "{args:?}: {err}"
    );
    assert!(err.contains(&format!("[{code}]")), "{args:?}: {err}");
    let after = case_json(data, case);
    assert_eq!(
        before["events"], after["events"],
        "{args:?} changed nothing"
    );
    assert_eq!(before["row"]["status"], after["row"]["status"]);
}

fn case_json(data: &Path, case: &str) -> serde_json::Value {
    let o = run(data, &["case", "show", case, "--json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn new_case(data: &Path, party: &str) -> String {
    let o = signed(
        data,
        LI.0,
        LI.1,
        &[
            "case",
            "new",
            "--violation",
            "environment.open_air_barbecue",
            "--address",
            "洛浦公园南门",
            "--grid",
            "LP-01-02",
            "--summary",
            "夜间露天烧烤",
            "--party",
            party,
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn acts_take_a_case_to_disclosure_and_a_refused_act_says_why_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let case = new_case(&data, "张建国");
    let c = case.as_str();
    // The case view says what comes next, who does it and with which command.
    let show = stdout(&run(&data, &["case", "show", c], None));
    assert!(show.contains("下一步："), "{show}");
    assert!(show.contains("quancheng act file"), "{show}");
    assert!(
        show.contains("由中队长、负责人办理；现在可以办理"),
        "{show}"
    );

    refused(&data, c, LI, &["act", "file", c], "中队长", "role_required");
    ok(&data, LEADER, &["act", "file", c]);
    let o = ok(
        &data,
        LEADER,
        &[
            "act",
            "assign",
            c,
            "--team",
            "li.ming",
            "--team",
            "wang.fang",
        ],
    );
    assert!(o.contains("现为「调查取证」"), "{o}");
    ok(
        &data,
        LI,
        &["act", "conclude", c, "--summary", "事实清楚，建议罚款"],
    );
    // A fine above the catalogue's 一般 standard for 露天烧烤.
    let notify = |fine: &'static str| {
        [
            "act",
            "notify",
            c,
            "--discretion",
            "standard",
            "--fine",
            fine,
            "--facts",
            "当事人露天烧烤",
            "--reasons",
            "初次违法，情节一般",
        ]
    };
    refused(
        &data,
        c,
        LI,
        &notify("20000"),
        "罚款20000元不在一般处罚的裁量基准",
        "fine_outside_standard",
    );
    ok(&data, LI, &notify("3000"));
    let detail = case_json(&data, c);
    let basis = detail["state"]["notice"]["proposal"]["basis"]
        .as_str()
        .unwrap();
    assert!(
        basis.starts_with("违反") && basis.contains("依据"),
        "{basis}"
    );
    let show = stdout(&run(&data, &["case", "show", c], None));
    assert!(show.contains("quancheng act legal-review"), "{show}");
    assert!(show.contains("尚需：当事人陈述申辩"), "{show}");
    ok(&data, LI, &["act", "statement", c, "--waived"]);
    ok(
        &data,
        REVIEWER,
        &[
            "act",
            "legal-review",
            c,
            "--pass",
            "--opinion",
            "程序合法，事实清楚",
        ],
    );
    ok(&data, HEAD, &["act", "decide", c, "--fine", "3000"]);
    // Electronic delivery needs the party's consent.
    let deliver = [
        "act",
        "deliver",
        c,
        "--method",
        "electronic",
        "--note",
        "当事人确认的邮箱 z@example.cn",
    ];
    refused(
        &data,
        c,
        LI,
        &deliver,
        "电子送达须经当事人同意",
        "electronic_delivery_without_consent",
    );
    ok(&data, LI, &[&deliver[..], &["--consent"]].concat());
    refused(
        &data,
        c,
        LI,
        &["act", "execute", c, "--paid", "R-1", "--yuan", "2999"],
        "",
        "payment_mismatch",
    );
    ok(
        &data,
        LI,
        &["act", "execute", c, "--paid", "R-1", "--yuan", "3000"],
    );
    ok(
        &data,
        LEADER,
        &["act", "close", c, "--report", "罚款已缴清"],
    );
    // The published text may not carry the party's name.
    refused(
        &data,
        c,
        LEADER,
        &["act", "disclose", c, "--text", "张建国露天烧烤，罚款3000元"],
        "公开内容含有当事人的姓名",
        "unredacted_personal_data",
    );
    let o = signed(
        &data,
        LEADER.0,
        LEADER.1,
        &[
            "act",
            "disclose",
            c,
            "--text",
            "张某露天烧烤，罚款3000元",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["act"], "disclose");
    assert_eq!(v["status"], "disclosed");
    assert_eq!(v["next_steps"].as_array().unwrap().len(), 0);
}

#[test]
fn service_and_management_count_in_the_721_ratio_and_an_assistant_may_only_advise() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    assert!(run(&data, &["init"], None).status.success());
    let (served, managed, filed) = (
        new_case(&data, "甲"),
        new_case(&data, "乙"),
        new_case(&data, "丙"),
    );
    refused(
        &data,
        &filed,
        ASSISTANT,
        &["act", "file", &filed],
        "协管员陈晓不得参与执法行为",
        "assistant_refused",
    );
    ok(
        &data,
        ASSISTANT,
        &[
            "act",
            "advise",
            &served,
            "--advice",
            "告知露天烧烤违法，当事人自行收摊",
        ],
    );
    ok(
        &data,
        LI,
        &[
            "act",
            "order-correction",
            &managed,
            "--order",
            "清理烧烤设施",
            "--by",
            "2099-12-31",
        ],
    );
    ok(&data, LEADER, &["act", "file", &filed]);
    let period = ["--from", "2000-01-01", "--to", "2099-12-31"];
    let o = run(
        &data,
        &[
            &["case", "ratio", "--squad", "一中队", "--json"][..],
            &period,
        ]
        .concat(),
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v["service"], &v["management"], &v["enforcement"]),
        (&1.into(), &1.into(), &1.into()),
        "{v}"
    );
    let text = stdout(&run(
        &data,
        &[&["case", "ratio", "--squad", "二中队"][..], &period].concat(),
        None,
    ));
    assert!(text.contains("合计 0 件"), "{text}");
    // The assistant's dissuasion is signed on the chain and the case file verifies.
    let bundle = tmp.path().join("served.qcb");
    ok(
        &data,
        LI,
        &["export", &served, "--out", bundle.to_str().unwrap()],
    );
    let v = run(&data, &["verify", bundle.to_str().unwrap()], None);
    assert!(v.status.success(), "{}", stdout(&v));
    assert!(stdout(&v).contains("宣传教育劝阻"), "{}", stdout(&v));
    // The leader's queue holds the filed case, not the matter handled by advice.
    let queue = run(
        &data,
        &["case", "list", "--waiting-on", "squad_leader", "--json"],
        None,
    );
    let queue: serde_json::Value = serde_json::from_slice(&queue.stdout).unwrap();
    let ids: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&filed.as_str()), "{ids:?}");
    assert!(!ids.contains(&served.as_str()), "{ids:?}");
    let o = run(&data, &["case", "list", "--waiting-on", "boss"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("squad_leader"), "{}", stderr(&o));
    let o = run(&data, &["case", "ratio", "--from", "2026-13-01"], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));
}

#[test]
fn scripts_full_case_runs_a_case_from_registration_to_disclosure_and_verifies_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    let out = tmp.path().join("case.qcb");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/full-case");
    let o = Command::new("bash")
        .arg(&script)
        .arg(&data)
        .arg(&out)
        .env("QUANCHENG", env!("CARGO_BIN_EXE_quancheng"))
        .env_remove("QUANCHENG_PIN")
        .env_remove("QUANCHENG_KEY_FILE")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("结论：完整、未被篡改"), "{text}");
    assert!(out.exists());
    // The case it made went the whole way, with its records and evidence.
    let list = run(&data, &["case", "list", "--json"], None);
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows[0]["status"], "disclosed", "{rows}");
    let v = run(&data, &["verify", out.to_str().unwrap(), "--json"], None);
    assert!(v.status.success());
    let report: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    let titles: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    for act in [
        "笔录签名封存",
        "第二名执法人员签名确认证据",
        "先行登记保存处理决定",
        "陈述申辩及复核",
        "送达",
        "执行",
        "结案",
        "公开",
    ] {
        assert!(titles.contains(&act), "{act} missing from {titles:?}");
    }
    documents_of_the_full_case(&data, &out, &tmp.path().join("documents"), &text);
}

/// A tool from poppler-utils or qpdf on a file (scripts/setup installs them).
fn tool(name: &str, args: &[&str], file: &Path) -> Output {
    Command::new(name)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (scripts/setup installs qpdf and poppler-utils)"))
}

/// A PDF's text by pdftotext (to stdout).
fn pdftotext(file: &Path) -> String {
    let o = Command::new("pdftotext")
        .arg("-layout")
        .arg(file)
        .arg("-")
        .output()
        .expect("pdftotext (scripts/setup installs poppler-utils)");
    stdout(&o)
}

/// The documents `scripts/full-case` issued: sound PDFs with only embedded fonts, saying the
/// party, the facts, the amount and the 文号; the same bytes when written again; re-rendered
/// to the same bytes by `verify`; a copy with one byte changed refused against the bundle.
fn documents_of_the_full_case(data: &Path, bundle: &Path, docs: &Path, script_output: &str) {
    assert!(
        script_output.contains("份文书由其数据重新排版，与出具的 PDF 逐字节一致"),
        "{script_output}"
    );
    let case = {
        let list = run(data, &["case", "list", "--json"], None);
        let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
        rows[0]["id"].as_str().unwrap().to_owned()
    };
    let list = run(data, &["document", "list", &case, "--json"], None);
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for k in [
        "filing_approval",
        "inspection",
        "transcript",
        "preservation_notice",
        "preservation_decision",
        "investigation_report",
        "prior_notice",
        "statement",
        "legal_review",
        "decision",
        "delivery_receipt",
        "closing_report",
        "cover",
    ] {
        assert!(kinds.contains(&k), "{k} not issued: {kinds:?}");
    }
    for r in rows {
        let kind = r["kind"].as_str().unwrap();
        let from = r["source"].as_str().unwrap();
        let number = r["issued"]["number"].as_str().unwrap();
        let file = docs.join(format!("{kind}-{}.pdf", from.rsplit(':').next().unwrap()));
        let check = tool("qpdf", &["--check"], &file);
        assert!(check.status.success(), "{kind}: {}", stdout(&check));
        let fonts = stdout(&tool("pdffonts", &[], &file));
        let faces: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!faces.is_empty(), "{kind}: no fonts");
        for face in &faces {
            // name, type…, emb, sub, uni, object, generation: emb is the fifth from the end.
            let cols: Vec<&str> = face.split_whitespace().collect();
            assert_eq!(
                cols[cols.len() - 5],
                "yes",
                "{kind}: a font not embedded: {face}"
            );
        }
        // pdftotext puts spaces between Chinese and Latin or digits; compare without them.
        let text = pdftotext(&file).replace([' ', '\n'], "");
        if !number.is_empty() {
            assert!(
                text.contains(&number.replace(' ', "")),
                "{kind}: 文号 {number} not in\n{text}"
            );
        }
        if [
            "decision",
            "prior_notice",
            "delivery_receipt",
            "inspection",
            "transcript",
        ]
        .contains(&kind)
        {
            assert!(text.contains("张建国"), "{kind}: the party not in\n{text}");
        }
        if ["decision", "prior_notice"].contains(&kind) {
            assert!(
                text.contains("露天烧烤"),
                "{kind}: the facts not in\n{text}"
            );
            assert!(
                text.contains("3000元") && text.contains("叁仟元"),
                "{kind}: the amount not in\n{text}"
            );
        }
        // Written again: the same bytes as issued.
        let again = docs.join("again.pdf");
        let o = run(
            data,
            &[
                "document",
                "render",
                &case,
                kind,
                "--from",
                from,
                "--out",
                again.to_str().unwrap(),
            ],
            None,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(&again).unwrap(),
            std::fs::read(&file).unwrap(),
            "{kind}"
        );
    }
    let case_file = docs.join("case-file.pdf");
    assert!(tool("qpdf", &["--check"], &case_file).status.success());
    let bound = pdftotext(&case_file);
    assert!(
        bound.contains("卷内目录") && bound.contains("行政处罚决定书"),
        "{bound}"
    );

    // The paper checked against the bundle: as issued it holds, one byte changed it does not.
    let decision = docs.join("decision.pdf");
    let check = |pdf: &Path| {
        run(
            data,
            &[
                "document",
                "check",
                pdf.to_str().unwrap(),
                "--bundle",
                bundle.to_str().unwrap(),
            ],
            None,
        )
    };
    let ok = check(&decision);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    let mut bytes = std::fs::read(&decision).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    let altered = docs.join("altered.pdf");
    std::fs::write(&altered, &bytes).unwrap();
    let refused = check(&altered);
    assert!(!refused.status.success());
    assert!(stdout(&refused).contains("被改动"), "{}", stdout(&refused));
}
