//! Plain text laid out on US Letter pages as a PDF, for letters that are mailed or faxed. The font
//! (DejaVu Sans Mono, `assets/fonts/`, its licence beside it) is compiled in and subset by krilla, so
//! columns line up as they do in the text file and the PDF carries only the glyphs it uses.

use krilla::Document;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use std::sync::Arc;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const FONT_SIZE: f32 = 9.0;
const LINE_HEIGHT: f32 = 12.0;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the letter font could not be read")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// `text`, one line per line, paginated.
pub fn text_to_pdf(text: &str) -> Result<Vec<u8>, PdfError> {
    let font = Font::new(Arc::new(FONT.to_vec()).into(), 0).ok_or(PdfError::Font)?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(PdfError::Font)?;
    let lines_per_page = ((PAGE_HEIGHT - 2.0 * MARGIN) / LINE_HEIGHT).floor() as usize;
    let lines: Vec<String> = text.lines().map(|l| crate::domain::text::clean(l).into_owned()).collect();
    let mut document = Document::new();
    for chunk in lines.chunks(lines_per_page.max(1)).chain(lines.is_empty().then_some(&[][..])) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (i, line) in chunk.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let y = MARGIN + FONT_SIZE + i as f32 * LINE_HEIGHT;
            surface.draw_text(Point::from_xy(MARGIN, y), font.clone(), FONT_SIZE, line, false, TextDirection::Auto);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_becomes_a_pdf_with_pages_as_needed() {
        let pdf = text_to_pdf("Riverbend General Hospital\n\nTo: PATEL, ALICE, MD\nNguyễn — 21 days").unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let long: String = (0..130).map(|i| format!("line {i}\n")).collect();
        let pdf = text_to_pdf(&long).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.contains("/Count 3"),
            "130 lines make three pages of {} lines",
            ((PAGE_HEIGHT - 2.0 * MARGIN) / LINE_HEIGHT).floor()
        );
        assert!(text_to_pdf("").unwrap().starts_with(b"%PDF-"));
    }
}
