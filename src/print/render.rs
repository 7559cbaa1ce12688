//! Laid-out blocks → ESC/POS bytes, through the escpos crate and an in-memory
//! driver. Chinese goes out as GB18030 with `FS &` after every `ESC @` (no
//! page code); the drawer kick is the full five bytes from the profile; the
//! QR code is Model 2 (escpos defaults to Model 1).

use super::layout::{layout, Block, JobInfo, Shop};
use super::profile::{CutKind, Profile, TextEncoding};
use super::text::Charset;
use crate::domain::job::JobDoc;
use crate::domain::job::JobRecord;
use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{
    Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};
use std::sync::{Arc, Mutex};

/// Collects what escpos writes.
#[derive(Clone, Default)]
struct MemoryDriver(Arc<Mutex<Vec<u8>>>);

impl Driver for MemoryDriver {
    fn name(&self) -> String {
        "memory".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot render the ticket ({0}); this is a passline bug: report it with the job number")]
pub struct RenderError(String);

impl From<escpos::errors::PrinterError> for RenderError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        RenderError(e.to_string())
    }
}

pub fn charset(profile: &Profile) -> Charset {
    Charset {
        chinese: profile.chinese.encoding == TextEncoding::Gb18030,
        four_byte: profile.chinese.four_byte,
    }
}

/// The document a spooled job prints now: a job that was sent before (a
/// crash or a cut connection midway) goes out marked as a possible duplicate.
pub fn doc_to_send(job: &JobRecord) -> JobDoc {
    if job.attempts == 0 && !job.interrupted {
        return job.doc.clone();
    }
    match &job.doc {
        JobDoc::Reprint {
            of_job,
            original_at,
            doc,
            ..
        } => JobDoc::Reprint {
            of_job: *of_job,
            original_at: *original_at,
            possible_duplicate: true,
            doc: doc.clone(),
        },
        d => JobDoc::Reprint {
            of_job: job.job,
            original_at: job.created_at,
            possible_duplicate: true,
            doc: Box::new(d.clone()),
        },
    }
}

/// The bytes for a spooled job as it goes out now.
pub fn render_job(job: &JobRecord, profile: &Profile, shop: &Shop) -> Result<Vec<u8>, RenderError> {
    let info = JobInfo {
        job: job.job,
        created_at: job.created_at,
    };
    render_doc(&doc_to_send(job), &info, profile, shop)
}

pub fn render_doc(
    doc: &JobDoc,
    info: &JobInfo,
    profile: &Profile,
    shop: &Shop,
) -> Result<Vec<u8>, RenderError> {
    let blocks = layout(doc, info, shop, profile.columns(), charset(profile));
    render_blocks(&blocks, profile)
}

pub fn render_blocks(blocks: &[Block], profile: &Profile) -> Result<Vec<u8>, RenderError> {
    let driver = MemoryDriver::default();
    let protocol = Protocol::new(Encoder::new(encoding_rs::GB18030));
    let mut p = Printer::new(driver.clone(), protocol, None);
    p.init()?;
    if profile.chinese.encoding == TextEncoding::Gb18030 {
        p.custom(&profile.chinese.enter)?;
    }
    let (mut size, mut bold, mut reverse) = (1u8, false, false);
    for b in blocks {
        match b {
            Block::Line {
                text,
                size: s,
                bold: bo,
                reverse: r,
            } => {
                if *s != size {
                    p.size(*s, *s)?;
                    size = *s;
                }
                if *bo != bold {
                    p.bold(*bo)?;
                    bold = *bo;
                }
                if *r != reverse {
                    p.reverse(*r)?;
                    reverse = *r;
                }
                p.writeln(text)?;
            }
            Block::Qr(data) => {
                if profile.qr.supported {
                    let model = if profile.qr.model == 1 {
                        QRCodeModel::Model1
                    } else {
                        QRCodeModel::Model2
                    };
                    let opt = QRCodeOption::new(model, profile.qr.size, QRCodeCorrectionLevel::M);
                    p.justify(JustifyMode::CENTER)?;
                    p.qrcode_option(data, opt)?;
                    p.feed()?;
                    p.justify(JustifyMode::LEFT)?;
                } else {
                    p.writeln(&super::text::sanitize(data, charset(profile)))?;
                }
            }
            Block::Drawer => {
                p.custom(&profile.drawer.pulse())?;
            }
            Block::Cut => {
                if size != 1 {
                    p.reset_size()?;
                    size = 1;
                }
                p.feeds(profile.cutter.feed_lines)?;
                match profile.cutter.kind {
                    CutKind::Full => {
                        p.cut()?;
                    }
                    CutKind::Partial => {
                        p.partial_cut()?;
                    }
                    CutKind::None => {}
                }
            }
        }
    }
    p.print()?;
    let bytes = std::mem::take(&mut *driver.0.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(bytes)
}

/// The job as the screen's print preview shows it: rendered, then decoded.
pub fn preview_text(job: &JobRecord, profile: &Profile) -> Vec<String> {
    preview_text_for(job, profile, &Shop::default())
}

pub fn preview_text_for(job: &JobRecord, profile: &Profile, shop: &Shop) -> Vec<String> {
    // A printed job's attempt was counted before its last send: show it as
    // that send printed it (marked only if an earlier send had started).
    let as_printed;
    let job = if job.state == crate::domain::job::JobState::Done && job.attempts > 0 {
        as_printed = JobRecord {
            attempts: job.attempts - 1,
            ..job.clone()
        };
        &as_printed
    } else {
        job
    };
    match render_job(job, profile, shop) {
        Ok(bytes) => super::decode::decode(&bytes),
        Err(e) => vec![e.to_string()],
    }
}
