//! The QR code on every page: the case id and the data digest, so a person holding the paper
//! can find the document in the case bundle and check that the paper says what the record
//! says (`quancheng document check`).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// What the code says: `QCDOC1 <case id> <data digest hex>`.
pub fn text(case: &str, digest: &[u8; 32]) -> String {
    format!("QCDOC1 {case} {}", hex::encode(digest))
}

/// The code as an SVG image (error correction M: a creased or smudged print still reads).
pub fn svg(case: &str, digest: &[u8; 32]) -> String {
    svg_of(&text(case, digest)).expect("a case id and a digest fit a QR code")
}

/// Any short text as a QR code in an SVG image (error correction M); `None` if it is too long
/// for one.
pub fn svg_of(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).ok()?;
    Some(code.render::<svg::Color>().quiet_zone(true).build())
}

/// Reads [`text`] back: the case id and the digest.
pub fn parse(text: &str) -> Option<(String, [u8; 32])> {
    let mut parts = text.split(' ');
    if parts.next()? != "QCDOC1" {
        return None;
    }
    let case = parts.next()?.to_string();
    let digest: [u8; 32] = hex::decode(parts.next()?).ok()?.try_into().ok()?;
    parts.next().is_none().then_some((case, digest))
}
