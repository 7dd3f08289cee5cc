//! The bureau's web console in a real browser (Debian's chromium through chromedriver), served
//! by `quancheng serve` on a demo bureau whose cases were synced to it; and its endpoints'
//! security over HTTPS.

// Test helpers unwrap like the tests themselves: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, Locator};
use qc_domain::CaseStatus;
use qc_tests::process::Killable;
use qc_tests::{Chrome, cli_binary, eventually, free_port, snapshot};

const WAIT: Duration = Duration::from_secs(60);

/// One browser at a time: each test drives a chromium and a station of its own, and on two
/// cores shared with the other test binaries several at once only wait on each other.
/// What the legal department writes on a reviewed case file.
const REVIEW_OPINION: &str = "卷宗整体规范，证据链完整";
const REVIEW_REASON: &str = "一张现场照片缺第二名执法人员签名";

/// What the inspectors of a drawn shop noted.
const INSPECTION_NOTE: &str = "门前三包落实，无占道经营";

static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const PASSWORD: &str = "desk-password-1";
/// A summary a hostile or careless officer might type.
const SCRIPTED: &str =
    "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=1</script>占道经营";

/// Runs the CLI on the data directory `dir`, whatever its outcome.
fn run_cli(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(cli_binary().unwrap())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("QUANCHENG_KEY_FILE")
        .output()
        .unwrap()
}

/// Runs the CLI on the data directory `dir`; its standard output (it must succeed).
fn cli(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run_cli(dir, args, env);
    assert!(
        out.status.success(),
        "quancheng {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// 李明 registers a road-occupation case at `address` on the tablet of `dir`.
fn register_case(dir: &Path, address: &str, summary: &str) {
    cli(
        dir,
        &[
            "case",
            "new",
            "--officer",
            "li.ming",
            "--violation",
            "transport.road_occupation",
            "--address",
            address,
            "--grid",
            "JX-02-04",
            "--summary",
            summary,
        ],
        &[("QUANCHENG_PIN", "147258")],
    );
}

/// A demo bureau with its station serving, every case synced up, and a desk account for the
/// head (周文): the station, its address, and the account's TOTP secret.
struct Bureau {
    _station: Killable,
    url: String,
    dir: tempfile::TempDir,
}

impl Bureau {
    fn start() -> Bureau {
        let dir = tempfile::tempdir().unwrap();
        cli(dir.path(), &["demo"], &[]);
        let listen = format!("127.0.0.1:{}", free_port().unwrap());
        let mut cmd = Command::new(cli_binary().unwrap());
        cmd.arg("--data-dir")
            .arg(dir.path())
            .args(["serve", "--listen", &listen]);
        let mut station = Killable::spawn(&mut cmd, dir.path(), "station").unwrap();
        let started = std::time::Instant::now();
        while !station.stdout().contains("Ctrl-C") {
            assert!(station.ended().is_none(), "station: {}", station.stderr());
            assert!(started.elapsed() < WAIT, "station did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        // A case whose summary holds markup: the console must show it as text.
        register_case(dir.path(), "试验路7号", SCRIPTED);
        // The decided case's 行政处罚决定书 issued: a PDF among the files the station holds.
        let listed: serde_json::Value =
            serde_json::from_str(&cli(dir.path(), &["case", "list", "--json"], &[])).unwrap();
        let decided = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["status"] == "decided")
            .and_then(|c| c["id"].as_str())
            .expect("the demo has a decided case")
            .to_owned();
        cli(
            dir.path(),
            &[
                "document",
                "issue",
                &decided,
                "decision",
                "--officer",
                "li.ming",
            ],
            &[("QUANCHENG_PIN", "147258")],
        );
        cli(dir.path(), &["sync"], &[]);
        Bureau {
            _station: station,
            url: format!("https://{listen}"),
            dir,
        }
    }

    /// 李明 and 王芳 record the questioning in the case under investigation: a three-minute
    /// recording (15 MiB of WAV) captured as evidence on the tablet and synced up. The case's
    /// id and the recording's bytes.
    fn record_questioning(&self) -> (String, Vec<u8>) {
        let listed: serde_json::Value =
            serde_json::from_str(&cli(self.dir.path(), &["case", "list", "--json"], &[])).unwrap();
        let case = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["status"] == "investigating")
            .and_then(|c| c["id"].as_str())
            .expect("the demo has a case under investigation")
            .to_owned();
        let wav = qc_evidence::sample::tone_wav(180, 44_100);
        let file = self.dir.path().join("询问同步录音.wav");
        std::fs::write(&file, &wav).unwrap();
        cli(
            self.dir.path(),
            &[
                "evidence",
                "add",
                file.to_str().unwrap(),
                "--case",
                &case,
                "--officer",
                "li.ming",
                "--second",
                "wang.fang",
                "--description",
                "询问同步录音",
            ],
            &[
                ("QUANCHENG_PIN", "147258"),
                ("QUANCHENG_SECOND_PIN", "258369"),
            ],
        );
        cli(self.dir.path(), &["sync"], &[]);
        (case, wav)
    }

    /// Makes a desk account (the administrator 吴敏 on the command line); its TOTP secret.
    /// The account of the head or a squad leader is a person of the demo bureau (周文, 刘建国
    /// of 一中队), whom their signatures name.
    fn desk_account(&self, (login, name): (&str, &str), role: &str, squads: &[&str]) -> String {
        let mut args = vec![
            "--json",
            "admin",
            "desk",
            "--login",
            login,
            "--name",
            name,
            "--role",
            role,
            "--officer",
            "wu.min",
        ];
        for s in squads {
            args.extend(["--squad", s]);
        }
        match role {
            "head" => args.extend(["--person", "zhou.wen"]),
            // 马琳 leads 二中队; 刘建国, 一中队.
            "squad_leader" if name == "马琳" => args.extend(["--person", "ma.lin"]),
            "squad_leader" => args.extend(["--person", "liu.jianguo"]),
            _ => {}
        }
        let out = cli(
            self.dir.path(),
            &args,
            &[
                ("QUANCHENG_PIN", "357159"),
                ("QUANCHENG_DESK_PASSWORD", PASSWORD),
            ],
        );
        let made: serde_json::Value = serde_json::from_str(&out).unwrap();
        made["totp_secret"].as_str().unwrap().to_owned()
    }

    /// Asserts that `bundle` verifies with the command-line verifier, trusting this bureau's
    /// key, from a directory that holds nothing of the bureau.
    fn verifies(&self, bundle: &Path) {
        let info: serde_json::Value =
            serde_json::from_str(&cli(self.dir.path(), &["info", "--json"], &[])).unwrap();
        let key = info["bureau_key"].as_str().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = run_cli(
            elsewhere.path(),
            &["verify", bundle.to_str().unwrap(), "--bureau", key],
            &[],
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("完整、未被篡改"),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The figures of every case, computed here from what the officers' own command line
    /// lists: rows of (label, numbers…) for each of the dashboard's tables by `data-test`.
    fn figures(&self) -> BTreeMap<&'static str, BTreeMap<String, Vec<u64>>> {
        let listed: serde_json::Value =
            serde_json::from_str(&cli(self.dir.path(), &["case", "list", "--json"], &[])).unwrap();
        let mut f: BTreeMap<&'static str, BTreeMap<String, Vec<u64>>> = BTreeMap::new();
        fn row<'a>(
            f: &'a mut BTreeMap<&'static str, BTreeMap<String, Vec<u64>>>,
            table: &'static str,
            key: &str,
            width: usize,
        ) -> &'a mut Vec<u64> {
            f.entry(table)
                .or_default()
                .entry(key.to_owned())
                .or_insert_with(|| vec![0; width])
        }
        for case in listed.as_array().unwrap() {
            let code = case["status"].as_str().unwrap();
            let status = CaseStatus::ALL
                .into_iter()
                .find(|s| s.code() == code)
                .unwrap();
            let squad = case["squad"].as_str().unwrap();
            row(&mut f, "cases-by-status", status.zh(), 1)[0] += 1;
            row(&mut f, "cases-by-squad", squad, 1)[0] += 1;
            row(
                &mut f,
                "cases-by-domain",
                case["domain_name"].as_str().unwrap(),
                1,
            )[0] += 1;
            row(&mut f, "cases-by-grid", case["grid"].as_str().unwrap(), 1)[0] += 1;
            for d in case["deadlines"].as_array().unwrap() {
                // The squads with deadlines overdue or due soon; one met late is no longer
                // open, as the station counts.
                match d["urgency"].as_str().unwrap() {
                    "overdue" => row(&mut f, "deadlines-by-squad", squad, 2)[0] += 1,
                    "due_soon" => row(&mut f, "deadlines-by-squad", squad, 2)[1] += 1,
                    _ => {}
                }
            }
            if let Some(kind) = case["outcome721"].get(0).and_then(|k| k.as_str()) {
                let column = ["service", "management", "enforcement"]
                    .iter()
                    .position(|k| *k == kind)
                    .unwrap();
                row(&mut f, "ratio-721", squad, 3)[column] += 1;
            }
        }
        f
    }
}

/// A player's address token as docs and ARCHITECTURE.md describe it, written here: HMAC-SHA-256
/// under the session's CSRF token of the length-framed label, case and file.
fn play_token(csrf: &str, case: &str, file: &str) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(csrf.as_bytes()).unwrap();
    for part in ["quancheng-play", case, file] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The authenticator's current code for a base32 secret (an independent RFC 6238: the test's
/// own, not the station's).
fn code_now(secret_b32: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    let step = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30;
    let mac = hmac_sha1(secret.as_bytes(), &step.to_be_bytes());
    let at = usize::from(mac[19] & 0x0f);
    let n = u32::from_be_bytes([mac[at] & 0x7f, mac[at + 1], mac[at + 2], mac[at + 3]]);
    format!("{:06}", n % 1_000_000)
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    use sha1::Digest as _;
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(msg.iter().copied())
        .collect();
    let inner = sha1::Sha1::digest(&inner);
    let outer: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner.iter().copied())
        .collect();
    sha1::Sha1::digest(&outer).into()
}

