//! `quancheng document`: the 执法文书 of a case — list, issue, render, check a paper copy
//! against a bundle, bind the printable case file, and the bureau's wording.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use qc_api::Quancheng;
use qc_api::documents::{DocumentRow, check_pdf};
use qc_document::DocumentKind;
use qc_document::project::Source;

use crate::cli::{public_key, read_bundle};
use crate::field::Officers;
use crate::output;

/// Documents (执法文书).
#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// The documents a case can issue, and those issued (文号, pages).
    List {
        /// Case id or unique prefix.
        case: String,
    },
    /// Issue a document: render it from the signed case data and sign its issue (the PDF's
    /// and the data's digests go on the chain). Issuing unchanged data again gives the same
    /// document.
    Issue {
        #[command(flatten)]
        which: Which,
        /// Also write the PDF here.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        who: Officers,
    },
    /// Write a document: the issued PDF (exactly the bytes issued) with --out, or the pages of
    /// what it would print (issued or not) as PNG images with --png.
    Render {
        #[command(flatten)]
        which: Which,
        /// Where to write the issued PDF.
        #[arg(long, required_unless_present = "png")]
        out: Option<PathBuf>,
        /// A folder for page images (page-1.png, ...).
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Check a PDF (a paper copy's file) against a case bundle: exit code 0 only when it is
    /// byte for byte a document issued in the case. Reads only the files given.
    Check {
        /// The PDF.
        pdf: PathBuf,
        /// The case bundle.
        #[arg(long)]
        bundle: PathBuf,
        /// The bureau public key to trust (hex).
        #[arg(long)]
        bureau: Option<String>,
    },
    /// The printable case file (封面, 卷内目录 with page numbers, the documents, the evidence
    /// photos) of a case on this device, or of a bundle.
    Casefile {
        /// Case id or unique prefix.
        #[arg(required_unless_present = "bundle")]
        case: Option<String>,
        /// Bind from this bundle instead.
        #[arg(long, conflicts_with = "case")]
        bundle: Option<PathBuf>,
        /// Where to write the PDF.
        #[arg(long)]
        out: PathBuf,
    },
    /// The bureau's fixed wording (rights and remedies, payment, hearing): show it, or import
    /// a city's edited file (administrators; checked first).
    Wording {
        /// A TOML file to import.
        #[arg(long, requires = "officer")]
        import: Option<PathBuf>,
        /// The administrator importing it.
        #[arg(long)]
        officer: Option<String>,
        /// Their PIN.
        #[arg(long, env = "QUANCHENG_PIN", hide_env_values = true)]
        pin: Option<String>,
    },
}

/// One document of a case.
#[derive(Debug, clap::Args)]
pub struct Which {
    /// Case id or unique prefix.
    case: String,
    /// The kind (decision, transcript, prior_notice, delivery_receipt, ...; `document list`
    /// shows them).
    kind: String,
    /// What it is made from (`event:<id>`, `record:<id>`, `case`), when the case has more
    /// than one document of the kind.
    #[arg(long)]
    from: Option<String>,
}

impl Which {
    /// The kind and source, the source found among the case's documents when not given.
    fn resolve(&self, app: &Quancheng) -> anyhow::Result<(DocumentKind, Source)> {
        let kind = DocumentKind::from_name(&self.kind).with_context(|| {
            let names: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.name()).collect();
            format!(
                "没有这种文书：{}（可选：{}）(unknown kind)",
                self.kind,
                names.join(", ")
            )
        })?;
        if let Some(from) = &self.from {
            let source = Source::parse(from)
                .with_context(|| format!("--from 应为 event:ID、record:ID 或 case：{from}"))?;
            return Ok((kind, source));
        }
        let rows: Vec<DocumentRow> = app
            .documents(&self.case)?
            .into_iter()
            .filter(|r| r.kind == kind.name())
            .collect();
        match rows.as_slice() {
            [one] => Ok((kind, Source::parse(&one.source).context("source")?)),
            [] => bail!(
                "本案目前不能出具{}（no such document in this case）",
                kind.title()
            ),
            many => bail!(
                "本案有多份{}，请用 --from 指定：{} (several; choose with --from)",
                kind.title(),
                many.iter()
                    .map(|r| r.source.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes)
        .with_context(|| format!("无法写入 {} (cannot write)", path.display()))
}

/// Runs a document command; `Ok(false)` when a check does not hold (exit code 1).
pub fn document(
    open: impl FnOnce() -> anyhow::Result<Quancheng>,
    cmd: &DocumentCommand,
    as_json: bool,
) -> anyhow::Result<bool> {
    match cmd {
        DocumentCommand::List { case } => {
            let app = open()?;
            output::documents(&app.documents(case)?, as_json)?;
        }
        DocumentCommand::Issue { which, out, who } => {
            let mut app = open()?;
            let (kind, source) = which.resolve(&app)?;
            let by = who.unlock(&mut app)?;
            let by: Vec<&_> = by.iter().collect();
            let (issued, pdf) = app.issue_document(&which.case, kind, &source, &by)?;
            if let Some(path) = out {
                write(path, &pdf)?;
            }
            output::issued(&issued, as_json)?;
        }
        DocumentCommand::Render {
            which,
            out: pdf_out,
            png,
        } => {
            let app = open()?;
            let (kind, source) = which.resolve(&app)?;
            if let Some(dir) = png {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("无法建立 {} (cannot create)", dir.display()))?;
                let preview = app.preview_document(&which.case, kind, &source)?;
                for (i, page) in preview.pages.iter().enumerate() {
                    write(&dir.join(format!("page-{}.png", i + 1)), page)?;
                }
            }
            if let Some(path) = pdf_out {
                let row = app
                    .documents(&which.case)?
                    .into_iter()
                    .find(|r| r.kind == kind.name() && r.source == source.to_text())
                    .and_then(|r| r.issued)
                    .with_context(|| {
                        format!(
                            "{}尚未出具：先用 quancheng document issue（not issued yet）",
                            kind.title()
                        )
                    })?;
                let (_, pdf) = app.issued_document(&which.case, &row.data)?;
                write(path, &pdf)?;
            }
            output::done("已写出文书", as_json)?;
        }
        DocumentCommand::Check {
            pdf,
            bundle,
            bureau,
        } => {
            let bytes = std::fs::read(pdf)
                .with_context(|| format!("无法读取 {} (cannot read)", pdf.display()))?;
            let (contents, integrity) = read_bundle(bundle)?;
            let trusted = public_key(bureau.as_deref(), "--bureau")?;
            let report = qc_bundle::verify(&contents, &integrity, trusted, None);
            let verdict = check_pdf(&bytes, &contents, &report);
            output::pdf_check(pdf, &verdict, &report, as_json)?;
            return Ok(verdict.holds() && report.is_clean());
        }
        DocumentCommand::Casefile { case, bundle, out } => {
            let app = open()?;
            let pdf = match (case, bundle) {
                (_, Some(b)) => {
                    let (contents, integrity) = read_bundle(b)?;
                    app.case_file_from_bundle((&contents, &integrity))?
                }
                (Some(c), None) => app.case_file_pdf(c)?,
                (None, None) => bail!("a case or --bundle is required"),
            };
            write(out, &pdf)?;
            output::done(&format!("已生成案卷 PDF：{}", out.display()), as_json)?;
        }
        DocumentCommand::Wording {
            import,
            officer,
            pin,
        } => {
            let mut app = open()?;
            match (import, officer) {
                (Some(file), Some(officer)) => {
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("无法读取 {} (cannot read)", file.display()))?;
                    let pin = pin
                        .as_deref()
                        .context("--pin (or QUANCHENG_PIN) is required")?;
                    let admin = app.unlock(officer, pin)?;
                    let w = app.import_wording(&text, &admin)?;
                    output::done(&format!("已更新文书用语（{}）", w.bureau), as_json)?;
                }
                _ => output::text(&app.wording_text()?)?,
            }
        }
    }
    Ok(true)
}
