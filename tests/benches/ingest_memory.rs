//! Peak resident memory while a 2 GiB body-camera video is captured as evidence (hash, type,
//! encryption into the blob store, signed entry), measured in a fresh child process.
//! Target: under 64 MiB. Exits non-zero when over. Figures go to docs/benchmarks.md.

use qc_tests::video;

const LEN: u64 = 2 * 1024 * 1024 * 1024;
const LIMIT: u64 = 64 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    if video::run_child_if_asked()? {
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("data");
    let case = video::prepare(&dir)?;
    let exe = std::env::current_exe()?;
    let m = video::ingest_in_child(&exe, &[], &dir, &case, LEN)?;
    println!(
        "2 GiB video ingest: peak resident {:.1} MiB (limit {} MiB), {:.1} s, {:.0} MiB/s",
        m.peak as f64 / 1048576.0,
        LIMIT >> 20,
        m.seconds,
        (LEN >> 20) as f64 / m.seconds
    );
    if m.peak >= LIMIT {
        anyhow::bail!("over the memory target");
    }
    Ok(())
}