async fn text(c: &Client) -> String {
    c.execute("return document.body.innerText", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn shows(c: &Client, what: &str) {
    let shown = eventually(what, WAIT, || async {
        text(c).await.contains(what).then_some(())
    })
    .await;
    if let Err(e) = shown {
        panic!("{e}; the page shows: {}", text(c).await);
    }
}

async fn type_into(c: &Client, css: &str, value: &str) {
    let el = eventually(css, WAIT, || async { c.find(Locator::Css(css)).await.ok() })
        .await
        .unwrap();
    // Emptied as a person would, with the input event the page's model listens for (a
    // WebDriver clear does not send one, and the model would keep the old text).
    c.execute(
        "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
        vec![serde_json::to_value(&el).unwrap()],
    )
    .await
    .unwrap();
    el.send_keys(value).await.unwrap();
}

/// Types `value` into the page's field `test` (its `data-test`): an Element Plus input or
/// text area, whichever element carries the name.
async fn fill(c: &Client, test: &str, value: &str) {
    let css = ["input", "textarea"]
        .map(|tag| format!("[data-test={test}] {tag}, {tag}[data-test={test}]"))
        .join(", ");
    type_into(c, &css, value).await;
}

/// Chromium at the console's `page`, signed in there with a new desk account of `role` (for
/// `squads`, a squad leader's).
async fn signed_in(
    bureau: &Bureau,
    (login, name): (&str, &str),
    (role, squads): (&str, &[&str]),
    page: &str,
) -> (Chrome, Client) {
    let secret = bureau.desk_account((login, name), role, squads);
    let chrome = Chrome::start().unwrap();
    let c = chrome.session().await.unwrap();
    c.goto(&format!("{}/console/{page}", bureau.url))
        .await
        .unwrap();
    sign_in(&c, login, PASSWORD, &code_now(&secret)).await;
    // Signed in (the cookie set) before anything else is asked.
    shows(&c, "退出").await;
    (chrome, c)
}

/// Whether the case page's record check says the record is intact.
async fn record_intact(c: &Client) -> Option<String> {
    c.find(Locator::Css("[data-test=record-check]"))
        .await
        .unwrap()
        .attr("data-intact")
        .await
        .unwrap()
}

/// With the export dialog open: signs with the password, keeps the file the page saves, and
/// has the command-line verifier, given only the bureau's key, find it whole.
async fn exports_a_verified_bundle(c: &Client, bureau: &Bureau) {
    c.execute(
        "window.__saved = [];
         const keep = URL.createObjectURL.bind(URL);
         URL.createObjectURL = (b) => { window.__saved.push(b); return keep(b); };",
        vec![],
    )
    .await
    .unwrap();
    fill(c, "export-password", PASSWORD).await;
    click(c, "[data-test=export-confirm]").await;
    shows(c, "案卷已签名导出，案卷包核验通过").await;
    let saved = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const b = window.__saved[window.__saved.length - 1];
             b.arrayBuffer().then((a) => done([...new Uint8Array(a)]
               .map((x) => x.toString(16).padStart(2, '0')).join('')));",
            vec![],
        )
        .await
        .unwrap();
    let bundle = bureau.dir.path().join("exported.qcbundle");
    std::fs::write(&bundle, hex::decode(saved.as_str().unwrap()).unwrap()).unwrap();
    bureau.verifies(&bundle);
}

/// The two strings an asynchronous `script` in the page answers (found with the page's own
/// calls, as a script would), or a panic with what it answered instead.
async fn found_in_page(c: &Client, script: &str) -> [String; 2] {
    let found = c.execute_async(script, vec![]).await.unwrap();
    [0, 1].map(|i| {
        found[i]
            .as_str()
            .unwrap_or_else(|| panic!("the page found: {found}"))
            .to_owned()
    })
}

/// The first case in view with an intact file of `media`, and that file's hash, found as a
/// script would (the page's own calls, with its token).
async fn case_with_file(c: &Client, media: &str) -> [String; 2] {
    let script = "const done = arguments[arguments.length - 1];
         (async () => {
           const csrf = sessionStorage.getItem('qc-console-csrf');
           const call = async (p) => (await fetch('/console/api' + p, { headers: { 'x-csrf-token': csrf } })).json();
           const list = await call('/cases?limit=200');
           for (const row of list.cases) {
             const page = await call('/cases/' + encodeURIComponent(row.id));
             const file = page.evidence.find((f) => f.media === MEDIA && f.intact);
             if (file) return [row.id, file.hash];
           }
           return null;
         })().then(done, (e) => done(String(e)));";
    found_in_page(c, &script.replace("MEDIA", &format!("'{media}'"))).await
}

/// Clicks what `css` finds (it must be there).
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn sign_in(c: &Client, login: &str, password: &str, code: &str) {
    type_into(c, "[data-test=login]", login).await;
    type_into(c, "[data-test=password]", password).await;
    type_into(c, "[data-test=code]", code).await;
    click(c, "[data-test=sign-in]").await;
}

/// A dashboard table's rows as shown: first cell → the numbers in the cells after it (a
/// cell that is not a number, such as the 721 percentages, is left out).
async fn table_rows(c: &Client, test: &str) -> BTreeMap<String, Vec<u64>> {
    let rows = c
        .execute(
            &format!(
                "return [...document.querySelectorAll('[data-test={test}] tbody tr')]
                    .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))"
            ),
            vec![],
        )
        .await
        .unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let cells: Vec<&str> = r
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let (label, rest) = cells.split_first()?;
            Some((
                (*label).to_owned(),
                rest.iter().filter_map(|c| c.parse().ok()).collect(),
            ))
        })
        .collect()
}

