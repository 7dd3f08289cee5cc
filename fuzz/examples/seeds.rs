//! Writes the seeds of the sync targets under `fuzz/seeds/` (run again when a wire body or the
//! case document changes): `cargo run --manifest-path fuzz/Cargo.toml --example seeds`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for (target, name, bytes) in qc_fuzz::seeds() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)?;
        println!("{target}/{name}");
    }
    Ok(())
}
