//! The real app window under Xvfb, driven through tauri-driver and WebKitWebDriver.

// Test helpers unwrap like the tests themselves: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, Locator};
use qc_api::{DataDir, OsEntropy, Quancheng, SystemClock, demo};
use qc_tests::{Display, Driver, app_binary, eventually, snapshot};

const WAIT: Duration = Duration::from_secs(40);

fn demo_dir(root: &Path) -> DataDir {
    let dir = DataDir::new(root.join("data"));
    Quancheng::init(
        &dir,
        &demo::demo_people(),
        Arc::new(SystemClock),
        Box::new(OsEntropy),
    )
    .unwrap();
    let mut app = Quancheng::open(&dir, Arc::new(SystemClock), Box::new(OsEntropy)).unwrap();
    demo::load(&mut app).unwrap();
    dir
}

/// A base station on the demo data under `root`. It runs in this process on its own runtime:
/// started (and later stopped) off the test's.
async fn demo_station(root: std::path::PathBuf) -> qc_tests::station::Bureau {
    tokio::task::spawn_blocking(move || {
        let b = qc_tests::station::Bureau::start(&root).unwrap();
        demo::load(&mut b.app().unwrap()).unwrap();
        b
    })
    .await
    .unwrap()
}

async fn cards(c: &Client) -> usize {
    c.find_all(Locator::Css(".case-card"))
        .await
        .map_or(0, |v| v.len())
}

/// Taps an element, waiting for it first (the window may still be rendering).
async fn click(c: &Client, css: &str) {
    tap(c, css, css).await;
}