/// Asserts that the chart above a dashboard table draws the table's numbers, a series per
/// column in the rows' order, as SVG with a bar for each number that is not zero.
async fn charts_its_table(c: &Client, test: &str) {
    let got = c
        .execute(
            &format!(
                "const rows = [...document.querySelectorAll('[data-test={test}] tbody tr')]
                   .map(tr => [...tr.querySelectorAll('td')].slice(1).map(td => td.innerText.trim())
                     .filter(x => /^[0-9]+$/.test(x)));
                 const series = rows.length ? rows[0].map((_, i) => rows.map(r => r[i]).join(',')).join(';') : '';
                 const nonzero = rows.flat().filter(x => x !== '0').length;
                 const chart = document.querySelector('[data-test={test}-chart]');
                 return [series, chart ? chart.dataset.bars : null, nonzero,
                   chart ? chart.querySelectorAll('svg path').length : 0];"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        got[0], got[1],
        "{test}: the chart's numbers are the table's"
    );
    let (nonzero, paths) = (got[2].as_u64().unwrap(), got[3].as_u64().unwrap());
    assert!(
        paths >= nonzero,
        "{test}: {paths} shapes for {nonzero} bars"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_head_signs_in_with_a_second_factor_and_sees_every_case_counted() {
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let secret = bureau.desk_account(("zhou", "周文"), "head", &[]);
    let chrome = Chrome::start().unwrap();
    let c = chrome.session().await.unwrap();
    c.goto(&format!("{}/console/", bureau.url)).await.unwrap();
    shows(&c, "动态验证码").await;
    snapshot(&c, "console-sign-in.png").await;

    // A wrong code: told so in Chinese, still on the sign-in page.
    sign_in(&c, "zhou", PASSWORD, "000000").await;
    shows(&c, "登录名、密码或动态验证码不正确").await;

    sign_in(&c, "zhou", PASSWORD, &code_now(&secret)).await;
    shows(&c, "全部案件").await;
    let expected = bureau.figures();
    assert_eq!(
        expected["cases-by-status"]
            .values()
            .map(|v| v[0])
            .sum::<u64>(),
        19,
        "the demo's 18 cases and the one registered here"
    );
    for (table, rows) in &expected {
        let shown = eventually(table, WAIT, || async {
            let rows = table_rows(&c, table).await;
            (!rows.is_empty()).then_some(rows)
        })
        .await
        .unwrap();
        assert_eq!(&shown, rows, "{table}: the page's figures are the cases'");
    }
    // The tablets synced when the bureau started: none is silent for days.
    let synced = eventually("the tablets' sync", WAIT, || async {
        let t = text(&c).await;
        let at = t.find("在用平板 ")?;
        let rest = &t[at + "在用平板 ".len()..];
        let n: u64 = rest.split(' ').next()?.parse().ok()?;
        rest.contains("其中 0 台超过 3 天未同步").then_some(n)
    })
    .await
    .unwrap();
    assert!(synced >= 1, "the demo's tablets are in service");
    // And every file their entries name reached the station.
    shows(&c, "已登记的证据文件均已上传基站").await;
    // Each table's chart is drawn from the numbers beside it.
    for table in expected.keys() {
        charts_its_table(&c, table).await;
    }
    // Officers' deadlines by name, as the bureau's certificates name them, not by id.
    let officers = table_rows(&c, "deadlines-by-officer").await;
    assert!(!officers.is_empty(), "the demo has open deadlines");
    for name in officers.keys() {
        assert!(
            !name.is_empty() && !name.chars().any(|ch| ch.is_ascii_alphanumeric()),
            "{name}: an id, not a name"
        );
    }
    snapshot(&c, "console-dashboard.png").await;

    // A search: the case with markup in its summary is found, and the markup stays text.
    click(&c, "[data-test=nav-cases]").await;
    fill(&c, "case-search", "试验路7").await;
    click(&c, "[data-test=case-search-go]").await;
    shows(&c, "共 1 件").await;
    shows(&c, "试验路7号").await;
    let injected = c
        .execute(
            "return window.__pwned === undefined
                && !document.querySelector('[data-test=case-table] script, [data-test=case-table] img')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        injected,
        serde_json::json!(true),
        "markup in a summary ran or was parsed"
    );
    snapshot(&c, "console-cases.png").await;

    // The logs: this sign-in and the refused one, and the overview viewed.
    click(&c, "[data-test=nav-logs]").await;
    shows(&c, "登录成功").await;
    shows(&c, "登录失败").await;
    snapshot(&c, "console-logs.png").await;

    // Signed out: the page is back at sign-in and a reload does not bring the session back.
    click(&c, "[data-test=sign-out]").await;
    shows(&c, "动态验证码").await;
    c.goto(&format!("{}/console/", bureau.url)).await.unwrap();
    shows(&c, "动态验证码").await;
    c.close().await.unwrap();
}

/// The HTTPS client a script or an attacker would use (the station's certificate is
/// self-signed; what is tested here is the console, not TLS).
fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

#[test]
fn console_endpoints_refuse_without_session_or_csrf_and_lock_after_wrong_passwords() {
    let bureau = Bureau::start();
    let secret = bureau.desk_account(("zhao", "刘建国"), "squad_leader", &["一中队"]);
    let http = client();
    let api = |path: &str| format!("{}/console/api/{path}", bureau.url);

    let listed: serde_json::Value =
        serde_json::from_str(&cli(bureau.dir.path(), &["case", "list", "--json"], &[])).unwrap();
    let of_squad = |mine: bool| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| (c["squad"] == "一中队") == mine)
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (own, other) = (of_squad(true), of_squad(false));
    let own_page = format!("cases/{own}");
    let other_page = format!("cases/{other}");
    let other_file = format!("cases/{other}/evidence/{}", "ab".repeat(32));
    let other_play = format!("cases/{other}/play/{}/{}", "ab".repeat(32), "00");
    for path in [
        "session",
        "dashboard",
        "cases?q=x",
        "logs?kind=login",
        "people",
        "draws",
        "accounts",
        "bureau-files",
        own_page.as_str(),
        other_file.as_str(),
        other_play.as_str(),
    ] {
        let status = http.get(api(path)).send().unwrap().status();
        assert_eq!(status, 401, "{path} without a session");
    }
    for path in [
        "sign-out",
        "draws",
        "draws/register",
        "draws/draw-x/draw",
        "accounts",
        "accounts/zhao/reset",
        "password",
        "bureau-files/catalogue/preview",
        "bureau-files/catalogue",
    ] {
        let status = http.post(api(path)).send().unwrap().status();
        assert_eq!(status, 401, "POST {path} without a session");
    }

    // Signs in as a script would: the cookie as set, the cookie to send back, the CSRF token.
    let sign_in = |login: &str, secret: &str| {
        let signed = http
            .post(api("sign-in"))
            .json(&serde_json::json!({"login": login, "password": PASSWORD, "code": code_now(secret)}))
            .send()
            .unwrap();
        assert_eq!(signed.status(), 200, "{login} signing in");
        let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
        let session = cookie.split(';').next().unwrap().to_owned();
        let body: serde_json::Value = signed.json().unwrap();
        (cookie, session, body["csrf"].as_str().unwrap().to_owned())
    };
    // Sign-in and activation take JSON only: a cross-site form (text/plain) is refused.
    for path in ["sign-in", "activation", "activate"] {
        let plain = http
            .post(api(path))
            .header("content-type", "text/plain")
            .body(r#"{"login": "zhao", "password": "x", "code": "1", "totp": "1"}"#)
            .send()
            .unwrap();
        assert_eq!(plain.status(), 400, "{path} as text/plain");
        let why: serde_json::Value = plain.json().unwrap();
        assert!(
            why["message"].as_str().unwrap().contains("须以 JSON 提交"),
            "{path}: {why}"
        );
    }
    let (cookie, session, csrf) = sign_in("zhao", &secret);
    // About the code spent (a code is good once): one newer signs in again.
    let spent = code_now(&secret);
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }

    let with = |path: &str, token: Option<&str>| {
        let mut r = http.get(api(path)).header("cookie", &session);
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        r.send().unwrap()
    };
    for path in [
        "dashboard",
        "cases",
        "logs?kind=login",
        "draws",
        own_page.as_str(),
    ] {
        assert_eq!(with(path, None).status(), 403, "{path}: no CSRF token");
        assert_eq!(
            with(path, Some("forged")).status(),
            403,
            "{path}: wrong token"
        );
    }
    // Only the administrator lists or makes accounts.
    assert_eq!(
        with("accounts", Some(&csrf)).status(),
        403,
        "a leader lists accounts"
    );
    let made = http
        .post(api("accounts"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(
            &serde_json::json!({"login": "mine", "name": "我", "role": "administrator",
            "password": "long enough password"}),
        )
        .send()
        .unwrap();
    assert_eq!(made.status(), 403, "a leader makes an administrator");
    let reset = http
        .post(api("accounts/zhao/reset"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "confirm": PASSWORD }))
        .send()
        .unwrap();
    assert_eq!(reset.status(), 403, "a leader resets an account");
    // Nor sees or imports the bureau's catalogue and wording.
    assert_eq!(with("bureau-files", Some(&csrf)).status(), 403);
    for path in ["bureau-files/catalogue/preview", "bureau-files/wording"] {
        let imported = http
            .post(api(path))
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"text": "{}", "replacing": "", "password": PASSWORD}))
            .send()
            .unwrap();
        assert_eq!(imported.status(), 403, "a leader: {path}");
    }
    // A player's address needs its own token: the CSRF header does not stand for it. A token
    // made right, from the session's own CSRF token, opens no case out of the leader's view.
    assert_eq!(with(&other_play, Some(&csrf)).status(), 403, "{other_play}");
    let file = "ab".repeat(32);
    let made_right = format!(
        "cases/{other}/play/{file}/{}",
        play_token(&csrf, &other, &file)
    );
    assert_eq!(with(&made_right, None).status(), 404, "{made_right}");
    let own_right = format!("cases/{own}/play/{file}/{}", play_token(&csrf, &own, &file));
    assert_eq!(
        with(&own_right, None).status(),
        404,
        "no such file in their own case: {own_right}"
    );
    let overview: serde_json::Value = with("dashboard", Some(&csrf)).json().unwrap();
    assert_eq!(overview["scope"], "一中队的案件");
    let squad_cases: u64 = serde_json::from_str::<serde_json::Value>(&cli(
        bureau.dir.path(),
        &["case", "list", "--json"],
        &[],
    ))
    .unwrap()
    .as_array()
    .unwrap()
    .iter()
    .filter(|c| c["squad"] == "一中队")
    .count() as u64;
    assert_eq!(
        overview["total"], squad_cases,
        "a squad leader sees their squad"
    );
    // Their squad's case opens; another squad's, and its files, answer as if there were none.
    let page = with(&own_page, Some(&csrf));
    assert_eq!(page.status(), 200);
    let page: serde_json::Value = page.json().unwrap();
    assert_eq!(page["squad"], "一中队");
    assert_eq!(with(&other_page, Some(&csrf)).status(), 404, "{other_page}");
    // Exporting signs: the CSRF token, the password again, and a case in view.
    let export_as = |session: &str, case: &str, token: Option<&str>, password: &str| {
        let mut r = http
            .post(api(&format!("cases/{case}/export")))
            .header("cookie", session)
            .json(&serde_json::json!({ "password": password }));
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        r.send().unwrap()
    };
    let export = |case: &str, token: Option<&str>, password: &str| {
        export_as(&session, case, token, password)
    };
    assert_eq!(
        export(&own, None, PASSWORD).status(),
        403,
        "export without CSRF"
    );
    let wrong = export(&own, Some(&csrf), "wrong wrong");
    assert_eq!(wrong.status(), 422);
    assert_eq!(
        wrong.json::<serde_json::Value>().unwrap()["code"],
        "wrong_password"
    );
    assert_eq!(export(&other, Some(&csrf), PASSWORD).status(), 404);
    let exported = export(&own, Some(&csrf), PASSWORD);
    assert_eq!(exported.status(), 200, "{:?}", exported.text());
    assert_eq!(
        exported.headers()["x-quancheng-verdict"],
        "intact",
        "the station's own verdict on what it exported"
    );
    let bundle = bureau.dir.path().join("leader.qcbundle");
    std::fs::write(&bundle, exported.bytes().unwrap()).unwrap();
    bureau.verifies(&bundle);
    // Supervision reads every case and signs nothing.
    let du = bureau.desk_account(("du", "杜监"), "supervision", &[]);
    let (_, du_session, du_csrf) = sign_in("du", &du);
    let refused = export_as(&du_session, &own, Some(&du_csrf), PASSWORD);
    assert_eq!(refused.status(), 403, "supervision exporting");
    // Reviewing a case file (案卷评查) is for the legal department and the head: a squad
    // leader and supervision are refused, and the legal department reviews closed cases only.
    let review_as = |session: &str, case: &str, token: &str| {
        http.post(api(&format!("cases/{case}/reviews")))
            .header("cookie", session)
            .header("x-csrf-token", token)
            .json(&serde_json::json!({"items": [], "comment": "意见", "password": PASSWORD}))
            .send()
            .unwrap()
    };
    assert_eq!(review_as(&session, &own, &csrf).status(), 403, "a leader");
    assert_eq!(review_as(&du_session, &own, &du_csrf).status(), 403);
    let undecided = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "investigation_concluded" || c["status"] == "notified")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .expect("the demo has a case before its decision");
    let sun = bureau.desk_account(("sun", "孙丽"), "legal_reviewer", &[]);
    let (_, sun_session, sun_csrf) = sign_in("sun", &sun);
    let early = review_as(&sun_session, &undecided, &sun_csrf);
    assert_eq!(early.status(), 400);
    let why: serde_json::Value = early.json().unwrap();
    assert_eq!(why["message"], "请求有误：只有已结案的案卷可以评查");
    // A squad leader over two squads exports a case of the second as well.
    let both = bureau.desk_account(("ma", "马琳"), "squad_leader", &["一中队", "二中队"]);
    let (_, liu_session, liu_csrf) = sign_in("ma", &both);
    let exported = export_as(&liu_session, &other, Some(&liu_csrf), PASSWORD);
    assert_eq!(exported.status(), 200, "{:?}", exported.text());
    let bundle = bureau.dir.path().join("two-squads.qcbundle");
    std::fs::write(&bundle, exported.bytes().unwrap()).unwrap();
    bureau.verifies(&bundle);
    assert_eq!(with(&other_file, Some(&csrf)).status(), 404, "{other_file}");
    let logs = with("logs?kind=login", Some(&csrf));
    assert_eq!(logs.status(), 403, "a squad leader does not read the logs");
    let people = with("people", Some(&csrf));
    assert_eq!(people.status(), 403, "nor the bureau's people");
    // 双随机: a squad leader reads the draws but neither reads a register nor plans a draw.
    let draws: serde_json::Value = with("draws", Some(&csrf)).json().unwrap();
    assert_eq!(draws["may_draw"], false);
    let post = |path: &str, body: reqwest::blocking::Body| {
        http.post(api(path))
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .body(body)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(post("draws/register", "编号,名称\nA,甲\n".into()), 403);
    let plan = serde_json::json!({"title": "抽查", "count": 1, "targets": [], "inspectors": [],
        "password": PASSWORD});
    assert_eq!(post("draws", plan.to_string().into()), 403);
    let draw = serde_json::json!({ "password": PASSWORD }).to_string();
    assert_eq!(post("draws/draw-x/draw", draw.into()), 403);

    // Five wrong passwords lock the account; then even the right one is refused.
    for i in 1..=5 {
        let r = http
            .post(api("sign-in"))
            .json(
                &serde_json::json!({"login": "zhao", "password": "wrong wrong", "code": "123456"}),
            )
            .send()
            .unwrap();
        assert_eq!(r.status(), if i < 5 { 401 } else { 423 }, "attempt {i}");
    }
    let locked = http
        .post(api("sign-in"))
        .json(
            &serde_json::json!({"login": "zhao", "password": PASSWORD, "code": code_now(&secret)}),
        )
        .send()
        .unwrap();
    assert_eq!(locked.status(), 423);
    let why: serde_json::Value = locked.json().unwrap();
    assert_eq!(why["code"], "locked");
    // The administrator lifts the lock from the command line: he signs in again (with a code
    // newer than the one he used last).
    cli(
        bureau.dir.path(),
        &[
            "admin",
            "desk-unlock",
            "--login",
            "zhao",
            "--officer",
            "wu.min",
        ],
        &[("QUANCHENG_PIN", "357159")],
    );
    while code_now(&secret) == spent {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let again = http
        .post(api("sign-in"))
        .json(&serde_json::json!({"login": "zhao", "password": PASSWORD,
            "code": code_now(&secret)}))
        .send()
        .unwrap();
    assert_eq!(again.status(), 200, "unlocked, he signs in");
}

/// A desk account made for its holder to activate, as a script does it: the administrator
/// hands over a one-time code and never knows the password; a changed password or a reset
/// ends every session and revokes the desk key the old password derived.
#[test]
fn a_desk_account_is_activated_by_its_holder_and_a_changed_password_or_reset_ends_its_sessions() {
    let bureau = Bureau::start();
    let first_day = todays_admin_id();
    let http = client();
    let api = |path: &str| format!("{}/console/api/{path}", bureau.url);
    let activation = |out: &str| -> String {
        let made: serde_json::Value = serde_json::from_str(out).unwrap();
        assert_eq!(made["login"], "zhou");
        made["code"].as_str().unwrap().to_owned()
    };
    let pin = [("QUANCHENG_PIN", "357159")];
    let code = activation(&cli(
        bureau.dir.path(),
        &[
            "--json",
            "admin",
            "desk",
            "--activation",
            "--login",
            "zhou",
            "--name",
            "周文",
            "--role",
            "head",
            "--person",
            "zhou.wen",
            "--officer",
            "wu.min",
        ],
        &pin,
    ));
    let post =
        |path: &str, body: serde_json::Value| http.post(api(path)).json(&body).send().unwrap();
    let used = std::cell::RefCell::new(Vec::<String>::new());
    let fresh_code = |secret: &str| {
        // A code is good once per account: wait for the next one.
        loop {
            let c = code_now(secret);
            if !used.borrow().contains(&c) {
                used.borrow_mut().push(c.clone());
                break c;
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    };
    // Until activated nobody signs in, whatever they type.
    let early = post(
        "sign-in",
        serde_json::json!({"login": "zhou", "password": "", "code": "000000"}),
    );
    assert_eq!(early.status(), 401);
    assert_eq!(
        post(
            "activation",
            serde_json::json!({"login": "zhou", "code": "0".repeat(32)})
        )
        .status(),
        400,
        "a wrong code"
    );
    let shown = post(
        "activation",
        serde_json::json!({"login": "zhou", "code": code}),
    );
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "private, no-store");
    let shown: serde_json::Value = shown.json().unwrap();
    assert_eq!(shown["name"], "周文");
    let secret = shown["totp_secret"].as_str().unwrap().to_owned();
    let activate = |code: &str, password: &str, totp: &str| {
        post(
            "activate",
            serde_json::json!({"login": "zhou", "code": code, "password": password,
                "totp": totp}),
        )
    };
    let activated = activate(&code, PASSWORD, &fresh_code(&secret));
    assert_eq!(activated.status(), 200, "{:?}", activated.text());
    let (session, csrf) = session_of(activated);
    let reused = activate(&code, "another long password", &code_now(&secret));
    assert_eq!(reused.status(), 400);
    assert_eq!(
        reused.json::<serde_json::Value>().unwrap()["code"],
        "bad_activation",
        "a code is used once"
    );
    // Signed in: the head exports a case, which certifies the key his password derives.
    let with = |path: &str, session: &str, csrf: &str| {
        http.get(api(path))
            .header("cookie", session)
            .header("x-csrf-token", csrf)
            .send()
            .unwrap()
    };
    assert_eq!(with("dashboard", &session, &csrf).status(), 200);
    let listed: serde_json::Value =
        serde_json::from_str(&cli(bureau.dir.path(), &["case", "list", "--json"], &[])).unwrap();
    let case = listed[0]["id"].as_str().unwrap().to_owned();
    let export = |session: &str, csrf: &str, password: &str| {
        http.post(api(&format!("cases/{case}/export")))
            .header("cookie", session)
            .header("x-csrf-token", csrf)
            .json(&serde_json::json!({ "password": password }))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(export(&session, &csrf, PASSWORD), 200);
    // His keys on his desk, by state, as the administrator's people page lists them.
    let admin_secret = bureau.desk_account(("wu", "吴敏"), "administrator", &[]);
    let admin = post(
        "sign-in",
        serde_json::json!({"login": "wu", "password": PASSWORD, "code": fresh_code(&admin_secret)}),
    );
    assert_eq!(admin.status(), 200);
    let (admin_session, admin_csrf) = session_of(admin);
    let desk_keys = || -> Vec<String> {
        let people: serde_json::Value = with("people", &admin_session, &admin_csrf).json().unwrap();
        let zhou = people["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "zhou.wen")
            .unwrap();
        zhou["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["device"] == "desk-zhou")
            .map(|k| k["state"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(desk_keys(), ["valid"]);

    // He changes his password: every session ends, the old password no longer signs in.
    let change = |session: &str, csrf: &str, old: &str, new: &str| {
        http.post(api("password"))
            .header("cookie", session)
            .header("x-csrf-token", csrf)
            .json(&serde_json::json!({ "old": old, "new": new }))
            .send()
            .unwrap()
    };
    let wrong = change(&session, &csrf, "wrong wrong", "a new long password");
    assert_eq!(wrong.status(), 422, "the old password typed wrong");
    let changed = change(&session, &csrf, PASSWORD, "a new long password");
    assert_eq!(changed.status(), 204, "{:?}", changed.text());
    assert!(
        changed.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        with("dashboard", &session, &csrf).status(),
        401,
        "the session ended"
    );
    let sign_in = |password: &str, code: &str| {
        post(
            "sign-in",
            serde_json::json!({"login": "zhou", "password": password, "code": code}),
        )
    };
    // A refused sign-in spends no code: the same one serves the right password next.
    let code = fresh_code(&secret);
    assert_eq!(sign_in(PASSWORD, &code).status(), 401, "the old password");
    let signed = sign_in("a new long password", &code);
    assert_eq!(signed.status(), 200);
    let (session2, csrf2) = session_of(signed);
    // The old password's key was revoked; the new password signs with a key certified anew.
    assert_eq!(desk_keys(), ["revoked"]);
    assert_eq!(export(&session2, &csrf2, "a new long password"), 200);
    let mut states = desk_keys();
    states.sort();
    assert_eq!(states, ["revoked", "valid"]);

    // The administrator resets the account at the station: his session ends, and only the
    // new code opens it again.
    let again_code = activation(&cli(
        bureau.dir.path(),
        &[
            "--json",
            "admin",
            "desk-reset",
            "--login",
            "zhou",
            "--officer",
            "wu.min",
        ],
        &pin,
    ));
    assert_ne!(again_code, code);
    assert_eq!(
        with("dashboard", &session2, &csrf2).status(),
        401,
        "reset ends sessions"
    );
    let accounts: serde_json::Value = with("accounts", &admin_session, &admin_csrf)
        .json()
        .unwrap();
    let zhou = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == "zhou")
        .unwrap();
    assert!(
        zhou["activation_until"].as_i64().is_some(),
        "awaiting activation, with no password: {zhou}"
    );
    let shown: serde_json::Value = post(
        "activation",
        serde_json::json!({"login": "zhou", "code": again_code}),
    )
    .json()
    .unwrap();
    assert_ne!(shown["totp_secret"], secret, "a new authenticator");
    let secret = shown["totp_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        desk_keys(),
        ["revoked", "revoked"],
        "every desk key revoked"
    );
    // He activates it again keeping the password he had: his key is a new one all the same
    // (the account's key salt is new), so he signs.
    let back = activate(&again_code, "a new long password", &fresh_code(&secret));
    assert_eq!(back.status(), 200, "{:?}", back.text());
    let (session3, csrf3) = session_of(back);
    assert_eq!(export(&session3, &csrf3, "a new long password"), 200);
    let mut states = desk_keys();
    states.sort();
    assert_eq!(states, ["revoked", "revoked", "valid"]);
    // He leaves the bureau: the administrator disables his account in the console, signing
    // the act with her password onto the log. His session ends, his desk keys are revoked.
    let disable = |confirm: &str| {
        http.post(api("accounts/zhou/disable"))
            .header("cookie", &admin_session)
            .header("x-csrf-token", &admin_csrf)
            .json(&serde_json::json!({ "confirm": confirm }))
            .send()
            .unwrap()
    };
    assert_eq!(
        disable("wrong wrong").status(),
        422,
        "not without her password"
    );
    assert_eq!(with("dashboard", &session3, &csrf3).status(), 200);
    assert_eq!(disable(PASSWORD).status(), 200);
    assert_eq!(with("dashboard", &session3, &csrf3).status(), 401);
    assert_eq!(desk_keys(), ["revoked", "revoked", "revoked"]);
    assert_eq!(disable(PASSWORD).status(), 400, "disabled once");
    assert_eq!(
        admin_entries(&bureau.url, &first_day),
        1,
        "the disabling on the log (the command line's acts are not)"
    );
    // Each step is in the logs: the activation at sign-in, the rest as operations.
    let logs = |kind: &str| {
        with(&format!("logs?kind={kind}"), &admin_session, &admin_csrf)
            .text()
            .unwrap()
    };
    assert!(logs("login").contains("激活账号：本人设置密码并绑定验证器"));
    let operations = logs("operation");
    for what in [
        "新建账号 zhou",
        "待本人激活",
        "修改密码（吊销原密码的控制台签名证书 1 张）",
        "重置账号 zhou",
    ] {
        assert!(operations.contains(what), "{what} not in {operations}");
    }
}

/// The desks' acts made by a script at the station's command line (`quancheng desk`): a
/// random inspection planned, drawn once the log moved past its plan, a target's result
/// reported, a closed case's file reviewed; each signed with the account's password, each
/// refused without it.
#[test]
fn desk_acts_are_signed_at_the_command_line_as_in_the_console() {
    let bureau = Bureau::start();
    bureau.desk_account(("zhou", "周文"), "head", &[]);
    bureau.desk_account(("sun", "孙丽"), "legal_reviewer", &[]);
    let dir = bureau.dir.path();
    let register = dir.join("register.csv");
    std::fs::write(&register, register_csv()).unwrap();
    let desk = |login: &str, password: &str, args: &[&str]| {
        let mut all = vec!["--json", "desk"];
        all.extend_from_slice(args);
        all.extend(["--login", login]);
        run_cli(dir, &all, &[("QUANCHENG_DESK_PASSWORD", password)])
    };
    let json = |out: std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plan_args = [
        "plan",
        "--title",
        "命令行抽查",
        "--count",
        "2",
        "--register",
        register.to_str().unwrap(),
        "--inspector",
        "li.ming",
        "--inspector",
        "wang.fang",
        "--inspector",
        "liu.jianguo",
    ];
    let said = |out: std::process::Output| {
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(said(desk("zhou", "wrong wrong", &plan_args)).contains("密码不正确"));
    // The register has a line without an id: a plan cannot be changed once signed, so it is
    // refused until the script says to leave such lines out.
    assert!(said(desk("zhou", PASSWORD, &plan_args)).contains("--skip-bad-lines"));
    let mut plan_args = plan_args.to_vec();
    plan_args.push("--skip-bad-lines");
    let planned = json(desk("zhou", PASSWORD, &plan_args));
    let id = planned["id"].as_str().unwrap().to_owned();
    assert_eq!(
        planned["register_size"], 12,
        "the row without an id left out"
    );
    // No draw before the log holds an entry after the plan.
    let early = said(desk("zhou", PASSWORD, &["draw", "--draw", &id]));
    assert!(
        early.contains("随机种子尚未确定"),
        "drawn before its seed: {early}"
    );
    // 案卷评查 of a closed case by the legal department: an entry after the plan.
    let listed: serde_json::Value =
        serde_json::from_str(&cli(dir, &["case", "list", "--json"], &[])).unwrap();
    let closed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "closed" || c["status"] == "disclosed")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .expect("the demo has a closed case");
    let sheet = dir.join("review.json");
    let items: Vec<serde_json::Value> = qc_domain::review::CHECKLIST
        .iter()
        .map(|i| serde_json::json!({"key": i.key, "score": i.max}))
        .collect();
    std::fs::write(
        &sheet,
        serde_json::json!({"items": items, "comment": "案卷齐全"}).to_string(),
    )
    .unwrap();
    let review_args = [
        "review",
        "--case",
        &closed,
        "--sheet",
        sheet.to_str().unwrap(),
    ];
    let refused = said(desk(
        "zhou",
        PASSWORD,
        &[
            "review",
            "--case",
            "no-such-case",
            "--sheet",
            sheet.to_str().unwrap(),
        ],
    ));
    assert!(
        refused.contains("没有该案件"),
        "a case the station never had: {refused}"
    );
    let reviewed = json(desk("sun", PASSWORD, &review_args));
    assert_eq!(reviewed["total"], 100);
    // Drawn now; then a drawn target's result reported.
    let drawn = json(desk("zhou", PASSWORD, &["draw", "--draw", &id]));
    let tasks = drawn["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    let target = tasks[0]["id"].as_str().unwrap().to_owned();
    let report = [
        "report",
        "--draw",
        &id,
        "--target",
        &target,
        "--outcome",
        "compliant",
        "--note",
        "经营正常",
    ];
    let reported = json(desk("zhou", PASSWORD, &report));
    let task = reported["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == target.as_str())
        .unwrap();
    assert_eq!(task["report"]["note"], "经营正常");
    let odd = [
        "report",
        "--draw",
        &id,
        "--target",
        &target,
        "--outcome",
        "maybe",
    ];
    assert!(
        !desk("zhou", PASSWORD, &odd).status.success(),
        "no such outcome"
    );
    // The other target's two inspectors record what they found on the tablet that holds
    // their task (both sign; one of them with someone else is refused there), and it reaches
    // the draw at the next sync.
    cli(dir, &["sync"], &[]);
    // The squad reads the review on its tablet: the sync brought the desk's signed entry (the
    // case's document had not changed) and fetched its sheet.
    let shown = cli(dir, &["case", "show", &closed], &[]);
    assert!(
        shown.contains("案卷评查") && shown.contains("100 分，优秀") && shown.contains("案卷齐全"),
        "{shown}"
    );
    // The tablet's export of the case carries the review with its sheet, and verifies.
    let bundle = dir.join("reviewed.qcb");
    cli(
        dir,
        &[
            "export",
            &closed,
            "--out",
            bundle.to_str().unwrap(),
            "--officer",
            "li.ming",
        ],
        &[("QUANCHENG_PIN", &qc_tests::station::pin("li.ming"))],
    );
    let verified = cli(dir, &["verify", bundle.to_str().unwrap()], &[]);
    assert!(verified.contains("案卷评查"), "{verified}");
    let other = &tasks[1];
    let other_target = other["id"].as_str().unwrap().to_owned();
    let pair: Vec<String> = other["inspectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let outsider = ["li.ming", "wang.fang", "liu.jianguo"]
        .into_iter()
        .find(|p| !pair.iter().any(|x| x == p))
        .unwrap();
    let on_site = |second: &str| {
        run_cli(
            dir,
            &[
                "tasks",
                "report",
                "--draw",
                &id,
                "--target",
                &other_target,
                "--outcome",
                "corrected",
                "--note",
                "门前堆物，已当场责令改正",
                "--officer",
                &pair[0],
                "--second",
                second,
            ],
            &[
                ("QUANCHENG_PIN", &qc_tests::station::pin(&pair[0])),
                ("QUANCHENG_SECOND_PIN", &qc_tests::station::pin(second)),
            ],
        )
    };
    assert!(said(on_site(outsider)).contains("抽中的两名执法人员"));
    let recorded = on_site(&pair[1]);
    assert!(
        recorded.status.success(),
        "{}",
        String::from_utf8_lossy(&recorded.stderr)
    );
    assert!(cli(dir, &["tasks"], &[]).contains("发现问题，已责令改正"));
    let held: serde_json::Value =
        serde_json::from_str(&cli(dir, &["tasks", "--json"], &[])).unwrap();
    let mine = held
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"]["id"] == other_target.as_str())
        .unwrap();
    assert_eq!(mine["report"]["outcome"], "corrected", "{mine}");
    cli(dir, &["sync"], &[]);

    // The documents' wording for every tablet, edited by the city: only the administrator
    // imports it; a preview says what it changes; a wrong password changes nothing.
    let admin = bureau.desk_account(("wu", "吴敏"), "administrator", &[]);
    let wording = cli(dir, &["document", "wording"], &[]);
    let court = "示例市西城区人民法院";
    let edited = dir.join("wording.toml");
    std::fs::write(&edited, wording.replace("示例市东城区人民法院", court)).unwrap();
    let bureau_args = |extra: &[&'static str]| {
        let mut args = vec![
            "bureau",
            "--kind",
            "wording",
            "--file",
            edited.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args
    };
    let head = said(desk("zhou", PASSWORD, &bureau_args(&["--preview"])));
    assert!(head.contains("无权"), "the head imports: {head}");
    let shown = json(desk("wu", PASSWORD, &bureau_args(&["--preview"])));
    assert_eq!(shown["changes"][0]["item"], "remedy.court", "{shown}");
    assert_eq!(shown["changes"].as_array().unwrap().len(), 1, "{shown}");
    let wrong = said(desk("wu", "wrong wrong", &bureau_args(&[])));
    assert!(wrong.contains("密码不正确"), "{wrong}");
    assert_eq!(
        json(desk("wu", PASSWORD, &bureau_args(&["--preview"])))["replacing"],
        shown["replacing"],
        "nothing changed"
    );
    let imported = json(desk("wu", PASSWORD, &bureau_args(&[])));
    let summary = imported["imported"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("更新文书固定用语 示例市城市管理综合行政执法局（SHA-256 "),
        "{summary}"
    );
    let again = said(desk("wu", PASSWORD, &bureau_args(&[])));
    assert!(again.contains("无需导入"), "{again}");
    std::fs::write(&edited, wording.replace("{法院}", "{法庭}")).unwrap();
    let broken = said(desk("wu", PASSWORD, &bureau_args(&[])));
    assert!(broken.contains("texts.rights"), "{broken}");
    // A catalogue that changes a type without raising its version is refused.
    let mut same_version: serde_json::Value =
        serde_json::from_str(&cli(dir, &["catalogue", "--json"], &[])).unwrap();
    same_version["domains"][0]["violations"][0]["name"] = "改名".into();
    let unraised = dir.join("catalogue.json");
    std::fs::write(&unraised, same_version.to_string()).unwrap();
    let catalogue_args = [
        "bureau",
        "--kind",
        "catalogue",
        "--file",
        unraised.to_str().unwrap(),
    ];
    assert!(said(desk("wu", PASSWORD, &catalogue_args)).contains("应高于"));
    // The administrator's acts at the command line are signed onto the log as at the
    // console: an account opened for its holder, then disabled; a new tablet's code.
    let logged_before = admin_entries(&bureau.url, &todays_admin_id());
    let opened = json(desk(
        "wu",
        PASSWORD,
        &[
            "account",
            "--new",
            "du2",
            "--name",
            "杜监察",
            "--role",
            "supervision",
        ],
    ));
    assert_eq!(opened["code"].as_str().unwrap().len(), 32, "{opened}");
    let disabled = json(desk(
        "wu",
        PASSWORD,
        &["account-state", "--account", "du2", "--to", "disable"],
    ));
    assert_eq!(disabled["disabled"], true);
    assert!(
        said(desk(
            "zhou",
            PASSWORD,
            &["enrolment-code", "--squad", "一中队"]
        ))
        .contains("无权")
    );
    let code = json(desk(
        "wu",
        PASSWORD,
        &["enrolment-code", "--squad", "一中队"],
    ));
    assert_eq!(code["squad"], "一中队");
    assert_eq!(
        admin_entries(&bureau.url, &todays_admin_id()),
        logged_before + 3,
        "each act on the log"
    );
    // The tablet prints the new court from its next sync.
    assert!(cli(dir, &["sync"], &[]).contains("已按基站更新文书固定用语"));
    assert!(cli(dir, &["document", "wording"], &[]).contains(court));

    // The operation log says each was done at the command line.
    let http = client();
    let signed = http
        .post(format!("{}/console/api/sign-in", bureau.url))
        .json(&serde_json::json!({"login": "wu", "password": PASSWORD, "code": code_now(&admin)}))
        .send()
        .unwrap();
    let (cookie, csrf) = session_of(signed);
    let log = http
        .get(format!("{}/console/api/logs?kind=operation", bureau.url))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .unwrap()
        .text()
        .unwrap();
    // An import against a file no longer in force (another import came between) is refused.
    let stale = http
        .post(format!("{}/console/api/bureau-files/wording", bureau.url))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(
            &serde_json::json!({"text": wording, "replacing": "00".repeat(32),
            "password": PASSWORD}),
        )
        .send()
        .unwrap();
    assert_eq!(stale.status(), 409);
    let stale: serde_json::Value = stale.json().unwrap();
    assert_eq!(stale["code"], "stale", "{stale}");
    // The tablet's report is the draw's result for that target, with its file arrived.
    let listed: serde_json::Value = http
        .get(format!("{}/console/api/draws", bureau.url))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let draw = listed["draws"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{listed}"));
    let reported = draw["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == other_target.as_str())
        .unwrap();
    assert_eq!(reported["report"]["outcome"], "corrected", "{draw}");
    assert_eq!(reported["report"]["note"], "门前堆物，已当场责令改正");
    // Each act in the operation log, by whom, from the command line.
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let lines = log["entries"].as_array().unwrap();
    for (who, what) in [
        ("zhou", format!("双随机抽查计划 {id}")),
        ("zhou", format!("双随机抽取 {id}")),
        ("zhou", format!("双随机检查结果 {id} {target}")),
        ("sun", format!("案卷评查 {closed}")),
        ("wu", "更新文书固定用语".to_owned()),
    ] {
        assert!(
            lines.iter().any(|l| l["login"] == who
                && l["source"] == "命令行"
                && l["what"].as_str().unwrap().starts_with(&what)),
            "{what} by {who}: {log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_administrator_revokes_a_lost_tablet_which_is_refused_at_its_next_sync() {
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let first_day = todays_admin_id();
    let (_chrome, c) = signed_in(&bureau, ("wu", "吴敏"), ("administrator", &[]), "devices").await;
    // The administrator opens an account for 刘建国, leader of 一中队: no password is asked,
    // an activation link is shown once, for him to open.
    c.goto(&format!("{}/console/accounts", bureau.url))
        .await
        .unwrap();
    shows(&c, "控制台账号").await;
    open_account(&c, "liu").await;
    let link = text_once(&c, "[data-test=account-link]", |t| {
        t.contains("/console/activate#")
    })
    .await;
    assert!(link.starts_with(&bureau.url), "{link}");
    shows(&c, "待本人激活").await;
    snapshot(&c, "console-accounts.png").await;
    // One account per person: a second for 刘建国 is refused, and the refusal logged.
    open_account(&c, "liu2").await;
    shows(&c, "已有控制台账号 liu").await;
    c.goto(&format!("{}/console/devices", bureau.url))
        .await
        .unwrap();
    // The bureau directory's own tablet, the one that synced the demo cases.
    let revoke = eventually("the device's revoke button", WAIT, || async {
        c.find(Locator::Css(".el-table [data-test^=revoke-]"))
            .await
            .ok()
    })
    .await;
    let revoke = match revoke {
        Ok(r) => r,
        Err(e) => panic!("{e}; the page shows: {}", text(&c).await),
    };
    // It synced when the bureau started: the table says when.
    shows(&c, "最近同步").await;
    let row = c
        .find(Locator::Css(".el-table__body tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!row.contains("从未同步"), "{row}");
    // A new tablet's code, with its QR, before the old one is revoked.
    type_into(&c, "[data-test=code-squad]", "一中队").await;
    type_into(&c, "[data-test=code-password]", PASSWORD).await;
    click(&c, "[data-test=code-issue]").await;
    let code = text_once(&c, "[data-test=enrolment-code]", |t| t.len() == 14).await;
    assert!(
        code.trim().chars().filter(|ch| *ch == '-').count() == 2,
        "{code}"
    );
    let qr = c
        .execute(
            "const i = document.querySelector('[data-test=enrolment-qr]'); return i && i.tagName === 'IMG' && i.src.startsWith('data:image/svg+xml');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(qr, serde_json::json!(true), "the code's QR is an image");
    snapshot(&c, "console-devices.png").await;

    revoke.click().await.unwrap();
    type_into(&c, "[data-test=revoke-reason]", "平板丢失").await;
    type_into(&c, "[data-test=revoke-password]", PASSWORD).await;
    click(&c, "[data-test=revoke-confirm]").await;
    shows(&c, "已吊销").await;
    shows(&c, "平板丢失").await;
    // Each of the administrator's acts is on the log under the day's id, proven to anyone:
    // the account opened (not the one refused), the code issued, the tablet revoked.
    let url = bureau.url.clone();
    let logged = tokio::task::spawn_blocking(move || admin_entries(&url, &first_day))
        .await
        .unwrap();
    assert_eq!(logged, 3, "the administration acts on the log");

    // The people's keys made on it are revoked with it: the people page says whose.
    c.goto(&format!("{}/console/people", bureau.url))
        .await
        .unwrap();
    shows(&c, "人员与证书").await;
    let with_revoked = eventually("a person with a revoked key", WAIT, || async {
        let rows = c
            .execute(
                "return [...document.querySelectorAll('[data-test=people-table] tbody tr.el-table__row')]
                   .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))",
                vec![],
            )
            .await
            .ok()?;
        rows.as_array()?.iter().position(|r| {
            r.get(6)
                .and_then(|v| v.as_str())
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > 0)
        })
    })
    .await
    .unwrap();
    c.execute(
        "document.querySelectorAll('[data-test=people-table] tbody tr.el-table__row')[arguments[0]]
           .querySelector('.el-table__expand-icon').click()",
        vec![serde_json::json!(with_revoked)],
    )
    .await
    .unwrap();
    shows(&c, "所在设备").await;
    let states = c
        .execute(
            "return [...document.querySelectorAll('[data-test=key-state]')].map(e => e.innerText.trim())",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        states.as_array().unwrap().iter().any(|s| s == "已吊销"),
        "{states}"
    );
    snapshot(&c, "console-people.png").await;

    // The administration acts as the log holds them, each read back, on the logs page.
    c.goto(&format!("{}/console/logs", bureau.url))
        .await
        .unwrap();
    shows(&c, "管理操作（已上链）").await;
    c.execute(
        "[...document.querySelectorAll('.el-tabs__item')].find(t => t.innerText.includes('管理操作')).click()",
        vec![],
    )
    .await
    .unwrap();
    for what in ["新建控制台账号", "签发设备注册码", "吊销设备", "平板丢失"] {
        shows(&c, what).await;
    }

    // 刘建国 opens his link: he enrols the authenticator shown, chooses his own password,
    // and is signed in as himself.
    c.goto(&link).await.unwrap();
    shows(&c, "激活控制台账号").await;
    let secret = text_once(&c, "[data-test=activate-secret]", |t| !t.is_empty()).await;
    shows(&c, "刘建国（中队长），登录名 liu").await;
    type_into(&c, "[data-test=activate-password]", PASSWORD).await;
    type_into(&c, "[data-test=activate-again]", PASSWORD).await;
    snapshot(&c, "console-activate.png").await;
    type_into(&c, "[data-test=activate-code]", &code_now(&secret)).await;
    click(&c, "[data-test=activate-submit]").await;
    shows(&c, "一中队的案件").await;
    let who = text_once(&c, "[data-test=account-name]", |t| !t.is_empty()).await;
    assert_eq!(who, "刘建国");

    c.close().await.unwrap();

    // The tablet syncs next: refused, and told why.
    let refused = run_cli(bureau.dir.path(), &["sync"], &[]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a revoked tablet synced");
    assert!(said.contains("吊销"), "{said}");
}

/// The administrator imports the city's edited catalogue: the page shows what it changes before
/// anything is signed, one that drops a type a case uses is refused, the import is on the log,
/// and the tablet takes the new catalogue at its next sync (once).
#[tokio::test(flavor = "multi_thread")]
async fn an_edited_catalogue_is_previewed_imported_and_taken_by_the_tablet() {
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let first_day = todays_admin_id();
    let dir = bureau.dir.path();
    let held = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&cli(dir, &["catalogue", "--json"], &[])).unwrap()
    };
    // The city's edit of the catalogue in force: the version raised, a type renamed, a
    // domain added.
    let mut catalogue = held(dir);
    let version = catalogue["version"].as_u64().unwrap() + 1;
    catalogue["version"] = version.into();
    let renamed = &mut catalogue["domains"][0]["violations"][0];
    let was = renamed["name"].as_str().unwrap().to_owned();
    renamed["name"] = "改名后的违法行为".into();
    let greening = serde_json::json!({"code": "greening", "name": "园林绿化", "violations": [
        {"code": "greening.tree_felling", "name": "擅自砍伐城市树木"}]});
    catalogue["domains"]
        .as_array_mut()
        .unwrap()
        .push(greening.clone());
    let files = tempfile::tempdir().unwrap();
    let edited = files.path().join("catalogue.json");
    std::fs::write(&edited, serde_json::to_vec_pretty(&catalogue).unwrap()).unwrap();
    // One that keeps none of the types the demo's cases are about.
    let dropping = files.path().join("dropping.json");
    let only_greening = serde_json::json!({"version": version, "domains": [greening]});
    std::fs::write(&dropping, only_greening.to_string()).unwrap();

    let (_chrome, c) = signed_in(
        &bureau,
        ("wu", "吴敏"),
        ("administrator", &[]),
        "bureau-files",
    )
    .await;
    shows(&c, "文书固定用语").await;
    shows(&c, "内置文件").await;
    let input = c
        .find(Locator::Css("[data-test=bureau-file-catalogue]"))
        .await
        .unwrap();
    input.send_keys(dropping.to_str().unwrap()).await.unwrap();
    shows(&c, "违法行为类型只能新增或修改，不能删除").await;
    input.send_keys(edited.to_str().unwrap()).await.unwrap();
    let preview = text_once(&c, "[data-test=bureau-preview-catalogue]", |t| {
        t.contains("园林绿化")
    })
    .await;
    assert!(
        preview.contains(&format!("名称：{was} → 改名后的违法行为")),
        "{preview}"
    );
    assert!(preview.contains("擅自砍伐城市树木"), "{preview}");
    c.execute(
        "document.querySelector('[data-test=bureau-from-to-catalogue]').scrollIntoView({block: 'start'})",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "console-bureau-files.png").await;
    click(&c, "[data-test=bureau-import-catalogue]").await;
    type_into(&c, "[data-test=bureau-password]", PASSWORD).await;
    click(&c, "[data-test=bureau-confirm]").await;
    let summary = text_once(&c, "[data-test=bureau-summary-catalogue]", |t| {
        !t.is_empty()
    })
    .await;
    assert!(
        summary.starts_with(&format!("更新权责清单 第 {version} 版（SHA-256 ")),
        "{summary}"
    );
    assert!(
        summary.contains("新增 2 项，删除 0 项，修改 1 项"),
        "{summary}"
    );
    // The page shows the new file in force, and who imported it.
    text_once(&c, "[data-test=bureau-source-catalogue]", |t| {
        t.contains("wu")
    })
    .await;
    let url = bureau.url.clone();
    let logged = tokio::task::spawn_blocking(move || admin_entries(&url, &first_day))
        .await
        .unwrap();
    assert_eq!(logged, 1, "the import on the log");

    // The tablet takes it at its next sync, and only then; the devices page says so.
    c.goto(&format!("{}/console/devices", bureau.url))
        .await
        .unwrap();
    shows(&c, "权责清单待同步").await;
    let synced = cli(dir, &["sync"], &[]);
    assert!(
        synced.contains(&format!("已按基站更新权责清单（第 {version} 版）")),
        "{synced}"
    );
    assert_eq!(held(dir)["version"], version);
    assert!(held(dir)["domains"].to_string().contains("园林绿化"));
    // The tablet told the station at once what it took; it is not sent again.
    c.refresh().await.unwrap();
    shows(&c, "权责清单已取用").await;
    c.close().await.unwrap();
    let again = cli(dir, &["sync"], &[]);
    assert!(!again.contains("已按基站更新"), "{again}");
}

/// The session an answer began, as a script keeps it: the cookie to send back, and the CSRF
/// token.
fn session_of(answer: reqwest::blocking::Response) -> (String, String) {
    let cookie = answer.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let body: serde_json::Value = answer.json().unwrap();
    (cookie, body["csrf"].as_str().unwrap().to_owned())
}

/// The id today's administration acts name on the log (`admin-YYYYMMDD`).
fn todays_admin_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    qc_domain::admin::log_id(qc_domain::Timestamp(now.as_millis() as i64))
}

/// How many administration entries the station at `url` proves from the day `first_day` to
/// today (a test run may cross midnight in Beijing).
fn admin_entries(url: &str, first_day: &str) -> usize {
    let mut days = vec![first_day.to_owned(), todays_admin_id()];
    days.dedup();
    days.iter()
        .map(|day| {
            let logged: serde_json::Value = client()
                .get(format!("{url}/v1/cases/{day}/log"))
                .send()
                .unwrap()
                .json()
                .unwrap();
            logged["entries"].as_array().map_or(0, Vec::len)
        })
        .sum()
}

/// The text of the element `css` once it is there and `good` takes it, trimmed.
async fn text_once(c: &Client, css: &str, good: impl Fn(&str) -> bool) -> String {
    let found = eventually(css, WAIT, || async {
        let t = c.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        let t = t.trim();
        good(t).then(|| t.to_owned())
    })
    .await;
    match found {
        Ok(t) => t,
        Err(e) => panic!("{e}; the page shows: {}", text(c).await),
    }
}

/// The administrator fills the 账号 page's form for 刘建国, leader of 一中队, under `login`,
/// confirms with their own password and makes it.
async fn open_account(c: &Client, login: &str) {
    type_into(c, "[data-test=account-login]", login).await;
    click(c, "[data-test=role-squad_leader]").await;
    type_into(c, "[data-test=account-squads]", "一中队").await;
    // The person from the list of the bureau's people: its option shows once the list opens.
    click(c, "[data-test=account-person]").await;
    let picked = eventually("刘建国 in the list", WAIT, || async {
        let v = c
            .execute(
                "const o = [...document.querySelectorAll(\"[data-test='person-liu.jianguo']\")].pop();
                 if (!o) return false; o.click(); return true;",
                vec![],
            )
            .await
            .ok()?;
        (v == serde_json::json!(true)).then_some(())
    })
    .await;
    assert!(picked.is_ok(), "no 刘建国 to pick: {}", text(c).await);
    type_into(c, "[data-test=account-confirm]", PASSWORD).await;
    click(c, "[data-test=account-make]").await;
}

/// The file under `dir` whose name is `hash` (hex), however the evidence store lays it out.
fn stored_file(dir: &Path, hash: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = stored_file(&path, hash) {
                return Some(found);
            }
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(hash))
        {
            return Some(path);
        }
    }
    None
}

/// A questioning's recording plays on its case page: the player reads its length, seeks near
/// the end, and the station served that part alone (its operation log says which bytes: past
/// the first two pieces a player reads in turn, so only a seek asked for it); the player's
/// address answers ranges exactly, and nothing without its token.
async fn plays_a_recording_seeking_by_ranges(c: &Client, bureau: &Bureau) {
    let (case, wav) = bureau.record_questioning();
    let hash = hex::encode(sha256(&[wav.as_slice()]));
    c.goto(&format!("{}/console/cases/{case}", bureau.url))
        .await
        .unwrap();
    shows(c, "卷内目录").await;
    c.execute(
        "const row = [...document.querySelectorAll('[data-test=case-evidence] tbody tr')]
           .find(tr => tr.innerText.includes('wav'));
         row.querySelector('[data-test=play-file]').click();",
        vec![],
    )
    .await
    .unwrap();
    let duration = eventually("the recording's length", WAIT, || async {
        let v = c
            .execute(
                "const p = document.querySelector('[data-test=player]');
                 return p && p.readyState >= 1 ? p.duration : null;",
                vec![],
            )
            .await
            .ok()?;
        v.as_f64()
    })
    .await
    .unwrap();
    assert!((duration - 180.0).abs() < 0.5, "duration {duration}");
    // Seek to 2:30, as a person drags the slider: the player asks for the part it needs.
    let seeked = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const p = document.querySelector('[data-test=player]');
             p.addEventListener('seeked', () => done(p.currentTime), { once: true });
             p.addEventListener('error', () => done('error ' + p.error.code), { once: true });
             p.currentTime = 150;",
            vec![],
        )
        .await
        .unwrap();
    let at = seeked
        .as_f64()
        .unwrap_or_else(|| panic!("seeking: {seeked}"));
    assert!((at - 150.0).abs() < 0.5, "the player is at {at}");
    let playable = eventually("sound at 2:30", WAIT, || async {
        let v = c
            .execute(
                "const p = document.querySelector('[data-test=player]');
                 return !p.error && p.readyState >= 2 && !document.querySelector('[data-test=play-error]');",
                vec![],
            )
            .await
            .ok()?;
        (v == serde_json::json!(true)).then_some(())
    })
    .await;
    assert!(playable.is_ok(), "the player has no data at 2:30");
    snapshot(c, "console-recording.png").await;

    // The station read the recording from the middle: its operation log names the bytes.
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const csrf = sessionStorage.getItem('qc-console-csrf');
         fetch('/console/api/logs?kind=operation&limit=500', {{ headers: {{ 'x-csrf-token': csrf }} }})
           .then(r => r.json())
           .then(l => done(l.entries.map(e => e.what).filter(w => w.includes('{}'))), e => done(String(e)));",
        &hash[..12]
    );
    let reads = c.execute_async(&script, vec![]).await.unwrap();
    let starts: Vec<u64> = reads
        .as_array()
        .unwrap_or_else(|| panic!("the log: {reads}"))
        .iter()
        .filter_map(|w| {
            let w = w.as_str()?;
            let from = w.split("（第 ").nth(1)?;
            from.split('–').next()?.parse().ok()
        })
        .collect();
    // 2:00 is 10.6 MB in: past the first answer's 8 MiB, which a paused player does not read on
    // from.
    let past = 44 + 120 * 88_200;
    assert!(
        starts.iter().any(|&s| s > past),
        "no read from past 2:00 in {reads}"
    );

    // The address as a script uses it: a range exactly, nothing past the end, nothing with
    // another token.
    let size = wav.len();
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const p = document.querySelector('[data-test=player]');
         const src = p.getAttribute('src');
         (async () => {{
           const part = await fetch(src, {{ headers: {{ Range: 'bytes=70000-70099' }} }});
           const bytes = [...new Uint8Array(await part.arrayBuffer())];
           const past = await fetch(src, {{ headers: {{ Range: 'bytes={size}-' }} }});
           const forged = await fetch(src.slice(0, src.lastIndexOf('/')) + '/00', {{ headers: {{ Range: 'bytes=0-9' }} }});
           const head = await fetch(src, {{ method: 'HEAD', headers: {{ Range: 'bytes=0-9' }} }});
           return [part.status, part.headers.get('content-range'), bytes, past.status,
                   past.headers.get('content-range'), forged.status, head.status,
                   head.headers.get('content-length')];
         }})().then(done, e => done(String(e)));"
    );
    let answers = c.execute_async(&script, vec![]).await.unwrap();
    let expected: Vec<u8> = wav[70_000..70_100].to_vec();
    assert_eq!(answers[0], 206, "{answers}");
    assert_eq!(answers[1], format!("bytes 70000-70099/{size}"), "{answers}");
    assert_eq!(
        answers[2],
        serde_json::json!(expected),
        "the bytes of the range"
    );
    assert_eq!(answers[3], 416, "{answers}");
    assert_eq!(answers[4], format!("bytes */{size}"), "{answers}");
    assert_eq!(answers[5], 403, "another token: {answers}");
    // Ranges are a GET's: a HEAD with one answers for the whole file.
    assert_eq!(answers[6], 200, "{answers}");
    assert_eq!(answers[7], size.to_string(), "{answers}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_page_shows_its_record_verified_and_red_once_a_stored_file_is_changed() {
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let (_chrome, c) = signed_in(&bureau, ("zhou", "周文"), ("head", &[]), "cases").await;
    shows(&c, "共 19 件").await;

    // A case with a photo.
    let [id, hash] = case_with_file(&c, "image/jpeg").await;

    // Opened from the list, as a person does: the record verifies.
    c.goto(&format!("{}/console/cases/{id}", bureau.url))
        .await
        .unwrap();
    shows(&c, "全过程记录核验通过").await;
    shows(&c, "卷内目录").await;
    assert_eq!(record_intact(&c).await.as_deref(), Some("true"));
    snapshot(&c, "console-case.png").await;
    // The head exports the case file, signing with their password: the file saved is a
    // bundle that the command-line verifier, given only the bureau's key, finds whole.
    click(&c, "[data-test=export-case]").await;
    fill(&c, "export-password", "not the password").await;
    click(&c, "[data-test=export-confirm]").await;
    shows(&c, "密码不正确，未签名，也未作任何更改").await;
    exports_a_verified_bundle(&c, &bureau).await;

    // The photo opens, fetched through the console's API.
    click(&c, "[data-test=open-file]").await;
    let decoded = eventually("the photo shown", WAIT, || async {
        let v = c
            .execute(
                "const i = document.querySelector('[data-test=photo]');
                 return !!i && i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:');",
                vec![],
            )
            .await
            .ok()?;
        (v == serde_json::json!(true)).then_some(())
    })
    .await;
    assert!(decoded.is_ok(), "the photo did not show");

    // An issued document opens in the browser's own PDF viewer, fetched through the API.
    let [doc_case, _] = case_with_file(&c, "application/pdf").await;
    c.goto(&format!("{}/console/cases/{doc_case}", bureau.url))
        .await
        .unwrap();
    shows(&c, "卷内目录").await;
    c.execute(
        "window.__blobs = new Map();
         const keep = URL.createObjectURL.bind(URL);
         URL.createObjectURL = (b) => { const u = keep(b); window.__blobs.set(u, b); return u; };
         const row = [...document.querySelectorAll('[data-test=case-evidence] tbody tr')]
           .find(tr => tr.innerText.includes('application/pdf'));
         row.querySelector('[data-test=open-file]').click();",
        vec![],
    )
    .await
    .unwrap();
    let pdf = eventually("the document shown", WAIT, || async {
        let v = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const f = document.querySelector('[data-test=pdf-preview]');
                 const b = f && window.__blobs.get(f.src);
                 if (!b) { done(null); return; }
                 b.arrayBuffer().then(a => done(String.fromCharCode(...new Uint8Array(a).slice(0, 5))));",
                vec![],
            )
            .await
            .ok()?;
        v.as_str().map(str::to_owned)
    })
    .await
    .unwrap();
    assert_eq!(pdf, "%PDF-", "the viewer holds the issued PDF");
    snapshot(&c, "console-document.png").await;

    plays_a_recording_seeking_by_ranges(&c, &bureau).await;

    // A byte of the stored photo changed behind the station's back: checked again, red.
    let file = stored_file(&bureau.dir.path().join("station"), &hash)
        .unwrap_or_else(|| panic!("no stored file for {hash}"));
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    c.goto(&format!("{}/console/cases/{id}", bureau.url))
        .await
        .unwrap();
    shows(&c, "全过程记录核验发现问题").await;
    shows(&c, &format!("证据文件 {} 缺失或被替换", &hash[..12])).await;
    shows(&c, "缺失或损坏").await;
    assert_eq!(record_intact(&c).await.as_deref(), Some("false"));
    snapshot(&c, "console-case-broken.png").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_case_file_is_reviewed_at_the_desk_and_its_squad_reads_the_comments() {
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let (chrome, c) = signed_in(
        &bureau,
        ("sun.li", "孙丽"),
        ("legal_reviewer", &[]),
        "cases",
    )
    .await;
    // A closed case, found as a script would (the page's own call, with its token).
    let [id, squad] = found_in_page(
        &c,
        "const done = arguments[arguments.length - 1];
             const csrf = sessionStorage.getItem('qc-console-csrf');
             fetch('/console/api/cases?status=closed&limit=200', { headers: { 'x-csrf-token': csrf } })
               .then((r) => r.json())
               .then((l) => done(l.cases.length ? [l.cases[0].id, l.cases[0].squad] : null), (e) => done(String(e)));",
        )
        .await;
    c.goto(&format!("{}/console/cases/{id}", bureau.url))
        .await
        .unwrap();
    shows(&c, "尚未评查").await;
    click(&c, "[data-test=review-case]").await;
    shows(&c, "案卷评查（签名提交）").await;
    // Points taken off without a reason: the station refuses, in Chinese.
    fill(&c, "score-evidence", "16").await;
    fill(&c, "review-opinion", REVIEW_OPINION).await;
    fill(&c, "review-password", PASSWORD).await;
    shows(&c, "96 分").await;
    click(&c, "[data-test=review-confirm]").await;
    shows(&c, "“证据确凿充分”扣分须写明理由").await;
    fill(&c, "reason-evidence", REVIEW_REASON).await;
    fill(&c, "review-password", PASSWORD).await;
    click(&c, "[data-test=review-confirm]").await;
    shows(&c, "评查已签名提交：96 分，优秀").await;
    // The review is a signed act of the case: the record still verifies with it, and the
    // case file exported now carries it and verifies whole.
    shows(&c, "孙丽 于").await;
    shows(&c, &format!("评查意见：{REVIEW_OPINION}")).await;
    assert_eq!(record_intact(&c).await.as_deref(), Some("true"));
    c.execute(
        "document.querySelector('[data-test=review]').scrollIntoView({ block: 'end' })",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "console-review.png").await;
    click(&c, "[data-test=export-case]").await;
    exports_a_verified_bundle(&c, &bureau).await;
    c.close().await.unwrap();
    drop(chrome);

    // The squad's leader reads the comments, and cannot review.
    let page = format!("cases/{id}");
    let leader = ("squad_leader", &[squad.as_str()][..]);
    let (_chrome, c) = signed_in(&bureau, ("liu", "刘建国"), leader, &page).await;
    shows(&c, REVIEW_REASON).await;
    shows(&c, &format!("评查意见：{REVIEW_OPINION}")).await;
    assert!(
        c.find(Locator::Css("[data-test=review-case]"))
            .await
            .is_err(),
        "a squad leader may not review"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn anyone_reads_the_published_results_with_their_history_without_signing_in() {
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let listed: serde_json::Value =
        serde_json::from_str(&cli(bureau.dir.path(), &["case", "list", "--json"], &[])).unwrap();
    let disclosed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "disclosed")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .expect("the demo has a disclosed case");
    let chrome = Chrome::start().unwrap();
    let c = chrome.session().await.unwrap();
    c.goto(&format!("{}/console/disclosures", bureau.url))
        .await
        .unwrap();
    shows(&c, "行政处罚结果公开").await;
    shows(&c, &disclosed).await;
    shows(&c, "共 1 件").await;

    // The head records that a court revoked the decision and corrects what was published;
    // the tablet syncs; the page shows the history, the first text struck through.
    let head = [("QUANCHENG_PIN", "159357")];
    cli(
        bureau.dir.path(),
        &[
            "act",
            "revoke",
            &disclosed,
            "--officer",
            "zhou.wen",
            "--authority",
            "某区人民法院",
            "--reason",
            "认定事实不清",
        ],
        &head,
    );
    cli(
        bureau.dir.path(),
        &[
            "act",
            "correct-disclosure",
            &disclosed,
            "--officer",
            "zhou.wen",
            "--explanation",
            "原处罚决定已被人民法院判决撤销",
            "--text",
            "该行政处罚决定已撤销。",
        ],
        &head,
    );
    cli(bureau.dir.path(), &["sync"], &[]);
    c.refresh().await.unwrap();
    shows(&c, "经某区人民法院撤销：认定事实不清").await;
    shows(&c, "更正后内容：该行政处罚决定已撤销。").await;
    let struck = c
        .execute(
            "return document.querySelector('[data-test=published-text]').classList.contains('superseded')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(struck, serde_json::json!(true));
    snapshot(&c, "console-disclosures.png").await;
    c.close().await.unwrap();

    // The same list for a script, without a session.
    let url = format!("{}/console/api/public/disclosures", bureau.url);
    let list: serde_json::Value =
        tokio::task::spawn_blocking(move || client().get(url).send().unwrap().json().unwrap())
            .await
            .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["results"][0]["case_id"], disclosed.as_str());
    assert_eq!(
        list["results"][0]["corrected"]["text"],
        "该行政处罚决定已撤销。"
    );
}

/// A register as a bureau's spreadsheet exports it: twelve shops, and one line without an id.
fn register_csv() -> String {
    let mut csv = String::from("\u{feff}统一社会信用代码,名称,地址,类别\n");
    for i in 0..12 {
        csv.push_str(&format!(
            "91650102MA{i:04}X,商户{i}号,解放南路{i}号,沿街商户\n"
        ));
    }
    csv.push_str(",无编号商户,解放南路99号,沿街商户\n");
    csv
}

/// SHA-256 of the parts, one after another.
fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The RFC 6962 root of `leaves` (leaf hashes), written here from the RFC, not the station's
/// code.
fn rfc6962_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha256(&[]),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            sha256(&[
                &[1],
                &rfc6962_root(&leaves[..k]),
                &rfc6962_root(&leaves[k..]),
            ])
        }
    }
}

/// The C2SP tlog-tiles path element of index `n`: groups of three digits, all but the last
/// prefixed with `x`.
fn tile_index(n: u64) -> String {
    let digits = format!("{n:03}");
    let pad = (3 - digits.len() % 3) % 3;
    let digits = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = (0..digits.len() / 3)
        .map(|i| &digits[i * 3..i * 3 + 3])
        .collect();
    let (last, rest) = groups.split_last().unwrap();
    rest.iter()
        .map(|g| format!("x{g}/"))
        .chain([last.to_string()])
        .collect()
}

/// A published draw worked out again by an outsider from docs/random-inspection.md alone:
/// the plan and result files the public page links, the log's checkpoint and entry bundles.
/// Returns the tasks it finds (target id, inspector ids); it asserts the result agrees.
fn draw_recomputed(url: &str, id: &str) -> Vec<(String, Vec<String>)> {
    let http = client();
    let get = |path: &str| {
        let res = http.get(format!("{url}{path}")).send().unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.bytes().unwrap().to_vec()
    };
    let plan_bytes = get(&format!("/console/api/public/draws/{id}/plan.json"));
    let plan: serde_json::Value = serde_json::from_slice(&plan_bytes).unwrap();
    let result: serde_json::Value =
        serde_json::from_slice(&get(&format!("/console/api/public/draws/{id}/result.json")))
            .unwrap();
    let plan_digest = sha256(&[&plan_bytes]);
    assert_eq!(
        result["plan"],
        hex::encode(plan_digest),
        "the result names the plan"
    );

    // The seeding tree's root, from the log's entry bundles (leaves are entry hashes).
    let checkpoint = String::from_utf8(get("/v1/log/checkpoint")).unwrap();
    let log_size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    let seed_size = result["seed_size"].as_u64().unwrap();
    assert!(seed_size <= log_size);
    let (mut entries, mut leaves) = (Vec::new(), Vec::new());
    for n in 0..seed_size.div_ceil(256) {
        let partial = if n == log_size / 256 && !log_size.is_multiple_of(256) {
            format!(".p/{}", log_size % 256)
        } else {
            String::new()
        };
        let bundle = get(&format!("/v1/log/tile/entries/{}{partial}", tile_index(n)));
        let mut rest = &bundle[..];
        while let [a, b, tail @ ..] = rest {
            let len = usize::from(u16::from_be_bytes([*a, *b]));
            entries.push(tail[..len].to_vec());
            leaves.push(sha256(&[&[0], &tail[..len]]));
            rest = &tail[len..];
        }
    }
    let root = rfc6962_root(&leaves[..seed_size as usize]);
    assert_eq!(
        result["root"],
        hex::encode(root),
        "the seed is the log's tree"
    );
    // The draw's first entry (its plan) is the leaf just before the one after it.
    let logged: serde_json::Value =
        serde_json::from_slice(&get(&format!("/v1/cases/{id}/log"))).unwrap();
    let first = &logged["entries"][0];
    assert_eq!(first["receipt"]["index"].as_u64(), Some(seed_size - 2));
    let hash: Vec<u8> = first["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(
        hash,
        entries[seed_size as usize - 2],
        "the plan's entry is that leaf"
    );

    // The draw itself.
    let seed = sha256(&[b"quancheng-draw-seed\0", &plan_digest, &root]);
    let rank = |label: &[u8], names: &[&str]| {
        let mut parts: Vec<&[u8]> = vec![&seed, label];
        for n in names {
            parts.extend([n.as_bytes(), &[0u8][..]]);
        }
        sha256(&parts)
    };
    let ids = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut targets = ids(&plan["targets"]);
    targets.sort_by_key(|t| (rank(b"target\0", &[t]), t.clone()));
    targets.truncate(plan["count"].as_u64().unwrap() as usize);
    let inspectors = ids(&plan["inspectors"]);
    let mut load = vec![0u32; inspectors.len()];
    let tasks: Vec<(String, Vec<String>)> = targets
        .into_iter()
        .map(|t| {
            let mut order: Vec<(u32, [u8; 32], usize)> = (0..inspectors.len())
                .map(|i| (load[i], rank(b"inspector\0", &[&t, &inspectors[i]]), i))
                .collect();
            order.sort();
            let two: Vec<usize> = order[..2].iter().map(|o| o.2).collect();
            two.iter().for_each(|&i| load[i] += 1);
            (t, two.iter().map(|&i| inspectors[i].clone()).collect())
        })
        .collect();
    let published: Vec<(String, Vec<String>)> = result["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let who = t["inspectors"].as_array().unwrap();
            (
                t["target"].as_str().unwrap().to_owned(),
                who.iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(published, tasks, "the draw is what the rule gives");
    tasks
}

#[tokio::test(flavor = "multi_thread")]
async fn the_head_draws_targets_and_inspectors_that_an_outsider_draws_again_from_what_is_published()
{
    let _one = ONE_BROWSER.lock().await;
    let bureau = Bureau::start();
    let (_chrome, c) = signed_in(&bureau, ("zhou", "周文"), ("head", &[]), "draws").await;
    shows(&c, "暂无抽查").await;
    let register = bureau.dir.path().join("名录.csv");
    std::fs::write(&register, register_csv()).unwrap();

    // The plan: the register read and looked over, four targets, every officer in the pool.
    click(&c, "[data-test=plan-draw]").await;
    fill(&c, "draw-title-input", "2026年第四季度沿街商户市容秩序抽查").await;
    c.find(Locator::Css("[data-test=register-file]"))
        .await
        .unwrap()
        .send_keys(register.to_str().unwrap())
        .await
        .unwrap();
    shows(&c, "读取到 12 个检查对象（UTF-8 编码），1 行未导入").await;
    shows(&c, "第 14 行：").await;
    fill(&c, "draw-count", "4").await;
    fill(&c, "plan-password", PASSWORD).await;
    click(&c, "[data-test=plan-confirm]").await;
    shows(&c, "已签名上链").await;
    shows(&c, "等待种子").await;
    let disabled = c
        .find(Locator::Css("[data-test=make-draw]"))
        .await
        .unwrap()
        .attr("disabled")
        .await
        .unwrap();
    assert!(
        disabled.is_some(),
        "no draw before the log moves past the plan"
    );
    // Nor is the plan public yet: known early, whoever writes the next entry could steer the
    // seed.
    let public = found_in_page(
        &c,
        "const done = arguments[arguments.length - 1];
         fetch('/console/api/public/draws').then((r) => r.json())
           .then((l) => done([String(l.draws.length), '']), (e) => done(String(e)));",
    )
    .await;
    assert_eq!(
        public[0], "0",
        "a plan waiting for its seed is not published"
    );

    // A tablet's work reaches the log: the tree after the plan is there, the draw can be made.
    let dir = bureau.dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        register_case(&dir, "抽查后新登记", "巡查发现");
        cli(&dir, &["sync"], &[]);
    })
    .await
    .unwrap();
    click(&c, "[data-test=refresh]").await;
    shows(&c, "可抽取").await;
    click(&c, "[data-test=make-draw]").await;
    fill(&c, "draw-password", PASSWORD).await;
    click(&c, "[data-test=draw-confirm]").await;
    shows(&c, "已抽取 4 个检查对象").await;

    // An outsider, from the published files and the log alone, draws the same.
    let id = found_in_page(
        &c,
        "const done = arguments[arguments.length - 1];
         fetch('/console/api/public/draws').then((r) => r.json())
           .then((l) => done([l.draws[0].id, l.draws[0].tasks[0].inspectors.map((i) => `${i.name}（${i.squad}）`).join('、')]),
                 (e) => done(String(e)));",
    )
    .await;
    let url = bureau.url.clone();
    let draw = id[0].clone();
    let tasks = tokio::task::spawn_blocking(move || draw_recomputed(&url, &draw))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 4);
    // The tablet's next sync brings the tasks of its people (the demo tablet holds the keys
    // of several officers), as its command line lists them.
    let dir = bureau.dir.path().to_owned();
    let expected = tasks.clone();
    tokio::task::spawn_blocking(move || {
        cli(&dir, &["sync"], &[]);
        let people: serde_json::Value =
            serde_json::from_str(&cli(&dir, &["people", "--json"], &[])).unwrap();
        let ours: Vec<&str> = people
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        let held: serde_json::Value =
            serde_json::from_str(&cli(&dir, &["tasks", "--json"], &[])).unwrap();
        let held: Vec<(String, Vec<String>)> = held
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let who = t["inspectors"].as_array().unwrap();
                (
                    t["target"]["id"].as_str().unwrap().to_owned(),
                    who.iter()
                        .map(|i| i["id"].as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect();
        let want: Vec<(String, Vec<String>)> = expected
            .into_iter()
            .filter(|(_, who)| who.iter().any(|i| ours.contains(&i.as_str())))
            .collect();
        // Six inspectors for eight places: every one is drawn, the tablet's among them.
        assert!(!want.is_empty(), "the demo tablet's officers are drawn");
        assert_eq!(held, want, "the tablet holds its people's tasks");
    })
    .await
    .unwrap();
    c.execute(
        "document.querySelector('[data-test=draws-table] .el-table__expand-icon').click()",
        vec![],
    )
    .await
    .unwrap();
    shows(&c, &tasks[0].0).await;
    shows(&c, &id[1]).await;
    // What the first inspection found, recorded by the head and published.
    click(&c, "[data-test=report-task]").await;
    fill(&c, "report-note", INSPECTION_NOTE).await;
    fill(&c, "report-password", PASSWORD).await;
    click(&c, "[data-test=report-confirm]").await;
    shows(&c, "检查结果已签名公开").await;
    shows(&c, INSPECTION_NOTE).await;
    // The notices have said their piece; the picture shows the page.
    c.execute(
        "document.querySelectorAll('.el-message').forEach((m) => m.remove())",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "console-draws.png").await;

    // Published for anyone, without signing in.
    c.goto(&format!("{}/console/disclosures", bureau.url))
        .await
        .unwrap();
    shows(&c, "双随机抽查结果").await;
    shows(&c, "2026年第四季度沿街商户市容秩序抽查").await;
    shows(&c, &format!("未发现问题：{INSPECTION_NOTE}")).await;
    c.close().await.unwrap();
}
