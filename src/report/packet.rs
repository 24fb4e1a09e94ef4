//! The release packet as it leaves the building: a PDF of the front matter (any Part 2 notice
//! first, the cover sheet, the consent copy, the NY HIV statement) and then each released document
//! over its own page count, every page footed `RGH-00041 · page N of M`; and its manifest, JSON,
//! listing what went, what was left out and why, and the PDF's size and SHA-256.

use super::pdf::PdfError;
use krilla::Document;
use krilla::geom::Point;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use serde::Serialize;
use std::sync::Arc;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const FONT_SIZE: f32 = 9.0;
const LINE_HEIGHT: f32 = 12.0;
/// Lines of body on a page: the page less its margins, less two lines kept for the footer.
pub const BODY_LINES: usize = ((PAGE_HEIGHT - 2.0 * MARGIN) / LINE_HEIGHT) as usize - 2;
/// Characters a line holds at this size in the monospaced font (0.6 em each).
const LINE_CHARS: usize = ((PAGE_WIDTH - 2.0 * MARGIN) / (FONT_SIZE * 0.6)) as usize;

/// A document as it prints: a heading and its text, laid over exactly `pages` pages.
#[derive(Debug, Clone)]
pub struct PrintedDocument {
    pub heading: String,
    pub text: String,
    pub pages: usize,
}

/// What the packet prints, in order: the front matter (each part starts a page) and the documents.
#[derive(Debug, Clone)]
pub struct PacketLayout {
    /// `RGH-00041`: every page's footer names it.
    pub request_number: String,
    pub front: Vec<String>,
    pub documents: Vec<PrintedDocument>,
}

/// The pages of the packet as lines of text, footers not yet added.
pub fn paginate(layout: &PacketLayout) -> Vec<Vec<String>> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    for part in &layout.front {
        let lines = wrap(part);
        for chunk in lines.chunks(BODY_LINES) {
            pages.push(chunk.to_vec());
        }
        if lines.is_empty() {
            pages.push(Vec::new());
        }
    }
    for doc in &layout.documents {
        let count = doc.pages.max(1);
        let lines = wrap(&doc.text);
        // The text is spread evenly over the pages the document has; what does not fit its pages
        // is cut at the last one with a note rather than adding pages no one counted or paid for.
        let per_page = lines.len().div_ceil(count).clamp(1, BODY_LINES - 2);
        for n in 0..count {
            let mut page = vec![format!("{} — page {} of {}", doc.heading, n + 1, count), String::new()];
            let start = n * per_page;
            let end = if n + 1 == count { lines.len() } else { (start + per_page).min(lines.len()) };
            if start < end {
                let body = &lines[start..end];
                if body.len() > BODY_LINES - 2 {
                    page.extend(body[..BODY_LINES - 3].iter().cloned());
                    page.push("[continued in the original record]".to_string());
                } else {
                    page.extend(body.iter().cloned());
                }
            } else if n == 0 {
                page.push("[no text is held for this document; see the original record]".to_string());
            }
            pages.push(page);
        }
    }
    pages
}

/// Lines no wider than the page, long ones broken at the width.
fn wrap(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let clean = crate::domain::text::clean(line).into_owned();
        let chars: Vec<char> = clean.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
            continue;
        }
        for chunk in chars.chunks(LINE_CHARS) {
            out.push(chunk.iter().collect());
        }
    }
    out
}

/// `RGH-00041 · page 3 of 116`.
pub fn footer(number: &str, n: usize, of: usize) -> String {
    format!("{number} · page {n} of {of}")
}

/// The packet's PDF and how many pages it has.
pub fn packet_pdf(layout: &PacketLayout) -> Result<(Vec<u8>, usize), PdfError> {
    let pages = paginate(layout);
    let font = Font::new(Arc::new(FONT.to_vec()).into(), 0).ok_or(PdfError::Font)?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(PdfError::Font)?;
    let total = pages.len();
    let mut document = Document::new();
    for (i, lines) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (row, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let y = MARGIN + FONT_SIZE + row as f32 * LINE_HEIGHT;
            surface.draw_text(Point::from_xy(MARGIN, y), font.clone(), FONT_SIZE, line, false, TextDirection::Auto);
        }
        let foot = footer(&layout.request_number, i + 1, total);
        surface.draw_text(
            Point::from_xy(MARGIN, PAGE_HEIGHT - MARGIN + LINE_HEIGHT),
            font.clone(),
            FONT_SIZE,
            &foot,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    let bytes = document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))?;
    Ok((bytes, total))
}

/// One document in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestDocument {
    /// Its row in the packet as the clerk saw it.
    pub row: usize,
    pub date: String,
    pub doc_type: String,
    pub title: String,
    pub pages: i64,
    pub flags: Vec<String>,
    pub included: bool,
    /// Why it was left out (the rule's words, or the clerk's choice); empty when it went.
    pub reason: String,
}

/// The packet's manifest: what went, what was left out and why, the notices, and the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub request: String,
    pub patient: String,
    pub recipient: String,
    pub released_on: String,
    pub released_by: String,
    pub pages_released: i64,
    pub pages_requested: i64,
    pub pdf_file: String,
    pub pdf_pages: usize,
    pub pdf_bytes: usize,
    pub pdf_sha256: String,
    pub notices: Vec<String>,
    pub notice_template_version: Option<i64>,
    pub partial_confirmed_by: Option<String>,
    pub documents: Vec<ManifestDocument>,
}

/// Lower-case hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(doc_pages: &[usize]) -> PacketLayout {
        PacketLayout {
            request_number: "RGH-00041".into(),
            front: vec!["Cover sheet\nRGH-00041".into()],
            documents: doc_pages
                .iter()
                .enumerate()
                .map(|(i, p)| PrintedDocument {
                    heading: format!("Document {i}"),
                    text: (0..200).map(|l| format!("line {l}\n")).collect(),
                    pages: *p,
                })
                .collect(),
        }
    }

    #[test]
    fn each_document_fills_exactly_its_pages_after_the_front_matter() {
        let pages = paginate(&layout(&[3, 1, 5]));
        assert_eq!(pages.len(), 1 + 3 + 1 + 5);
        assert_eq!(pages[1][0], "Document 0 — page 1 of 3");
        assert_eq!(pages[4][0], "Document 1 — page 1 of 1");
        assert!(pages.iter().all(|p| p.len() <= BODY_LINES), "no page runs into its footer");
        assert!(pages[4].last().unwrap().contains("continued in the original record"), "200 lines on one page");
    }

    #[test]
    fn a_document_without_text_still_takes_its_pages() {
        let mut l = layout(&[2]);
        l.documents[0].text = String::new();
        let pages = paginate(&l);
        assert_eq!(pages.len(), 3);
        assert!(pages[1][2].contains("no text is held"));
    }

    #[test]
    fn the_pdf_has_every_page_and_its_footer() {
        let (pdf, total) = packet_pdf(&layout(&[2, 2])).unwrap();
        assert_eq!(total, 5);
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 5"));
        assert_eq!(footer("RGH-00041", 3, 5), "RGH-00041 · page 3 of 5");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
