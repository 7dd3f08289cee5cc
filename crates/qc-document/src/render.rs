//! Typesetting with typst as a library: one layout (`layout.typ`) over the document's data,
//! in a world that holds only that data, its images, its QR code and the pinned fonts — no
//! clock, no files, no packages — so the same inputs give the same PDF bytes everywhere.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::fonts::Fonts;
use crate::model::Document;
use crate::{DocumentError, qr};

/// The layout every document is set with. Its digest is part of what a re-render must match.
pub const LAYOUT: &str = include_str!("layout.typ");
/// The layout of the bound case file.
pub(crate) const BINDING: &str = include_str!("binding.typ");

/// What a render produced.
pub struct Rendered {
    /// The PDF's bytes.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// The data digest the QR code and the PDF's keywords carry.
    pub digest: [u8; 32],
}

/// Images a document shows, by SHA-256 hex of their bytes.
pub type Images = BTreeMap<String, Vec<u8>>;

/// Renders documents; keeps the fonts and the standard library between renders (the first
/// render pays for loading them).
pub struct Renderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    faces: Vec<Font>,
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("fixed virtual paths are valid"),
    )
    .intern()
}

struct DocWorld<'a> {
    renderer: &'a Renderer,
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_with_slash().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.renderer.faces.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // No clock: a document's date is in its data.
        None
    }
}

pub(crate) fn image_ext(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xff, 0xd8]) {
        "jpg"
    } else {
        "png"
    }
}

fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Renderer {
    /// A renderer over the pinned fonts.
    pub fn new(fonts: Fonts) -> Renderer {
        Renderer {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(fonts.book),
            faces: fonts.faces,
        }
    }

    /// A renderer over the fonts in [`crate::fonts::default_dir`].
    pub fn from_default_fonts() -> Result<Renderer, DocumentError> {
        Ok(Renderer::new(Fonts::load(&crate::fonts::default_dir())?))
    }

    fn layout(&self, doc: &Document, images: &Images) -> Result<Compiled, DocumentError> {
        let digest = doc.digest();
        let mut files = Vec::new();
        let mut paths = serde_json::Map::new();
        for (i, sha) in doc.images().into_iter().enumerate() {
            let bytes = images
                .get(sha)
                .ok_or_else(|| DocumentError::ImageMissing(sha.to_string()))?;
            if hex::encode(Sha256::digest(bytes)) != sha {
                return Err(DocumentError::ImageMismatch(sha.to_string()));
            }
            let path = format!("/img/{i}.{}", image_ext(bytes));
            files.push((path.clone(), bytes.clone()));
            paths.insert(sha.to_string(), path.into());
        }
        let meta = serde_json::json!({
            "digest": hex::encode(digest),
            "images": paths,
        });
        files.push(("/data.json".into(), doc.to_bytes()));
        files.push((
            "/meta.json".into(),
            serde_json::to_vec(&meta).expect("json"),
        ));
        files.push(("/qr.svg".into(), qr::svg(&doc.case, &digest).into_bytes()));
        Compiled::new(self, LAYOUT, files)
    }

    /// The document as PDF: the same data, images and fonts always give the same bytes.
    pub fn pdf(&self, doc: &Document, images: &Images) -> Result<Rendered, DocumentError> {
        let compiled = self.layout(doc, images)?;
        let digest = doc.digest();
        Ok(Rendered {
            pdf: compiled.pdf(&hex::encode(digest))?,
            pages: compiled.0.pages().len(),
            digest,
        })
    }

    /// The pages as PNG images at `pixels_per_point` (2.0 ≈ 144 dpi), for a preview.
    pub fn png_pages(
        &self,
        doc: &Document,
        images: &Images,
        pixels_per_point: f32,
    ) -> Result<Vec<Vec<u8>>, DocumentError> {
        self.layout(doc, images)?.png_pages(pixels_per_point)
    }
}

/// A laid-out typst document.
pub(crate) struct Compiled(PagedDocument);

impl Compiled {
    /// Lays out `source` in a world holding only `files` (virtual absolute paths) and fonts.
    pub(crate) fn new(
        renderer: &Renderer,
        source: &str,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<Compiled, DocumentError> {
        let world = DocWorld {
            renderer,
            main: Source::new(file_id("/main.typ"), source.to_string()),
            files: files
                .into_iter()
                .map(|(path, bytes)| (file_id(&path), Bytes::new(bytes)))
                .collect(),
        };
        let out = typst::compile::<PagedDocument>(&world).output;
        // The memo cache would otherwise keep every document ever laid out.
        typst::comemo::evict(2);
        out.map(Compiled)
            .map_err(|errors| DocumentError::Layout(diagnostics(errors.as_slice())))
    }

    /// As PDF; `ident` names the document stably (its digest), so no random id is written.
    pub(crate) fn pdf(&self, ident: &str) -> Result<Vec<u8>, DocumentError> {
        let options = typst_pdf::PdfOptions {
            ident: Smart::Custom(ident.to_string()),
            creator: Smart::Custom(Some("Quancheng 全程".into())),
            timestamp: None,
            ..Default::default()
        };
        typst_pdf::pdf(&self.0, &options)
            .map_err(|errors| DocumentError::Layout(diagnostics(errors.as_slice())))
    }

    fn png_pages(&self, pixels_per_point: f32) -> Result<Vec<Vec<u8>>, DocumentError> {
        let options = typst_render::RenderOptions {
            pixel_per_pt: f64::from(pixels_per_point).into(),
            ..Default::default()
        };
        self.0
            .pages()
            .iter()
            .map(|page| {
                typst_render::render(page, &options)
                    .encode_png()
                    .map_err(|e| DocumentError::Layout(format!("PNG: {e}")))
            })
            .collect()
    }
}
