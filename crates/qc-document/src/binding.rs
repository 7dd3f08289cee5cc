//! The printable case file: cover, 卷内目录 with page numbers, then every issued document and
//! the evidence photographs in order, bound into one PDF whose pages carry their number in
//! the file. The documents go in as their issued PDFs (embedded page by page), so the file
//! shows exactly what was handed out.

use serde::Serialize;

use crate::project::ContentsLine;
use crate::render::{BINDING, Compiled};
use crate::{DocumentError, Renderer};

/// One part of the case file.
pub enum Part {
    /// An issued document's PDF.
    Pdf {
        /// Title as listed in the contents.
        title: String,
        /// 文号 or empty.
        number: String,
        /// Date as written.
        date: String,
        /// The PDF.
        bytes: Vec<u8>,
        /// Its number of pages.
        pages: usize,
    },
    /// An evidence photograph on a page of its own.
    Photo {
        /// Title as listed (`证据照片`).
        title: String,
        /// What, when, who took it.
        caption: String,
        /// Date as written.
        date: String,
        /// The JPEG or PNG.
        bytes: Vec<u8>,
    },
}

impl Part {
    fn pages(&self) -> usize {
        match self {
            Part::Pdf { pages, .. } => *pages,
            Part::Photo { .. } => 1,
        }
    }
}

/// The contents lines for `parts` when they start at page `first`.
pub fn contents_lines(parts: &[Part], first: usize) -> Vec<ContentsLine> {
    let mut page = first;
    parts
        .iter()
        .map(|p| {
            let (title, number, date) = match p {
                Part::Pdf {
                    title,
                    number,
                    date,
                    ..
                } => (title.clone(), number.clone(), date.clone()),
                Part::Photo { title, date, .. } => (title.clone(), String::new(), date.clone()),
            };
            let line = ContentsLine {
                title,
                number,
                date,
                first_page: page,
                last_page: page + p.pages() - 1,
            };
            page += p.pages();
            line
        })
        .collect()
}

#[derive(Serialize)]
struct Layout<'a> {
    title: &'a str,
    bureau: &'a str,
    parts: Vec<serde_json::Value>,
}

impl Renderer {
    /// Binds the parts into one PDF, numbering its pages from 1.
    pub fn bind(
        &self,
        title: &str,
        bureau: &str,
        parts: &[Part],
    ) -> Result<Vec<u8>, DocumentError> {
        let mut files = Vec::new();
        let mut layout = Layout {
            title,
            bureau,
            parts: Vec::new(),
        };
        let mut page = 1;
        for (i, part) in parts.iter().enumerate() {
            let (kind, path, extra) = match part {
                Part::Pdf { bytes, pages, .. } => {
                    files.push((format!("/part/{i}.pdf"), bytes.clone()));
                    (
                        "pdf",
                        format!("/part/{i}.pdf"),
                        serde_json::json!({ "pages": pages }),
                    )
                }
                Part::Photo {
                    title,
                    caption,
                    bytes,
                    ..
                } => {
                    let path = format!("/part/{i}.{}", crate::render::image_ext(bytes));
                    files.push((path.clone(), bytes.clone()));
                    (
                        "photo",
                        path,
                        serde_json::json!({ "title": title, "caption": caption }),
                    )
                }
            };
            let mut value = serde_json::json!({ "type": kind, "path": path, "first": page });
            if let (Some(v), Some(e)) = (value.as_object_mut(), extra.as_object()) {
                v.extend(e.clone());
            }
            layout.parts.push(value);
            page += part.pages();
        }
        files.push((
            "/binding.json".into(),
            serde_json::to_vec(&layout).expect("json"),
        ));
        let compiled = Compiled::new(self, BINDING, files)?;
        compiled.pdf(title)
    }
}
