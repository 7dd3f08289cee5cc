//! Rendering a 执法文书: a three-page 询问笔录 with the interviewee's signature image on every
//! page, as PDF, in this process. The first render loads and checks the pinned fonts (about
//! 73 MB); later ones reuse them. Baselines in the same run: reading and hashing the font files
//! (what the first render cannot avoid) and rendering a one-line document (typst's fixed cost).
//! Targets: the first render under 1 s, each later one under 250 ms. Exits non-zero when
//! missed. Peak resident memory is reported.

use std::time::{Duration, Instant};

use qc_document::{Block, Document, DocumentKind, Images, Renderer, fonts};
use qc_tests::memory;
use sha2::{Digest, Sha256};

const ROUNDS: usize = 15;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The sample with another party and other answers on every page.
fn another(doc: &Document, round: usize) -> Document {
    let mut other = doc.clone();
    other.case = format!("QC-2026-{round:04}");
    for block in &mut other.blocks {
        if let Block::Qa { items } = block {
            for (i, qa) in items.iter_mut().enumerate() {
                qa.a = format!(
                    "第{round}次：{}（补充说明{i}）",
                    qa.a.replace("苹果", "西瓜")
                );
            }
        }
    }
    other
}

fn main() -> anyhow::Result<()> {
    let dir = fonts::default_dir();
    let t = Instant::now();
    for pin in &fonts::PINNED {
        let bytes = std::fs::read(dir.join(pin.file))?;
        anyhow::ensure!(
            hex::encode(Sha256::digest(&bytes)) == pin.sha256,
            "{} differs",
            pin.file
        );
    }
    let hash_fonts = t.elapsed();

    let signature = qc_evidence::sample::signature_png(300, 120);
    let (doc, images) = qc_document::sample::transcript(&signature, 5);
    let t = Instant::now();
    let renderer = Renderer::new(fonts::Fonts::load(&dir)?);
    let first = renderer.pdf(&doc, &images)?;
    let first_time = t.elapsed();
    anyhow::ensure!(
        first.pages == 3,
        "the sample transcript took {} pages",
        first.pages
    );

    // Later documents differ from the first (another party, other answers), so typst's
    // memoised layout of the first cannot stand in for laying them out.
    let mut later = Vec::new();
    for round in 0..ROUNDS {
        let other = another(&doc, round);
        let t = Instant::now();
        renderer.pdf(&other, &images)?;
        later.push(t.elapsed());
    }
    anyhow::ensure!(
        renderer.pdf(&doc, &images)?.pdf == first.pdf,
        "a render gave other bytes"
    );
    let mut floor = Vec::new();
    for round in 0..ROUNDS {
        let case = format!("QC-1-{round}");
        let mut line = Document::new(
            DocumentKind::Cover,
            &case,
            "示例市城市管理综合行政执法局",
            "",
            "",
        );
        line.blocks.push(Block::Paragraph {
            text: format!("第{round}行。"),
        });
        let t = Instant::now();
        renderer.pdf(&line, &Images::new())?;
        floor.push(t.elapsed());
    }
    let (later, floor) = (median(later), median(floor));
    let peak = memory::peak_bytes()?;

    println!(
        "render a three-page 询问笔录 with signature images ({} KiB PDF)",
        first.pdf.len() / 1024
    );
    println!(
        "  reading and hashing the fonts (baseline)  {:>8.1} ms",
        hash_fonts.as_secs_f64() * 1e3
    );
    println!(
        "  first render, fonts loaded                 {:>8.1} ms   (target < 1000 ms)",
        first_time.as_secs_f64() * 1e3
    );
    println!(
        "  one-line document (baseline), median      {:>8.1} ms",
        floor.as_secs_f64() * 1e3
    );
    println!(
        "  later (other) documents, median of {ROUNDS}   {:>8.1} ms   (target < 250 ms)",
        later.as_secs_f64() * 1e3
    );
    println!(
        "  peak resident memory                       {:>8.1} MiB",
        peak as f64 / (1 << 20) as f64
    );
    anyhow::ensure!(first_time < Duration::from_secs(1), "first render over 1 s");
    anyhow::ensure!(
        later < Duration::from_millis(250),
        "later renders over 250 ms"
    );
    Ok(())
}