/// The page's rendered text. (WebKitWebDriver's element text leaves out text that is clipped
/// with an ellipsis, such as titles; innerText keeps it.)
async fn body_text(c: &Client) -> String {
    c.execute("return document.body.innerText", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The sign-in screen's alert, or nothing.
async fn alert_text(c: &Client) -> String {
    match c.find(Locator::Css("[role=alert]")).await {
        Ok(el) => el.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Opens the list's `nth` filter menu (unless its options already show) and chooses `option`.
/// The menus animate open and shut, so it looks again until the option can be tapped.
async fn choose(c: &Client, nth: usize, option: &str) {
    let title = format!(".van-dropdown-menu__item:nth-child({nth})");
    let shown = || async {
        match c.find(Locator::Css(option)).await {
            Ok(o) => o.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    };
    let chosen = || async {
        let class = c
            .find(Locator::Css(option))
            .await
            .ok()?
            .attr("class")
            .await
            .ok()??;
        class
            .contains("van-dropdown-item__option--active")
            .then_some(())
    };
    // A tap while the menu still slides open can land beside the option (the page is slow on
    // a busy machine): tap only once the option stands still, and again if it was not chosen.
    for _ in 0..3 {
        let last = std::cell::Cell::new(None);
        eventually(option, WAIT, || async {
            if shown().await {
                let o = c.find(Locator::Css(option)).await.ok()?;
                let at = o.rectangle().await.ok()?;
                if last.replace(Some(at)) != Some(at) {
                    return None;
                }
                o.click().await.ok()
            } else {
                last.set(None);
                let menu = c.find(Locator::Css(&title)).await.ok()?;
                menu.click().await.ok()?;
                None
            }
        })
        .await
        .unwrap();
        // Shut before anything else is tapped (a menu still closing swallows taps).
        eventually("the menu shut", WAIT, || async {
            (!shown().await).then_some(())
        })
        .await
        .unwrap();
        if eventually("the option chosen", Duration::from_secs(3), chosen)
            .await
            .is_ok()
        {
            return;
        }
    }
    panic!("{option} was not chosen in three tries");
}

/// Waits until the page's text holds every one of `texts`; returns the page's text then.
async fn shows(c: &Client, texts: &[&str]) -> String {
    match eventually(&texts.join(" + "), WAIT, || async {
        let t = body_text(c).await;
        texts.iter().all(|x| t.contains(x)).then_some(t)
    })
    .await
    {
        Ok(t) => t,
        Err(e) => panic!("{e}\npage text:\n{}", body_text(c).await),
    }
}

/// Waits until the element `css` shows a text that `ok` accepts; returns that text.
async fn text_where(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    eventually(css, WAIT, || async {
        let t = c.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        ok(&t).then_some(t)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Script that finds the evidence item whose text holds `what` as `i`.
fn find_item(what: &str) -> String {
    format!(
        "const i = [...document.querySelectorAll('.evidence .item')].find(e => e.innerText.includes({}));",
        serde_json::to_string(what).unwrap()
    )
}

/// The text of the evidence item whose text holds `what`, once `ok`.
async fn item_where(c: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let js = format!("{} return i ? i.innerText : ''", find_item(what));
    eventually(what, WAIT, || async {
        let t = c.execute(&js, vec![]).await.ok()?;
        let t = t.as_str()?.to_owned();
        ok(&t).then_some(t)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The evidence item whose text holds `what`, once two officers have sealed it: its text.
async fn sealed_item(c: &Client, what: &str) -> String {
    item_where(c, what, |t| t.contains("已由两名执法人员签名确认")).await
}

/// The recording banner's text once `kb` KiB or more are written, failing on a recorder's error.
async fn recording_banner(c: &Client, kb: u64) -> String {
    eventually("a few seconds recorded", WAIT, || async {
        if let Ok(error) = c.find(Locator::Css(".recording-error")).await {
            panic!(
                "recording failed: {}",
                error.text().await.unwrap_or_default()
            );
        }
        let t = c
            .find(Locator::Css("[data-test=recording]"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let held: u64 = t.split("已写入 ").nth(1)?.split(' ').next()?.parse().ok()?;
        (held >= kb).then_some(t)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Plays the player's `media` (`audio` or `video`) until it is past `seconds`. A recorder's MP4
/// comes in fragments and names no length: the player learns it as it plays.
async fn plays_past(c: &Client, media: &str, seconds: f64) {
    let js = format!(
        "const a = document.querySelector('.player {media}');
         if (!a) return 0;
         if (a.error) return -a.error.code;
         if (a.paused && !a.ended) a.play();
         return a.currentTime;"
    );
    eventually(
        "the recording played past its first seconds",
        WAIT,
        || async {
            let t = c.execute(&js, vec![]).await.ok()?.as_f64()?;
            assert!(t >= 0.0, "the recording does not play: MediaError {}", -t);
            (t > seconds).then_some(())
        },
    )
    .await
    .unwrap();
}

/// Runs `then` (script, with the item as `i`) on the evidence item whose text holds `what`.
async fn in_item(c: &Client, what: &str, then: &str) {
    let js = format!("{} {then}", find_item(what));
    c.execute(&js, vec![]).await.unwrap();
}

/// The text of the first row of footage in the case's timeline that is `ok`.
async fn footage_row(c: &Client, ok: impl Fn(&str) -> bool) -> String {
    eventually("the footage in the timeline", WAIT, || async {
        let rows = c
            .execute(
                "return [...document.querySelectorAll('.timeline .footage')].map(r => r.innerText)",
                vec![],
            )
            .await
            .ok()?;
        let rows: Vec<String> = serde_json::from_value(rows).ok()?;
        rows.into_iter().find(|r| ok(r))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Plays the evidence item whose text holds `what`.
async fn play_item(c: &Client, what: &str) {
    in_item(c, what, "i.querySelector('.play').click()").await;
}

/// What the evidence panel says is chosen to capture, once `ok` (read by script: WebKit's
/// driver reads no text of a line cut short with an ellipsis).
async fn chosen(c: &Client, ok: impl Fn(&str) -> bool) -> String {
    eventually("the file chosen", WAIT, || async {
        let t = c
            .execute(
                "const e = document.querySelector('.evidence .chosen'); return e ? e.innerText : ''",
                vec![],
            )
            .await
            .ok()?;
        let t = t.as_str()?.to_owned();
        ok(&t).then_some(t)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Writes `text` in the case's review panel and taps its `button`.
async fn decide(c: &Client, text: &str, button: &str) {
    type_into(c, "the review panel", ".review textarea", text).await;
    click(c, &format!(".review {button}")).await;
}

/// One of the few windows allowed open at once, kept by the test that holds it.
type WindowSlot = tokio::sync::OwnedSemaphorePermit;

/// The app's window on a virtual tablet screen of 1280×800, the app run with `env`; the screen,
/// the driver and the window live as long as the caller keeps them (and go in reverse order),
/// and so does the slot that lets it open.
async fn open_window(env: &[(&str, &Path)]) -> (Display, Driver, Client, WindowSlot) {
    open_window_taking(env, 1).await
}

/// [`open_window`] with the machine to itself: rendering documents in the app keeps a core
/// busy for seconds at a time, which starves a second window's WebKit past its waits.
async fn open_window_alone(env: &[(&str, &Path)]) -> (Display, Driver, Client, WindowSlot) {
    open_window_taking(env, 2).await
}

async fn open_window_taking(
    env: &[(&str, &Path)],
    slots: u32,
) -> (Display, Driver, Client, WindowSlot) {
    // Two windows at a time: more, on a 2-core machine, starve WebKit until the waits time out.
    static SLOTS: std::sync::LazyLock<Arc<tokio::sync::Semaphore>> =
        std::sync::LazyLock::new(|| Arc::new(tokio::sync::Semaphore::new(2)));
    let slot = SLOTS.clone().acquire_many_owned(slots).await.unwrap();
    let display = Display::start(1280, 800).expect("virtual display");
    let driver = Driver::start(&display, env).expect("tauri-driver");
    let c = driver.launch(&app_binary().unwrap()).await.unwrap();
    c.set_window_size(1280, 800).await.unwrap();
    (display, driver, c, slot)
}

/// Waits for an element, then taps it.
async fn tap(c: &Client, what: &str, css: &str) {
    // Again if the window re-rendered it meanwhile.
    eventually(what, WAIT, || async {
        let el = c.find(Locator::Css(css)).await.ok()?;
        el.click().await.ok().map(drop)
    })
    .await
    .unwrap();
}

/// Waits for a field, then types into it.
async fn type_into(c: &Client, what: &str, css: &str, text: &str) {
    eventually(what, WAIT, || async {
        c.find(Locator::Css(css)).await.ok()
    })
    .await
    .unwrap()
    .send_keys(text)
    .await
    .unwrap();
}

/// Signs `person` in on the sign-in screen with their demo PIN.
async fn sign_in(c: &Client, person: &str) {
    let pin = qc_tests::station::pin(person);
    // The screen may still be rendering: find and tap until the PIN field shows.
    let field = eventually("the sign-in screen", WAIT, || async {
        let card = c
            .find(Locator::Css(&format!("[data-person='{person}']")))
            .await
            .ok()?;
        card.click().await.ok()?;
        c.find(Locator::Css("input.pin")).await.ok()
    })
    .await
    .unwrap();
    field.send_keys(&pin).await.unwrap();
    click(c, ".pin-form button").await;
}

/// Draws a signature on the pad (`css` names its canvas) with the mouse, as a finger would.
async fn draw_signature(c: &Client, css: &str) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let pad = c.find(Locator::Css(css)).await.unwrap();
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'})",
        vec![serde_json::to_value(&pad).unwrap()],
    )
    .await
    .unwrap();
    let stroke = MouseActions::new("pen".into())
        .then(PointerAction::MoveToElement {
            element: pad,
            duration: None,
            x: -150.0,
            y: 10.0,
        })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::MoveBy {
            duration: None,
            x: 50.0,
            y: -30.0,
        })
        .then(PointerAction::MoveBy {
            duration: None,
            x: 60.0,
            y: 40.0,
        })
        .then(PointerAction::MoveBy {
            duration: None,
            x: 70.0,
            y: -20.0,
        })
        .then(PointerAction::Up { button: 0 });
    c.perform_actions(stroke).await.unwrap();
}

/// Finds the one demo case whose card holds `query` (searching for it) and opens it; `title`
/// is its violation type, on the card.
async fn open_case(c: &Client, query: &str, title: &str) {
    eventually("the case list", WAIT, || async {
        (cards(c).await == 18).then_some(())
    })
    .await
    .unwrap();
    type_into(c, "the search field", ".van-search input", query).await;
    let js = format!(
        "const all = document.querySelectorAll('.case-card');
         const c = all.length === 1 && all[0].innerText.includes({}) && all[0];
         if (c) c.click(); return !!c",
        serde_json::to_string(title).unwrap()
    );
    eventually(title, WAIT, || async {
        c.execute(&js, vec![]).await.ok()?.as_bool()?.then_some(())
    })
    .await
    .unwrap();
    shows(c, &["办案进度", title]).await;
}

/// Brings the element `css` into the middle of the window (for a screenshot of it).
async fn scroll_to(c: &Client, css: &str) {
    let js = format!(
        "const e = document.querySelector({}); if (e) e.scrollIntoView({{block: 'center'}}); return !!e",
        serde_json::to_string(css).unwrap()
    );
    eventually(css, WAIT, || async {
        c.execute(&js, vec![]).await.ok()?.as_bool()?.then_some(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_shows_the_demo_cases_from_the_encrypted_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(tmp.path());
    // 李明's own cases (registered or investigated by him), as the store counts them.
    let mine = Quancheng::open(&dir, Arc::new(SystemClock), Box::new(OsEntropy))
        .unwrap()
        .count_cases(&qc_store::CaseFilter {
            person: Some("li.ming".into()),
            ..Default::default()
        })
        .unwrap();
    assert!((1..18).contains(&mine), "{mine}");
    let (_display, _driver, c, _slot) = open_window(&[("QUANCHENG_DATA", dir.root())]).await;
    shows(&c, &["李明"]).await;
    snapshot(&c, "sign-in.png").await;

    // Wrong PINs are counted: the fifth locks 赵强's key, and then even his right PIN is refused.
    tap(&c, "赵强", "[data-person='zhao.qiang']").await;
    for pin in ["000000", "000001", "000002", "000003", "000004", "369147"] {
        let before = alert_text(&c).await;
        type_into(&c, "input.pin", "input.pin", pin).await;
        click(&c, ".pin-form button").await;
        eventually("the next refusal", WAIT, || async {
            let now = alert_text(&c).await;
            (!now.is_empty() && (now != before || now.contains("已锁定至"))).then_some(())
        })
        .await
        .unwrap();
        let said = alert_text(&c).await;
        let tries: usize = pin[5..].parse().unwrap_or(9);
        let expected = match tries {
            0..=3 => format!("PIN 错误，还可尝试{}次", 4 - tries),
            _ => "PIN 错误次数过多，已锁定至".to_owned(),
        };
        assert!(said.contains(&expected), "after PIN {pin}: {said}");
    }
    assert!(cards(&c).await == 0, "a locked key signed in");
    sign_in(&c, "li.ming").await;

    let n = eventually("18 case cards", WAIT, || async {
        let n = cards(&c).await;
        (n == 18).then_some(n)
    })
    .await;
    let text = body_text(&c).await;
    snapshot(&c, "case-list.png").await;
    assert_eq!(n.unwrap_or_else(|e| panic!("{e}\npage text:\n{text}")), 18);
    for expected in [
        "全程 · 案件",
        "露天烧烤",
        "违法建设",
        "户外无照经营",
        "共 18 件 / 本机 18 件",
        "已逾期",
    ] {
        assert!(text.contains(expected), "window lacks {expected}:\n{text}");
    }

    // The overdue chip lists exactly the overdue cases.
    click(&c, ".todo-overdue").await;
    let overdue = eventually("only overdue cards", WAIT, || async {
        let all = cards(&c).await;
        // A deadline met late stays listed as overdue (逾期办理).
        let badged = c
            .find_all(Locator::Css(
                ".case-card .deadline[data-urgency=overdue], .case-card .deadline[data-urgency=late]",
            ))
            .await
            .map_or(0, |v| v.len());
        (all > 0 && all < 18 && all == badged).then_some(all)
    })
    .await
    .unwrap();
    assert!(
        body_text(&c)
            .await
            .contains(&format!("已逾期 {overdue} 件"))
    );
    click(&c, ".todo-overdue").await;
    eventually("all cards again", WAIT, || async {
        (cards(&c).await == 18).then_some(())
    })
    .await
    .unwrap();

    // "My cases" shows only his.
    choose(
        &c,
        5,
        ".filter-scope .van-dropdown-item__option:nth-child(3)",
    )
    .await;
    eventually("only my cases", WAIT, || async {
        (cards(&c).await as u64 == mine && body_text(&c).await.contains(&format!("共 {mine} 件")))
            .then_some(())
    })
    .await
    .unwrap();
    choose(
        &c,
        5,
        ".filter-scope .van-dropdown-item__option:nth-child(1)",
    )
    .await;
    eventually("all cards again", WAIT, || async {
        (cards(&c).await == 18).then_some(())
    })
    .await
    .unwrap();

    // Searching narrows the list, through the real command and store.
    let search = c.find(Locator::Css(".van-search input")).await.unwrap();
    search.send_keys("幸福小区").await.unwrap();
    eventually("one matching card", WAIT, || async {
        (cards(&c).await == 1).then_some(())
    })
    .await
    .unwrap();
    assert!(body_text(&c).await.contains("违法建设"));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_officers_photograph_evidence_with_the_tablet_camera() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(tmp.path());
    // A body camera's folder on a USB drive, as the file dialog will be said to have chosen: two
    // clips that say when and where they were recorded, and a file that is no evidence.
    let camera = tmp.path().join("DCIM");
    std::fs::create_dir(&camera).unwrap();
    for name in ["CAM0001.MP4", "CAM0002.MP4"] {
        // 2026-11-30 08:15:00 UTC, 洛阳.
        let mut clip =
            qc_evidence::sample::body_camera_clip(3 << 20, 1_796_026_500, (34.6197, 112.454));
        let mut file = std::fs::File::create(camera.join(name)).unwrap();
        std::io::copy(&mut clip, &mut file).unwrap();
    }
    std::fs::write(camera.join("notes.txt"), "not evidence").unwrap();
    // And a recording, to play back.
    std::fs::write(
        camera.join("REC0001.WAV"),
        qc_evidence::sample::tone_wav(60, 44_100),
    )
    .unwrap();
    // WebKit's synthetic camera stands in for the tablet's: the same capture path, frames made up.
    let (_display, _driver, c, _slot) = open_window(&[
        ("QUANCHENG_DATA", dir.root()),
        ("QUANCHENG_MOCK_CAMERA", Path::new("1")),
        ("QUANCHENG_PICK_FILES", &camera),
    ])
    .await;
    sign_in(&c, "li.ming").await;
    click(&c, ".tab-people").await;
    sign_in(&c, "wang.fang").await;
    click(&c, ".tab-cases").await;
    type_into(&c, "the search field", ".van-search input", "幸福小区").await;
    eventually("the case under investigation", WAIT, || async {
        (cards(&c).await == 1).then_some(())
    })
    .await
    .unwrap();
    click(&c, ".case-card").await;
    tap(&c, "the camera button", ".take-photo").await;
    // The shutter opens once the camera delivers frames. A tap that landed while the case view
    // was still settling opened nothing: tapped again after a while with no camera view.
    let tapped = std::cell::Cell::new(std::time::Instant::now());
    let live = eventually("the live camera", WAIT, || async {
        if let Ok(shutter) = c.find(Locator::Css(".shutter")).await {
            return shutter.is_enabled().await.ok()?.then_some(());
        }
        if let Ok(error) = c.find(Locator::Css(".camera-error")).await {
            panic!(
                "the camera failed: {}",
                error.text().await.unwrap_or_default()
            );
        }
        if tapped.get().elapsed() > Duration::from_secs(5)
            && let Ok(button) = c.find(Locator::Css(".take-photo")).await
            && button.click().await.is_ok()
        {
            tapped.set(std::time::Instant::now());
        }
        None
    })
    .await;
    if let Err(e) = live {
        panic!("{e}; the window shows: {}", body_text(&c).await);
    }
    snapshot(&c, "camera.png").await;
    click(&c, ".shutter").await;
    let name = chosen(&c, |t| t.starts_with("IMG_")).await;
    type_into(
        &c,
        "input.description",
        "input.description",
        "楼顶彩钢板房全景",
    )
    .await;
    click(&c, ".capture .add").await;
    // The case already holds the investigation's photos: find the new one.
    let item = format!(
        "[...document.querySelectorAll('.evidence .item')].find(e => e.innerText.includes({}))",
        serde_json::to_string(name.trim()).unwrap()
    );
    let sealed = sealed_item(&c, name.trim()).await;
    assert!(sealed.contains("楼顶彩钢板房全景"), "{sealed}");
    // Its thumbnail was made from the JPEG the camera produced; tapping it shows the photo
    // itself, full size, as the camera took it.
    eventually("the thumbnail", WAIT, || async {
        let js = format!("const i = {item}; const t = i && i.querySelector('img.thumb'); if (t) t.click(); return !!t");
        c.execute(&js, vec![]).await.ok()?.as_bool()?.then_some(())
    })
    .await
    .unwrap();
    let width = eventually("the full photo", WAIT, || async {
        let w = c
            .execute(
                "const img = document.querySelector('.full-view img.full');
                 return img && img.complete ? img.naturalWidth : 0;",
                vec![],
            )
            .await
            .ok()?
            .as_u64()?;
        (w > 0).then_some(w)
    })
    .await
    .unwrap();
    assert_eq!(width, 1920);
    click(&c, ".full-view").await;
    assert!(body_text(&c).await.contains("完整、未被篡改"));

    // The body camera's folder, imported by path: each clip one item, sealed by the two, with
    // the time and place the camera recorded; the file that is no evidence is said and left.
    tap(&c, "the folder button", ".pick-folder").await;
    chosen(&c, |t| t == "已选择 4 个文件：CAM0001.MP4 等").await;
    type_into(
        &c,
        "input.description",
        "input.description",
        "执法记录仪视频",
    )
    .await;
    click(&c, ".capture .add").await;
    let said = text_where(&c, "[data-test=imported]", |t| t.contains("已导入")).await;
    assert!(said.contains("已导入 3 个文件"), "{said}");
    assert!(said.contains("notes.txt："), "{said}");
    let clips = eventually("the two clips, sealed", WAIT, || async {
        let t = c
            .execute(
                "return [...document.querySelectorAll('.evidence .item')]
                   .filter(e => e.innerText.includes('CAM000'))
                   .map(e => e.innerText)",
                vec![],
            )
            .await
            .ok()?;
        let t: Vec<String> = serde_json::from_value(t).ok()?;
        (t.len() == 2).then_some(t)
    })
    .await
    .unwrap();
    for clip in &clips {
        for said in [
            "已由两名执法人员签名确认",
            "拍摄于 2026:11:30 16:15:00",
            "拍摄位置 34.61970, 112.45400",
        ] {
            assert!(clip.contains(said), "{said}: {clip}");
        }
    }
    c.execute(
        "document.querySelector('[data-test=imported]').scrollIntoView({ block: 'end' })",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "evidence-import.png").await;
    // A path the officer did not choose in the dialog is not imported, whatever the page asks.
    let refused = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('import_evidence', { form: { case: 'x',
               paths: ['/etc/hostname'], description: '', attestation: null, redacts: null },
               progress: '__CHANNEL__:4242' })
               .then(() => done('imported'), (e) => done(JSON.stringify(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        refused
            .as_str()
            .unwrap()
            .contains("只能导入在文件选择框中选择的文件"),
        "{refused}"
    );

    // The recording plays from the encrypted store, by range, and seeks.
    play_item(&c, "REC0001.WAV").await;
    let duration = eventually("the recording's length", WAIT, || async {
        let d = c
            .execute(
                "const a = document.querySelector('.player audio');
                 if (a && a.error) return -a.error.code;
                 return a && a.readyState >= 1 ? a.duration : 0;",
                vec![],
            )
            .await
            .ok()?
            .as_f64()?;
        assert!(d >= 0.0, "the player failed: MediaError {}", -d);
        (d > 0.0).then_some(d)
    })
    .await
    .unwrap();
    assert!((duration - 60.0).abs() < 0.5, "{duration}");
    let at = eventually("the seek", WAIT, || async {
        let t = c
            .execute(
                "const a = document.querySelector('.player audio');
                 if (!a.dataset.sought) { a.dataset.sought = '1'; a.currentTime = 45; }
                 return !a.seeking && !a.error ? a.currentTime : 0;",
                vec![],
            )
            .await
            .ok()?
            .as_f64()?;
        (t >= 45.0).then_some(t)
    })
    .await
    .unwrap();
    assert!(at < 60.0, "{at}");
    snapshot(&c, "evidence-play.png").await;
    // And plays on from there to its end (more than one answer's worth of bytes past the seek).
    eventually("the end of the recording", WAIT, || async {
        c.execute(
            "const a = document.querySelector('.player audio');
             if (a.error) throw new Error('MediaError ' + a.error.code);
             a.playbackRate = 4; if (a.paused && !a.ended) a.play();
             return a.ended && a.currentTime > 59.5;",
            vec![],
        )
        .await
        .ok()?
        .as_bool()?
        .then_some(())
    })
    .await
    .unwrap();
    click(&c, ".close-player").await;

    // The questioning of the party, recorded as it goes (询问同步录音) from WebKit's synthetic
    // microphone: the party is told, a banner across the window says it records, each second
    // is written to the tablet's disk; stopped, it is one evidence item naming the transcript.
    type_into(
        &c,
        "the interviewee",
        ".transcript input.interviewee",
        "赵强",
    )
    .await;
    click(&c, ".transcript input.rights").await;
    click(&c, ".transcript .start-questioning").await;
    tap(&c, "the recorder", ".transcript .told-box").await;
    click(&c, ".transcript .start-recording").await;
    let banner = recording_banner(&c, 16).await;
    assert!(banner.contains("正在录音"), "{banner}");
    assert!(banner.contains("停止并保存"), "{banner}");
    type_into(
        &c,
        "the question",
        ".transcript input.question",
        "你是否是该彩钢板房的搭建人？",
    )
    .await;
    type_into(
        &c,
        "the answer",
        ".transcript input.answer",
        "是的，是我搭的。",
    )
    .await;
    click(&c, ".transcript .add-qa").await;
    text_where(&c, ".transcript", |t| t.contains("是的，是我搭的。")).await;
    snapshot(&c, "questioning-recording.png").await;
    click(&c, ".stop-recording").await;
    let recorded = text_where(&c, ".transcript .recorded", |t| t.contains("同步录音")).await;
    assert!(recorded.contains("（00:"), "seconds, not more: {recorded}");
    let item = sealed_item(&c, "询问赵强同步录音").await;
    assert!(item.contains("记录：询问笔录（赵强）"), "{item}");
    assert!(item.contains(".m4a"), "{item}");
    // What the window recorded plays back from the encrypted store.
    play_item(&c, "询问赵强同步录音").await;
    plays_past(&c, "audio", 1.5).await;
    click(&c, ".close-player").await;
    // The whole-process record shows the recording beside the acts, at its time.
    let row = footage_row(&c, |t| t.contains("询问赵强同步录音")).await;
    assert!(row.contains("录音 · 询问赵强同步录音"), "{row}");

    // The scene filmed with the tablet's camera (WebKit's synthetic one), the party told: the
    // banner says it films, each second is written, and the clip, sealed by the two, plays back
    // with its pictures.
    type_into(
        &c,
        "input.description",
        ".capture input.description",
        "违建现场录像",
    )
    .await;
    let recorder = ".capture .recorder[data-kind=video]";
    tap(&c, "the video recorder", &format!("{recorder} .told-box")).await;
    click(&c, &format!("{recorder} .start-recording")).await;
    let banner = recording_banner(&c, 64).await;
    assert!(banner.contains("正在录像"), "{banner}");
    snapshot(&c, "video-recording.png").await;
    click(&c, ".stop-recording").await;
    let item = sealed_item(&c, "违建现场录像").await;
    assert!(item.contains(".mp4"), "{item}");
    play_item(&c, "违建现场录像").await;
    plays_past(&c, "video", 1.5).await;
    let width = c
        .execute(
            "return document.querySelector('.player video').videoWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(width.as_u64().unwrap_or(0) > 0, "no pictures: {width}");
    snapshot(&c, "video-play.png").await;
    click(&c, ".close-player").await;

    // A clip of the body camera imported before filmed the questioning too: an officer ticks
    // that act and signs (关联执法记录); the clip's facts stay, the timeline says what it records.
    in_item(&c, "CAM0001.MP4", "i.querySelector('.link').click()").await;
    item_where(&c, "CAM0001.MP4", |t| t.contains("询问笔录（赵强）")).await;
    in_item(&c, "CAM0001.MP4", "i.scrollIntoView({ block: 'center' })").await;
    snapshot(&c, "footage-link.png").await;
    in_item(
        &c,
        "CAM0001.MP4",
        "[...i.querySelectorAll('.link-act')].find(l => l.innerText.includes('询问笔录（赵强）')).querySelector('input').click();
         i.querySelector('.link-confirm').click()",
    )
    .await;
    let linked = item_where(&c, "CAM0001.MP4", |t| t.contains("关联执法记录：")).await;
    assert!(
        linked.contains("关联执法记录：询问笔录（赵强）（王芳 确认）")
            || linked.contains("关联执法记录：询问笔录（赵强）（李明 确认）"),
        "{linked}"
    );
    assert!(linked.contains("拍摄于 2026:11:30 16:15:00"), "{linked}");
    footage_row(&c, |r| {
        r.contains("执法记录仪视频") && r.contains("记录：询问笔录（赵强）")
    })
    .await;

    // The two preserve the steel sheds' materials: the notice, the party's refusal noted, sealed;
    // the case now owes a decision within 7 days.
    type_into(&c, "the notice form", ".notices .item-name", "彩钢板").await;
    type_into(&c, ".item-quantity", ".notices .item-quantity", "30张").await;
    type_into(&c, ".kept-at", ".notices .kept-at", "中队暂扣物品仓库").await;
    click(&c, ".issue-notice").await;
    type_into(
        &c,
        "the sign-off",
        ".notices .refusal-note",
        "当事人拒绝签名",
    )
    .await;
    click(&c, ".notices .note-refusal").await;
    tap(&c, "the seal button", ".seal-notice").await;
    let sealed = text_where(&c, ".notices", |t| t.contains("已封存")).await;
    assert!(sealed.contains("彩钢板 30张"), "{sealed}");
    let record = body_text(&c).await;
    assert!(record.contains("证据先行登记保存"), "{record}");
    assert!(record.contains("完整、未被篡改"), "{record}");
    c.execute(
        "document.querySelector('.notices').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "notice.png").await;
    // The demo's case already has a notice of its own, issued five days before: its deadline
    // is listed before the case's row is read again, so the new one is waited for by its date.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let week = qc_domain::Timestamp(now.as_millis() as i64 + 7 * 86_400_000);
    let due = format!("先行登记保存处理：{}", &week.display_china()[..10]);
    text_where(&c, ".deadlines", |t| t.contains(&due)).await;

    // A page that goes away while it records (reloaded here; a crashed web process is reloaded
    // too) leaves what was written: the app lets go of the recording, and the page offers it
    // among those left, to be kept as evidence with a note of how it ended.
    // The party was told already (the box stays ticked for the questioning).
    click(&c, ".transcript .start-recording").await;
    recording_banner(&c, 16).await;
    c.refresh().await.unwrap();
    let left = text_where(&c, "[data-test=recordings-left]", |t| t.contains("录音")).await;
    assert!(left.contains("询问"), "{left}");
    click(&c, "[data-test=recordings-left] .keep-recording").await;
    eventually("the recording kept", WAIT, || async {
        let gone = c
            .find(Locator::Css("[data-test=recordings-left]"))
            .await
            .is_err();
        gone.then_some(())
    })
    .await
    .unwrap();
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_database_key_is_explained_in_chinese_in_the_window() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(tmp.path());
    let wrong_key = tmp.path().join("wrong.key");
    std::fs::write(&wrong_key, "ab".repeat(32)).unwrap();
    let before = std::fs::read(dir.db_path()).unwrap();
    let (_display, driver, c, _slot) = open_window(&[
        ("QUANCHENG_DATA", dir.root()),
        ("QUANCHENG_KEY_FILE", &wrong_key),
    ])
    .await;
    let alert = eventually("the error message", WAIT, || async {
        let el = c.find(Locator::Css("[role=alert]")).await.ok()?;
        el.text().await.ok()
    })
    .await
    .unwrap();
    assert!(alert.contains("密钥错误或文件已损坏"), "{alert}");
    assert!(alert.contains("重试"));
    c.close().await.unwrap();
    drop(driver);
    assert_eq!(
        std::fs::read(dir.db_path()).unwrap(),
        before,
        "the file was changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sync_screen_syncs_with_a_real_local_station_and_shows_what_moved() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let bureau = demo_station(root).await;
    let entries = bureau.app().unwrap().ledger_len().unwrap();
    let (_display, driver, c, _slot) = open_window(&[("QUANCHENG_DATA", &bureau.dir)]).await;
    sign_in(&c, "li.ming").await;
    eventually("the case list, unsynced", WAIT, || async {
        (cards(&c).await == 18 && body_text(&c).await.contains("未同步")).then_some(())
    })
    .await
    .unwrap();

    click(&c, ".tab-sync").await;
    let waiting = shows(&c, &["待上传"]).await;
    assert!(
        waiting.contains(&format!("{entries} 条签名记录")),
        "{waiting}"
    );
    click(&c, "button.start").await;
    let done = eventually("the sync report", WAIT, || async {
        let el = c.find(Locator::Css("[role=status]")).await.ok()?;
        el.text().await.ok()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(done.contains("同步完成"), "{done}");
    assert!(
        done.contains(&format!(
            "上传 {entries} 条记录，收到并核验 {entries} 份回执"
        )),
        "{done}"
    );
    let text = body_text(&c).await;
    assert!(text.contains("本机记录均已上传基站"), "{text}");
    snapshot(&c, "sync.png").await;

    // Back on the list, nothing was lost and nothing is marked unsynced any more.
    click(&c, ".tab-cases").await;
    eventually("the case list again, all synced", WAIT, || async {
        (cards(&c).await == 18 && !body_text(&c).await.contains("未同步")).then_some(())
    })
    .await
    .unwrap();
    c.close().await.unwrap();
    drop(driver);
    tokio::task::spawn_blocking(move || drop(bureau))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_signs_in_registers_a_case_and_reads_its_verified_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    Quancheng::init(
        &dir,
        &demo::demo_people(),
        Arc::new(SystemClock),
        Box::new(OsEntropy),
    )
    .unwrap();
    // What the platform's file dialog will be said to have chosen.
    let photo = tmp.path().join("IMG_0001.jpg");
    let (_display, _driver, c, _slot) = open_window(&[
        ("QUANCHENG_DATA", dir.root()),
        ("QUANCHENG_PICK_FILES", &photo),
    ])
    .await;

    // A wrong PIN is refused in plain words; the right one signs in.
    tap(&c, "the sign-in screen", "[data-person='li.ming']").await;
    type_into(&c, "input.pin", "input.pin", "000000").await;
    click(&c, ".pin-form button").await;
    let refused = eventually("the refusal", WAIT, || async {
        let el = c.find(Locator::Css("[role=alert]")).await.ok()?;
        el.text().await.ok().filter(|t| !t.is_empty())
    })
    .await
    .unwrap();
    assert!(refused.contains("PIN"), "{refused}");
    type_into(
        &c,
        "input.pin",
        "input.pin",
        &qc_tests::station::pin("li.ming"),
    )
    .await;
    click(&c, ".pin-form button").await;

    // Register a case from the list.
    tap(&c, "the empty case list", ".new-case").await;
    let select = eventually("the violation types", WAIT, || async {
        let s = c.find(Locator::Css("select.violation")).await.ok()?;
        let n = c
            .find_all(Locator::Css("select.violation option"))
            .await
            .ok()?
            .len();
        (n > 1).then_some(s)
    })
    .await
    .unwrap();
    select
        .select_by_value("transport.road_occupation")
        .await
        .unwrap();
    for (css, text) in [
        ("input.address", "景华路88号门前"),
        ("input.grid", "JX-02-04"),
        ("textarea.summary", "店外占用人行道堆放货物"),
    ] {
        c.find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    snapshot(&c, "new-case.png").await;
    click(&c, "form .submit").await;

    // The new case opens with its whole-process record, verified.
    let record = shows(&c, &["完整、未被篡改", "案件登记"]).await;
    assert!(record.contains("签名：李明"), "{record}");
    assert!(record.contains("景华路88号门前"), "{record}");
    snapshot(&c, "case-record.png").await;

    // The case file is exported as a bundle (a signed act), which verifies offline.
    click(&c, ".export-button").await;
    let path = eventually("the exported file", WAIT, || async {
        let el = c.find(Locator::Css(".exported")).await.ok()?;
        let t = el.text().await.ok()?;
        t.split_once('：').map(|(_, p)| p.trim().to_owned())
    })
    .await
    .unwrap();
    let (contents, integrity) =
        qc_bundle::read(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    let report = qc_bundle::verify(&contents, &integrity, None, None);
    assert!(report.is_clean(), "{:?}", report.problems);
    assert!(body_text(&c).await.contains("导出案卷"));
    let first_export = path;

    // Back on the list, the case is there.
    click(&c, ".van-nav-bar__left").await;
    eventually("one case card", WAIT, || async {
        (cards(&c).await == 1).then_some(())
    })
    .await
    .unwrap();

    // The squad leader takes over the tablet: his queue shows the case; he approves filing and
    // assigns 李明 and 王芳 to investigate. Each decision is a signed act on the record.
    click(&c, ".tab-people").await;
    // English on request, and back.
    tap(&c, "the language switch", ".language").await;
    shows(&c, &["Sign out"]).await;
    click(&c, ".language").await;
    shows(&c, &["签退"]).await;
    tap(&c, "the sign-out button", "[data-sign-out='li.ming']").await;
    sign_in(&c, "liu.jianguo").await;
    click(&c, ".tab-cases").await;
    tap(&c, "the leader's queue", ".todo-mine").await;
    eventually("the case awaiting approval", WAIT, || async {
        (cards(&c).await == 1).then_some(())
    })
    .await
    .unwrap();
    click(&c, ".case-card").await;
    // He first sends it back with comments; 李明 sees them, verifies and asks again.
    decide(&c, "请补充现场照片后再提请", ".return").await;
    shows(&c, &["刘建国 退回意见：", "请补充现场照片后再提请"]).await;
    let switch_to = |person: &'static str, from: &'static str| {
        let c = &c;
        async move {
            click(c, ".van-nav-bar__left").await;
            click(c, ".tab-people").await;
            tap(
                c,
                "the sign-out button",
                &format!("[data-sign-out='{from}']"),
            )
            .await;
            sign_in(c, person).await;
            click(c, ".tab-cases").await;
            tap(c, "the case card", ".case-card").await;
        }
    };
    switch_to("li.ming", "liu.jianguo").await;
    shows(&c, &["刘建国 退回意见："]).await;
    snapshot(&c, "returned.png").await;
    decide(&c, "已补充核查现场", ".resubmit").await;
    shows(&c, &["重新提请立案"]).await;
    switch_to("liu.jianguo", "li.ming").await;
    tap(&c, "the approve button", ".approve").await;
    for member in ["li.ming", "wang.fang"] {
        tap(&c, "the team choice", &format!("[data-member='{member}']")).await;
    }
    click(&c, ".review .start").await;
    let record = eventually("the leader's signed acts", WAIT, || async {
        let t = body_text(&c).await;
        (t.contains("签名：刘建国") && t.contains("调查取证") && !t.contains("开始调查取证"))
            .then_some(t)
    })
    .await
    .unwrap();
    assert!(record.contains("完整、未被篡改"), "{record}");
    snapshot(&c, "review.png").await;

    // 李明 imports the camera's photo of the scene (chosen in the file dialog, read by the app
    // from its path); it awaits a second officer until 王芳 co-signs it.
    std::fs::write(&photo, qc_evidence::sample::camera_photo(800, 600)).unwrap();
    switch_to("li.ming", "liu.jianguo").await;
    tap(&c, "the evidence panel", ".pick-files").await;
    chosen(&c, |t| t == "IMG_0001.jpg").await;
    type_into(
        &c,
        "input.description",
        "input.description",
        "店外堆放的货物",
    )
    .await;
    click(&c, ".capture .add").await;
    let awaiting = eventually("the photo awaiting a second officer", WAIT, || async {
        let el = c.find(Locator::Css(".item.awaiting")).await.ok()?;
        el.text().await.ok()
    })
    .await
    .unwrap();
    assert!(awaiting.contains("待第二名执法人员签名"), "{awaiting}");
    switch_to("wang.fang", "li.ming").await;
    tap(&c, "the co-sign button", ".cosign").await;
    let sealed = shows(&c, &["已由两名执法人员签名确认", "签名：李明、王芳"]).await;
    assert!(sealed.contains("完整、未被篡改"), "{sealed}");
    // Where the camera says it was taken, from its EXIF.
    assert!(sealed.contains("拍摄位置 "), "{sealed}");
    snapshot(&c, "evidence.png").await;

    // 李明 signs in beside 王芳: the two inspect on site, the party refuses to sign, and the
    // record is sealed.
    click(&c, ".van-nav-bar__left").await;
    click(&c, ".tab-people").await;
    sign_in(&c, "li.ming").await;
    click(&c, ".tab-cases").await;
    tap(&c, "the case card", ".case-card").await;
    tap(&c, "the start button", ".start-inspection").await;
    type_into(
        &c,
        "the inspection form",
        "textarea.found-input",
        "店外占用人行道堆放货物约3平方米，当事人在场",
    )
    .await;
    c.find(Locator::Css("select.outcome"))
        .await
        .unwrap()
        .select_by_value("management")
        .await
        .unwrap();
    // The party attended (a sign-off must agree with attendance: present, so a refusal).
    eventually("the attendance box", WAIT, || async {
        let js = "const b = document.querySelector('.inspection input.present');
                  if (b && !b.checked) b.click(); return !!b && b.checked";
        c.execute(js, vec![]).await.ok()?.as_bool()?.then_some(())
    })
    .await
    .unwrap();
    type_into(
        &c,
        "input.refusal-note",
        "input.refusal-note",
        "当事人拒绝签名，现场无见证人",
    )
    .await;
    click(&c, ".note-refusal").await;
    shows(&c, &["已注明当事人拒签"]).await;
    click(&c, ".inspection .seal").await;
    let inspected = shows(&c, &["已封存，不可再修改"]).await;
    assert!(
        inspected.contains("店外占用人行道堆放货物约3平方米"),
        "{inspected}"
    );
    assert!(inspected.contains("完整、未被篡改"), "{inspected}");
    c.execute(
        "document.querySelector('.inspection').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "inspection.png").await;

    // The two question the party; the transcript runs to two pages, each signed on the pad.
    type_into(&c, "input.interviewee", "input.interviewee", "张三").await;
    click(&c, "input.rights").await;
    click(&c, ".start-questioning").await;
    for (page, (q, a)) in [
        ("1", ("你是否是该店经营者？", "是的。")),
        ("2", ("店外货物是否为你所放？", "是，临时放一下。")),
    ] {
        type_into(&c, "the question field", "input.question", q).await;
        type_into(&c, "input.answer", "input.answer", a).await;
        click(&c, ".add-qa").await;
        shows(&c, &[&format!("被询问人在第 {page} 页签名")]).await;
        draw_signature(&c, ".close-page canvas").await;
        click(&c, ".sign-page").await;
        eventually("the page signed", WAIT, || async {
            let t = body_text(&c).await;
            (t.matches("被询问人已签名").count() == page.parse::<usize>().ok()?).then_some(())
        })
        .await
        .unwrap();
    }
    click(&c, ".seal-transcript").await;
    let transcript = text_where(&c, ".transcript", |t| t.contains("已封存")).await;
    assert!(transcript.contains("第 2 页"), "{transcript}");
    assert!(body_text(&c).await.contains("完整、未被篡改"));
    c.execute(
        "document.querySelector('.transcript').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    snapshot(&c, "transcript.png").await;

    // The two conclude the investigation and give the party the prior notice (告知): 从轻, a
    // fine within the catalogue's standard for that level; the party waives the statement.
    decide(&c, "当事人占道堆放货物事实清楚", ".conclude").await;
    shows(&c, &["调查终结 · "]).await;
    tap(
        &c,
        "the lighter level",
        ".notify-panel [data-level=lighter]",
    )
    .await;
    tap(&c, "the fine", ".notify-panel [data-penalty=fine]").await;
    type_into(&c, "the fine amount", ".notify-panel .fine-yuan", "1000").await;
    type_into(
        &c,
        "the reasons",
        ".notify-panel .reasons",
        "初次违法，经责令后及时清理，从轻处罚",
    )
    .await;
    scroll_to(&c, ".notify-panel").await;
    snapshot(&c, "notify.png").await;
    click(&c, ".notify-panel .send-notice").await;
    // The status line reads "告知 · 交通管理".
    shows(&c, &["告知 · "]).await;
    scroll_to(&c, ".statement-panel").await;
    snapshot(&c, "statement.png").await;
    tap(&c, "the waiver", ".statement-panel .waived").await;
    click(&c, ".statement-panel .send-statement").await;
    // On the record: the act's title, then its place in the case file.
    shows(&c, &["陈述申辩及复核\n审查决定材料"]).await;

    // The legal reviewer finds it in her queue, with the statement on file, and passes it.
    let switch_to_alone = |person: &'static str, from: &'static [&'static str]| {
        let c = &c;
        async move {
            click(c, ".van-nav-bar__left").await;
            click(c, ".tab-people").await;
            for f in from {
                tap(c, "the sign-out button", &format!("[data-sign-out='{f}']")).await;
            }
            sign_in(c, person).await;
            click(c, ".tab-cases").await;
            tap(c, "their queue", ".todo-mine").await;
            shows(c, &["待我处理 1 件"]).await;
            tap(c, "the case card", ".case-card").await;
        }
    };
    switch_to_alone("sun.li", &["li.ming", "wang.fang"]).await;
    type_into(
        &c,
        "the review form",
        ".review textarea",
        "主体适格，程序合法，事实清楚，已听取陈述申辩，裁量适当",
    )
    .await;
    scroll_to(&c, ".review").await;
    snapshot(&c, "legal-review.png").await;
    click(&c, ".review .pass").await;
    let reviewed = shows(&c, &["签名：孙丽"]).await;
    assert!(reviewed.contains("法制审核 · "), "{reviewed}");

    // The head decides as notified.
    switch_to_alone("zhou.wen", &["sun.li"]).await;
    scroll_to(&c, ".decide-panel").await;
    snapshot(&c, "decide.png").await;
    click(&c, ".decide-panel .send-decision").await;
    shows(&c, &["决定 · ", "签名：周文"]).await;

    // The two deliver the decision (送达回证 signed by the recipient) and record the bank
    // payment.
    switch_to_alone("li.ming", &["zhou.wen"]).await;
    click(&c, ".van-nav-bar__left").await;
    click(&c, ".tab-people").await;
    sign_in(&c, "wang.fang").await;
    click(&c, ".tab-cases").await;
    tap(&c, "the case card", ".case-card").await;
    type_into(&c, "the recipient", ".deliver .recipient", "张三").await;
    // The recipient signs on the pad; once drawn, the delivery goes with the signature (the
    // word about a paper receipt goes away).
    draw_signature(&c, ".deliver .recipient-signs canvas").await;
    eventually("the signature drawn", WAIT, || async {
        c.find(Locator::Css(".deliver .unsigned"))
            .await
            .is_err()
            .then_some(())
    })
    .await
    .unwrap();
    scroll_to(&c, ".deliver").await;
    snapshot(&c, "deliver.png").await;
    click(&c, ".deliver .send").await;
    shows(&c, &["送达 · "]).await;
    type_into(&c, "the receipt", ".execute .receipt-no", "ICBC-2026-1201").await;
    scroll_to(&c, ".execute").await;
    snapshot(&c, "execute.png").await;
    click(&c, ".execute .paid").await;
    shows(&c, &["执行 · "]).await;

    // The squad leader closes the case and discloses the result, the party's name left out.
    switch_to_alone("liu.jianguo", &["li.ming", "wang.fang"]).await;
    type_into(
        &c,
        "the closing report",
        ".closing .report",
        "当事人已缴纳罚款，违法行为已改正，案件办结",
    )
    .await;
    click(&c, ".closing .close-case").await;
    shows(&c, &["结案 · "]).await;
    let text = eventually("the disclosure text", WAIT, || async {
        let js = "const t = document.querySelector('.disclose .disclosure-text'); return t ? t.value : ''";
        let v = c.execute(js, vec![]).await.ok()?;
        v.as_str().filter(|t| !t.is_empty()).map(str::to_owned)
    })
    .await
    .unwrap();
    assert!(!text.contains("张三"), "{text}");
    scroll_to(&c, ".disclose").await;
    snapshot(&c, "disclose.png").await;
    click(&c, ".disclose .publish").await;
    let done = shows(&c, &["公开 · ", "完整、未被篡改"]).await;
    assert!(done.contains("签名：刘建国"), "{done}");
    scroll_to(&c, ".procedure").await;
    snapshot(&c, "procedure.png").await;

    // The whole case file, from 登记 to 公开, exports and verifies offline.
    click(&c, ".export-button").await;
    let path = eventually("the exported file", WAIT, || async {
        let t = c
            .find(Locator::Css(".exported"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let p = t.split_once('：').map(|(_, p)| p.trim().to_owned())?;
        (p != first_export).then_some(p)
    })
    .await
    .unwrap();
    let (contents, integrity) =
        qc_bundle::read(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    let report = qc_bundle::verify(&contents, &integrity, None, None);
    assert!(report.is_clean(), "{:?}", report.problems);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_matter_can_be_settled_without_a_case_or_on_the_spot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(tmp.path());
    let (_display, _driver, c, _slot) = open_window(&[("QUANCHENG_DATA", dir.root())]).await;
    sign_in(&c, "li.ming").await;
    open_case(&c, "李秀英", "户外无照经营").await;
    // An officer may settle it by advice or an order to correct (721), or fine on the spot.
    tap(&c, "the order to correct", ".order-correction .act-toggle").await;
    scroll_to(&c, ".order-correction").await;
    snapshot(&c, "light.png").await;
    tap(
        &c,
        "the on-the-spot decision",
        ".summary-decision .act-toggle",
    )
    .await;
    scroll_to(&c, ".summary-decision").await;
    snapshot(&c, "summary.png").await;
    // The assistant may only advise: neither the order nor the fine is offered to him.
    click(&c, ".van-nav-bar__left").await;
    click(&c, ".tab-people").await;
    tap(&c, "the sign-out button", "[data-sign-out='li.ming']").await;
    sign_in(&c, "chen.xie").await;
    click(&c, ".tab-cases").await;
    open_case(&c, "李秀英", "户外无照经营").await;
    tap(&c, "the advice", ".advise .act-toggle").await;
    let text = body_text(&c).await;
    assert!(
        c.find(Locator::Css(".order-correction")).await.is_err(),
        "{text}"
    );
    assert!(
        c.find(Locator::Css(".summary-decision")).await.is_err(),
        "{text}"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_head_and_the_leader_meet_their_acts_on_the_demo_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(tmp.path());
    let (_display, _driver, c, _slot) = open_window(&[("QUANCHENG_DATA", dir.root())]).await;
    // The head, on a case the legal reviewer passed: the decision, or an extension.
    sign_in(&c, "zhou.wen").await;
    open_case(&c, "宏建建筑", "建筑施工噪声").await;
    shows(&c, &["作出处罚决定", "延长办案期限"]).await;
    scroll_to(&c, ".extend-panel").await;
    snapshot(&c, "extend.png").await;
    // The squad leader: a registered case may be transferred, with the 移送书's materials; a
    // preservation notice awaits his decision within 7 days.
    click(&c, ".van-nav-bar__left").await;
    click(&c, ".tab-people").await;
    tap(&c, "the sign-out button", "[data-sign-out='zhou.wen']").await;
    sign_in(&c, "liu.jianguo").await;
    click(&c, ".tab-cases").await;
    open_case(&c, "李秀英", "户外无照经营").await;
    tap(&c, "the transfer", ".transfer .act-toggle").await;
    scroll_to(&c, ".transfer").await;
    snapshot(&c, "transfer.png").await;
    click(&c, ".van-nav-bar__left").await;
    open_case(&c, "幸福小区", "违法建设").await;
    scroll_to(&c, ".preserve").await;
    snapshot(&c, "preserve.png").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_previews_and_issues_the_decision_of_a_closed_case() {
    // Typst runs unoptimised in a debug build, and the first document loads the fonts.
    const RENDER_WAIT: Duration = Duration::from_secs(180);
    let tmp = tempfile::tempdir().unwrap();
    let dir = demo_dir(tmp.path());
    let (_display, _driver, c, _slot) = open_window_alone(&[("QUANCHENG_DATA", dir.root())]).await;
    sign_in(&c, "li.ming").await;
    open_case(&c, "景华五金店", "侵占城市道路").await;
    // 执法文书: what the case's acts and records make; the decision is not issued yet.
    let decision = ".documents [data-kind='decision']";
    let row = text_where(&c, decision, |t| t.contains("行政处罚决定书")).await;
    assert!(row.contains("未出具"), "{row}");
    click(&c, decision).await;
    // The preview: the pages typeset from the signed record, a draft until issued, not
    // printable yet.
    let pages = "return [...document.querySelectorAll('.doc-page img')].filter(i => i.naturalWidth > 0).length";
    let n = eventually("the preview's pages", RENDER_WAIT, || async {
        let n = c.execute(pages, vec![]).await.ok()?.as_u64()?;
        (n > 0).then_some(n)
    })
    .await
    .unwrap();
    shows(&c, &["预览（未出具）", &format!("第 1 / {n} 页")]).await;
    assert!(c.find(Locator::Css(".print-doc")).await.is_err());
    // Issued by the officer: it gets its 文号, and may be printed and saved.
    click(&c, ".issue-doc").await;
    let number = eventually("the 文号", RENDER_WAIT, || async {
        let t = c
            .find(Locator::Css(".doc-number"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.ends_with('号').then_some(t)
    })
    .await
    .unwrap();
    assert!(number.starts_with("文号 "), "{number}");
    click(&c, ".save-doc").await;
    let saved = text_where(&c, ".saved-doc", |t| t.ends_with(".pdf")).await;
    let path = saved.trim_start_matches("已保存：");
    assert!(path.contains(number.trim_start_matches("文号 ")), "{path}");
    assert!(std::fs::read(path).unwrap().starts_with(b"%PDF"), "{path}");
    snapshot(&c, "documents.png").await;
    // Back in the list, the decision shows its number.
    click(&c, ".close-doc").await;
    text_where(&c, decision, |t| {
        t.contains(number.trim_start_matches("文号 "))
    })
    .await;
    scroll_to(&c, ".documents").await;
    snapshot(&c, "documents-list.png").await;
    // The printable case file: cover, 卷内目录, the documents issued, the photos.
    click(&c, ".save-case-file").await;
    let case_file = eventually("the case file", RENDER_WAIT, || async {
        let t = c
            .find(Locator::Css(".saved-case-file"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.ends_with("案卷.pdf").then_some(t)
    })
    .await
    .unwrap();
    let path = case_file.trim_start_matches("已保存：");
    assert!(std::fs::read(path).unwrap().starts_with(b"%PDF"), "{path}");
    c.close().await.unwrap();
}

/// The two officers drawn for a 双随机 target find their task on the sync screen after a sync,
/// record what they found there, both signed in, and it goes up at the next sync; a closed
/// case's file reviewed at a desk (案卷评查) reaches the squad's case page at the sync after.
#[tokio::test(flavor = "multi_thread")]
async fn the_two_drawn_officers_record_an_inspection_s_result_on_the_sync_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let bureau = demo_station(root).await;
    let dir = bureau.dir.clone();
    let password = "desk-password-1";
    // The head's acts at the station's command line, as a console account.
    let quancheng = |args: &[&str], env: &[(&str, String)]| {
        let out = std::process::Command::new(qc_tests::cli_binary().unwrap())
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("QUANCHENG_KEY_FILE")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "quancheng {}: {said}", args.join(" "));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let desk = [("QUANCHENG_DESK_PASSWORD", password.to_owned())];
    quancheng(
        &[
            "admin",
            "desk",
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
        &[
            ("QUANCHENG_PIN", qc_tests::station::pin("wu.min")),
            desk[0].clone(),
        ],
    );
    let register = tmp.path().join("register.csv");
    std::fs::write(
        &register,
        "编号,名称,地址,类别\nT-1,幸福路便利店,幸福路1号,沿街商户\nT-2,解放路面馆,解放路2号,沿街商户\n",
    )
    .unwrap();
    let planned: serde_json::Value = serde_json::from_str(&quancheng(
        &[
            "--json",
            "desk",
            "plan",
            "--title",
            "沿街商户市容秩序抽查",
            "--count",
            "1",
            "--register",
            register.to_str().unwrap(),
            "--inspector",
            "li.ming",
            "--inspector",
            "wang.fang",
            "--login",
            "zhou",
        ],
        &desk,
    ))
    .unwrap();
    let id = planned["id"].as_str().unwrap().to_owned();

    let (_display, driver, c, _slot) = open_window(&[("QUANCHENG_DATA", &bureau.dir)]).await;
    sign_in(&c, "li.ming").await;
    click(&c, ".tab-people").await;
    sign_in(&c, "wang.fang").await;
    let sync = |c: Client| async move {
        click(&c, ".tab-sync").await;
        // The button is live once the panel has read what waits; tapped then, the last
        // sync's report goes, and this one's (or its failure) is awaited.
        tap(&c, "the live sync button", "button.start:not([disabled])").await;
        let done = eventually("the sync's end", WAIT, || async {
            for (css, failed) in [("[role=status]", false), ("[role=alert]", true)] {
                if let Ok(el) = c.find(Locator::Css(css)).await {
                    let text = el.text().await.ok()?;
                    return Some((text, failed));
                }
            }
            None
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!done.1 && done.0.contains("同步完成"), "{}", done.0);
    };
    // The demo's entries go up: the log holds one after the plan, which seeds the draw.
    sync(c.clone()).await;
    quancheng(&["desk", "draw", "--draw", &id, "--login", "zhou"], &desk);
    sync(c.clone()).await;
    shows(
        &c,
        &["双随机抽查任务", "沿街商户市容秩序抽查", "李明", "王芳"],
    )
    .await;
    tap(&c, "the record button", "[data-test=task-record]").await;
    click(&c, "[data-test=task-outcome-corrected]").await;
    type_into(
        &c,
        "the note",
        "[data-test=task-note]",
        "门前堆放杂物，已当场责令清理",
    )
    .await;
    scroll_to(&c, "[data-test=task-sign]").await;
    click(&c, "[data-test=task-sign]").await;
    let recorded = text_where(&c, "[data-test=task-reported]", |t| !t.is_empty()).await;
    assert!(
        recorded.contains("本机已记录：发现问题，已责令改正"),
        "{recorded}"
    );
    scroll_to(&c, "[data-test=inspection-tasks]").await;
    snapshot(&c, "inspection-task.png").await;
    // It goes up with its file at the next sync: nothing is left waiting.
    sync(c.clone()).await;
    shows(&c, &["本机记录均已上传基站"]).await;
    // 案卷评查: the head reviews the closed barbecue case's file at a desk (by script); the
    // squad reads the score, the opinion and the lines that lost points on the case's page
    // after the next sync, though the case's document did not change.
    let listed: serde_json::Value =
        serde_json::from_str(&quancheng(&["--json", "case", "list"], &[])).unwrap();
    let closed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["parties"] == "张建国" && c["status"] == "disclosed")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .expect("the demo's disclosed barbecue case");
    let sheet = tmp.path().join("review.json");
    let items: Vec<serde_json::Value> = qc_domain::review::CHECKLIST
        .iter()
        .map(|i| match i.key {
            "documents" => serde_json::json!({"key": i.key, "score": i.max - 4,
                "comment": "送达回证未写明签收时间"}),
            _ => serde_json::json!({"key": i.key, "score": i.max}),
        })
        .collect();
    std::fs::write(
        &sheet,
        serde_json::json!({"items": items, "comment": "事实清楚，证据充分，程序合法"}).to_string(),
    )
    .unwrap();
    quancheng(
        &[
            "desk",
            "review",
            "--case",
            &closed,
            "--sheet",
            sheet.to_str().unwrap(),
            "--login",
            "zhou",
        ],
        &desk,
    );
    sync(c.clone()).await;
    click(&c, ".tab-cases").await;
    open_case(&c, "张建国", "露天烧烤").await;
    shows(
        &c,
        &[
            "案卷评查",
            "周文",
            "96 分 · 优秀",
            "评查意见：事实清楚，证据充分，程序合法",
            "送达回证未写明签收时间",
        ],
    )
    .await;
    scroll_to(&c, "[data-test=file-reviews]").await;
    snapshot(&c, "case-file-review.png").await;
    c.close().await.unwrap();
    drop(driver);
    // The station counts it: the draw's result for that target, with its file arrived.
    let counted = tokio::task::spawn_blocking(move || {
        let draw = bureau
            .app()
            .unwrap()
            .station_service()
            .unwrap()
            .draw(&id)
            .unwrap()
            .unwrap();
        drop(bureau);
        draw
    })
    .await
    .unwrap();
    assert_eq!(counted.pending, 0, "the file arrived");
    assert_eq!(counted.reports.len(), 1);
    assert_eq!(counted.reports[0].note, "门前堆放杂物，已当场责令清理");
}

/// 王芳 is revoked while the tablet is offline and registers a case on it (the tablet cannot
/// know); at the next sync the station refuses it, and the sync screen says which case and
/// why. 李明, signed in, sets it aside there; the next sync goes through with his own case.
#[tokio::test(flavor = "multi_thread")]
async fn records_the_station_refuses_are_set_aside_on_the_sync_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let (bureau, dir, hers, his) = tokio::task::spawn_blocking(move || {
        let bureau = qc_tests::station::Bureau::start(&root).unwrap();
        let dir = root.join("tablet");
        let people = ["li.ming", "wang.fang"];
        let mut t = bureau.tablet(&dir, "一中队", &people).unwrap();
        let [li, wang] = people.map(|p| t.unlock(p, &qc_tests::station::pin(p)).unwrap());
        let mut home = bureau.app().unwrap();
        let admin = home
            .unlock("wu.min", &qc_tests::station::pin("wu.min"))
            .unwrap();
        home.revoke("wang.fang", "调离", &admin).unwrap();
        let mut case = |address: &str, summary: &str, by| {
            t.register_case(qc_tests::fixtures::new_case(address, summary), by)
                .unwrap()
                .0
        };
        let hers = case("建设路3号", "乱堆乱放", &wang);
        let his = case("中州路1号", "占道经营", &li);
        (bureau, dir, hers, his)
    })
    .await
    .unwrap();
    let (_display, driver, c, _slot) = open_window(&[("QUANCHENG_DATA", &dir)]).await;
    sign_in(&c, "li.ming").await;
    click(&c, ".tab-sync").await;
    tap(&c, "the live sync button", "button.start:not([disabled])").await;
    let refused = format!("案件 {hers}：1 条记录被拒收（建设路3号）");
    shows(&c, &["同步未完成", "基站拒收的记录", &refused]).await;
    scroll_to(&c, "[data-test=refused]").await;
    snapshot(&c, "sync-refused.png").await;
    tap(
        &c,
        "the set-aside button",
        &format!("[data-test='set-aside-{hers}']"),
    )
    .await;
    shows(&c, &["不可撤销"]).await;
    tap(
        &c,
        "the confirmation",
        &format!("[data-test='set-aside-yes-{hers}']"),
    )
    .await;
    shows(&c, &[&format!("已搁置案件 {hers} 的 1 条记录")]).await;
    tap(&c, "the live sync button", "button.start:not([disabled])").await;
    shows(&c, &["同步完成", "本机记录均已上传基站"]).await;
    c.close().await.unwrap();
    drop(driver);
    // The station holds 李明's case, not hers; her entry is logged in its place, without its act.
    let held = tokio::task::spawn_blocking(move || {
        let s = bureau.app().unwrap().station_service().unwrap();
        let logged = |case: &str| {
            s.case_log(case, qc_domain::Timestamp(0))
                .unwrap()
                .entries
                .len()
        };
        let held = (logged(&his), logged(&hers));
        drop(bureau);
        held
    })
    .await
    .unwrap();
    assert_eq!(
        held,
        (1, 1),
        "his registration; her case's act of setting aside"
    );
}
