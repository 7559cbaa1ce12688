//! The day file's bytes: the writer that streams a day's records into lz4
//! blocks behind a header, and the reader of both file versions (the
//! layout is in `store::archive`'s opening doc).

use super::*;

/// Writes a day file as its records come: raw records gather up to
/// [`BLOCK`] bytes, then go out as one lz4 block; the header (packed length
/// and checksum) is filled in at the end. Archiving a day holds a block in
/// memory, not the day.
pub(super) struct DayWriter<W: Write + Seek> {
    out: W,
    raw: Vec<u8>,
    sum: Fnv,
    packed: u64,
    first_event: Option<u64>,
    last_event: u64,
    events: u64,
    orders: u64,
}

impl<W: Write + Seek> DayWriter<W> {
    pub(super) fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(MAGIC)?;
        out.write_all(&[0; 16])?;
        Ok(DayWriter {
            out,
            raw: Vec::with_capacity(BLOCK + (BLOCK >> 2)),
            sum: Fnv::new(),
            packed: 0,
            first_event: None,
            last_event: 0,
            events: 0,
            orders: 0,
        })
    }

    fn record(&mut self, kind: u8, id: u64, v: &[u8]) -> std::io::Result<()> {
        self.raw.push(kind);
        self.raw.extend_from_slice(&id.to_be_bytes());
        self.raw.extend_from_slice(&(v.len() as u32).to_be_bytes());
        self.raw.extend_from_slice(v);
        if self.raw.len() >= BLOCK {
            self.block()?;
        }
        Ok(())
    }

    pub(super) fn event(&mut self, id: u64, v: &[u8]) -> std::io::Result<()> {
        self.first_event.get_or_insert(id);
        self.last_event = id;
        self.events += 1;
        self.record(KIND_EVENT, id, v)
    }

    pub(super) fn order(&mut self, v: &[u8]) -> std::io::Result<()> {
        self.orders += 1;
        self.record(KIND_ORDER, 0, v)
    }

    fn block(&mut self) -> std::io::Result<()> {
        if self.raw.is_empty() {
            return Ok(());
        }
        let block = lz4_flex::block::compress(&self.raw);
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&(self.raw.len() as u32).to_be_bytes());
        head[4..].copy_from_slice(&(block.len() as u32).to_be_bytes());
        for part in [&head[..], &block] {
            self.sum.feed(part);
            self.out.write_all(part)?;
            self.packed += part.len() as u64;
        }
        self.raw.clear();
        Ok(())
    }

    /// Writes the last block and the header; returns the writer and what
    /// the file holds (its `bytes` is the file's length).
    pub(super) fn finish(mut self, date: String) -> std::io::Result<(W, ArchivedDay)> {
        self.block()?;
        self.out
            .seek(std::io::SeekFrom::Start(MAGIC.len() as u64))?;
        self.out.write_all(&self.packed.to_be_bytes())?;
        self.out.write_all(&self.sum.0.to_be_bytes())?;
        self.out.flush()?;
        let day = ArchivedDay {
            date,
            first_event: self.first_event.unwrap_or(0),
            last_event: self.last_event,
            events: self.events,
            orders: self.orders,
            bytes: (MAGIC.len() + 16) as u64 + self.packed,
        };
        Ok((self.out, day))
    }
}

/// Encodes a day's records into the file's bytes (the same bytes archiving
/// writes to disk for them).
pub fn to_bytes(recs: &DayRecords) -> Vec<u8> {
    let encode = || -> std::io::Result<Vec<u8>> {
        let mut w = DayWriter::new(std::io::Cursor::new(Vec::new()))?;
        for (id, v) in &recs.events {
            w.event(*id, v)?;
        }
        for v in recs.orders.values() {
            w.order(v)?;
        }
        Ok(w.finish(String::new())?.0.into_inner())
    };
    encode().expect("writing to memory cannot fail")
}

/// Reads a day file's bytes back, checking the header and checksum.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<DayRecords> {
    let head = MAGIC.len() + 16;
    let version = match bytes.get(..MAGIC.len()) {
        Some(m) if m == MAGIC => 2,
        Some(m) if m == MAGIC_V1 => 1,
        _ => return Err(damaged(path, "wrong header")),
    };
    if bytes.len() < head {
        return Err(damaged(path, "wrong header"));
    }
    let len = be_u64(&bytes[MAGIC.len()..MAGIC.len() + 8]) as usize;
    let want = be_u64(&bytes[MAGIC.len() + 8..head]);
    let packed = &bytes[head..];
    if packed.len() != len {
        return Err(damaged(path, "truncated"));
    }
    let mut sum = Fnv::new();
    sum.feed(packed);
    if sum.0 != want {
        return Err(damaged(path, "checksum mismatch"));
    }
    let body = if version == 1 {
        // The size in front is checked first: lz4 never grows a body past
        // 255x its packed size, and a larger claim would be allocated blind.
        let claimed = packed
            .get(..4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if claimed > packed.len().saturating_mul(255) {
            return Err(damaged(path, "block size"));
        }
        lz4_flex::decompress_size_prepended(packed).map_err(|e| damaged(path, &e.to_string()))?
    } else {
        unpack_blocks(path, packed)?
    };
    let mut recs = DayRecords::default();
    let mut at = 0usize;
    while at < body.len() {
        if body.len() - at < 13 {
            return Err(damaged(path, "short record"));
        }
        let kind = body[at];
        let id = be_u64(&body[at + 1..at + 9]);
        let n = be_u64(&body[at + 9..at + 13]) as usize;
        at += 13;
        let v = body
            .get(at..at + n)
            .ok_or_else(|| damaged(path, "short record"))?
            .to_vec();
        at += n;
        match kind {
            KIND_EVENT => {
                recs.events.insert(id, v);
            }
            KIND_ORDER => {
                let st: OrderState = decode(&v)?;
                recs.orders.insert(st.order.id.0, v);
            }
            _ => return Err(damaged(path, "unknown record")),
        }
    }
    Ok(recs)
}

/// Whether `raw` bytes can come out of `packed` bytes of lz4: a block never
/// grows past 255 times its packed size, so a larger claim is damage.
fn lz4_can_reach(raw: usize, packed: usize) -> bool {
    raw <= packed.saturating_mul(255)
}

/// A version-2 body: its lz4 blocks, decompressed one after the other.
pub(super) fn unpack_blocks(path: &Path, mut packed: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while !packed.is_empty() {
        if packed.len() < 8 {
            return Err(damaged(path, "short block"));
        }
        let raw = be_u64(&packed[..4]) as usize;
        let n = be_u64(&packed[4..8]) as usize;
        let block = packed
            .get(8..8 + n)
            .ok_or_else(|| damaged(path, "short block"))?;
        if !lz4_can_reach(raw, n) {
            return Err(damaged(path, "block size"));
        }
        let start = body.len();
        body.resize(start + raw, 0);
        let got = lz4_flex::block::decompress_into(block, &mut body[start..])
            .map_err(|e| damaged(path, &e.to_string()))?;
        if got != raw {
            return Err(damaged(path, "block size"));
        }
        packed = &packed[8 + n..];
    }
    Ok(body)
}
