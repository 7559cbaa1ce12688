//! A FUSE filesystem that models a disk cache strictly, for the power-cut
//! test: file data is durable only once that file is fsynced, a name only
//! once its directory is fsynced, and [`Disk::cut`] drops everything else.
//!
//! The daemon runs in the test process (fuser's background session thread)
//! and keeps everything in memory. Each regular file holds its live bytes
//! and the bytes its last fsync saw; writes mark 4 KiB pages dirty and an
//! fsync copies only those pages (plus the tail past the lowest size since
//! the last fsync). Each directory holds its live entries and the entries
//! its last fsyncdir saw. A cut reverts every inode to its durable copy,
//! keeps only what the durable entries reach from the root, and invalidates
//! every open handle. Entries and attributes are replied with a zero TTL
//! and files are opened with direct I/O so the kernel caches nothing that
//! could hide a cut.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    AccessFlags, BackgroundSession, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags,
    Generation, INodeNo, LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request,
    TimeOrNow, WriteFlags,
};

/// The unit of dirty tracking: what an fsync copies into the durable copy.
const PAGE: u64 = 4096;
/// FUSE's root inode number.
const ROOT: u64 = 1;
/// Entries and attributes expire at once: after a cut the kernel must ask again.
const TTL: Duration = Duration::ZERO;

/// What the disk did, for the test's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskStats {
    /// Every request the daemon answered (including the ones failed while dead).
    pub ops: u64,
    /// Write requests applied.
    pub writes: u64,
    /// Bytes those writes carried.
    pub bytes_written: u64,
    /// File fsyncs (fsync and fdatasync) applied.
    pub fsyncs: u64,
    /// Directory fsyncs applied.
    pub dir_fsyncs: u64,
    /// Power cuts, by `cut` or by `cut_after_ops`.
    pub cuts: u64,
    /// Bytes that may have differed from the durable copy at the cuts
    /// (pages written since the file's last fsync, and growth): an upper bound.
    pub dropped_bytes: u64,
    /// Directory entries (names added or removed) not yet durable at the cuts.
    pub dropped_names: u64,
}

/// Owner, mode and times: live, and as the last fsync saw them.
#[derive(Debug, Clone, Copy)]
struct Meta {
    perm: u16,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
}

impl Meta {
    fn new(perm: u16, uid: u32, gid: u32) -> Meta {
        let now = SystemTime::now();
        Meta {
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }
}

/// A regular file's bytes: live, and as the last fsync saw them.
#[derive(Debug, Default)]
struct FileData {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// Pages written since the last fsync.
    dirty: BTreeSet<u64>,
    /// The lowest live size since the last fsync: every live byte at or past
    /// it is either zero or in a dirty page.
    low_water: u64,
}

impl FileData {
    fn mark_dirty(&mut self, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        let first = offset / PAGE;
        let last = (offset + len - 1) / PAGE;
        self.dirty.extend(first..=last);
    }

    fn set_len(&mut self, size: u64) {
        self.live.resize(to_usize(size), 0);
        self.low_water = self.low_water.min(size);
    }

    /// Makes the live bytes durable, copying only what may differ.
    fn sync(&mut self) {
        let keep = self.durable.len().min(to_usize(self.low_water));
        self.durable.truncate(keep);
        self.durable.resize(self.live.len(), 0);
        let len = self.live.len();
        for &page in &self.dirty {
            let start = to_usize(page * PAGE);
            if start >= len {
                break;
            }
            let end = (start + PAGE as usize).min(len);
            self.durable[start..end].copy_from_slice(&self.live[start..end]);
        }
        self.dirty.clear();
        self.low_water = len as u64;
    }

    /// An upper bound of the live bytes that may differ from the durable copy.
    fn undurable_bytes(&self) -> u64 {
        let len = self.live.len() as u64;
        let low = self.low_water.min(len);
        let pages: u64 = self
            .dirty
            .iter()
            .map(|&p| (p * PAGE).min(low)..((p + 1) * PAGE).min(low))
            .map(|r| r.end - r.start)
            .sum();
        pages + (len - low)
    }

    fn revert(&mut self) {
        self.live.clone_from(&self.durable);
        self.dirty.clear();
        self.low_water = self.live.len() as u64;
    }
}

/// A directory's entries: live, and as the last fsyncdir saw them.
#[derive(Debug, Default)]
struct DirData {
    live: BTreeMap<OsString, u64>,
    durable: BTreeMap<OsString, u64>,
}

#[derive(Debug)]
enum Body {
    File(FileData),
    Dir(DirData),
}

#[derive(Debug)]
struct Inode {
    meta: Meta,
    durable_meta: Meta,
    body: Body,
    /// Live directory entries naming this inode.
    live_links: u32,
    /// Durable directory entries naming this inode.
    durable_links: u32,
    /// For a directory, its live parent (for ".."); the root is its own.
    parent: u64,
}

impl Inode {
    fn kind(&self) -> FileType {
        match self.body {
            Body::File(_) => FileType::RegularFile,
            Body::Dir(_) => FileType::Directory,
        }
    }

    fn attr(&self, ino: u64) -> FileAttr {
        let (size, nlink) = match &self.body {
            Body::File(f) => (f.live.len() as u64, 1),
            Body::Dir(_) => (PAGE, 2),
        };
        FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: self.meta.atime,
            mtime: self.meta.mtime,
            ctime: self.meta.ctime,
            crtime: self.meta.ctime,
            kind: self.kind(),
            perm: self.meta.perm,
            nlink,
            uid: self.meta.uid,
            gid: self.meta.gid,
            rdev: 0,
            blksize: PAGE as u32,
            flags: 0,
        }
    }
}

/// An open file or directory. Cleared at a cut, so a handle opened before
/// it fails with EIO afterwards.
#[derive(Debug)]
struct Handle {
    ino: u64,
    /// A directory's entries as the first readdir saw them.
    listing: Option<Vec<(u64, FileType, OsString)>>,
}

#[derive(Debug)]
struct State {
    inodes: HashMap<u64, Inode>,
    next_ino: u64,
    handles: HashMap<u64, Handle>,
    next_fh: u64,
    dead: bool,
    mutating: u64,
    cut_at: Option<u64>,
    stats: DiskStats,
    /// Renames across two directories not yet durable in either. A rename
    /// is one metadata operation on a real filesystem (one journal
    /// transaction on ext4): when either directory is fsynced it becomes
    /// durable in both, so no cut can leave a file named in both folders
    /// (or a directory with two parents) or in neither.
    pending_renames: Vec<PendingRename>,
}

#[derive(Debug)]
struct PendingRename {
    from: u64,
    name: OsString,
    to: u64,
    newname: OsString,
    ino: u64,
}

type Res<T> = Result<T, Errno>;

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn time(t: TimeOrNow) -> SystemTime {
    match t {
        TimeOrNow::SpecificTime(t) => t,
        TimeOrNow::Now => SystemTime::now(),
    }
}

impl State {
    fn new() -> State {
        // SAFETY: geteuid and getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let meta = Meta::new(0o755, uid, gid);
        let root = Inode {
            meta,
            durable_meta: meta,
            body: Body::Dir(DirData::default()),
            live_links: 1,
            durable_links: 1,
            parent: ROOT,
        };
        State {
            inodes: HashMap::from([(ROOT, root)]),
            next_ino: ROOT + 1,
            handles: HashMap::new(),
            next_fh: 1,
            dead: false,
            mutating: 0,
            pending_renames: Vec::new(),
            cut_at: None,
            stats: DiskStats::default(),
        }
    }

    /// Every request starts here: counted, and failed while the power is off.
    fn alive(&mut self) -> Res<()> {
        self.stats.ops += 1;
        if self.dead {
            Err(Errno::EIO)
        } else {
            Ok(())
        }
    }

    /// Every mutating request starts here: the armed cut happens just before
    /// the chosen one, which is then not applied.
    fn mutation(&mut self) -> Res<()> {
        self.alive()?;
        self.mutating += 1;
        if self.cut_at == Some(self.mutating) {
            self.cut();
            return Err(Errno::EIO);
        }
        Ok(())
    }

    fn inode(&self, ino: u64) -> Res<&Inode> {
        self.inodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn inode_mut(&mut self, ino: u64) -> Res<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir(&self, ino: u64) -> Res<&DirData> {
        match &self.inode(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> Res<&mut DirData> {
        match &mut self.inode_mut(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn file_mut(&mut self, ino: u64) -> Res<&mut FileData> {
        match &mut self.inode_mut(ino)?.body {
            Body::File(f) => Ok(f),
            Body::Dir(_) => Err(Errno::EISDIR),
        }
    }

    fn attr(&self, ino: u64) -> Res<FileAttr> {
        Ok(self.inode(ino)?.attr(ino))
    }

    fn handle(&self, fh: FileHandle, ino: INodeNo) -> Res<&Handle> {
        match self.handles.get(&fh.0) {
            Some(h) if h.ino == ino.0 => Ok(h),
            _ => Err(Errno::EIO),
        }
    }

    fn open_handle(&mut self, ino: u64) -> FileHandle {
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, Handle { ino, listing: None });
        FileHandle(fh)
    }

    fn touch_dir(&mut self, ino: u64) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            let now = SystemTime::now();
            inode.meta.mtime = now;
            inode.meta.ctime = now;
        }
    }

    /// Frees the inode once nothing names it (live or durable) and nothing has
    /// it open; a freed directory lets go of its own children in turn.
    fn maybe_free(&mut self, ino: u64) {
        let mut work = vec![ino];
        while let Some(ino) = work.pop() {
            if ino == ROOT {
                continue;
            }
            let Some(inode) = self.inodes.get(&ino) else {
                continue;
            };
            if inode.live_links > 0
                || inode.durable_links > 0
                || self.handles.values().any(|h| h.ino == ino)
            {
                continue;
            }
            let Some(inode) = self.inodes.remove(&ino) else {
                continue;
            };
            if let Body::Dir(d) = inode.body {
                for child in d.live.values() {
                    if let Some(c) = self.inodes.get_mut(child) {
                        c.live_links = c.live_links.saturating_sub(1);
                    }
                    work.push(*child);
                }
                for child in d.durable.values() {
                    if let Some(c) = self.inodes.get_mut(child) {
                        c.durable_links = c.durable_links.saturating_sub(1);
                    }
                    work.push(*child);
                }
            }
        }
    }

    /// The power goes: every inode reverts to its durable copy, only what
    /// the durable entries reach from the root stays, every handle dies.
    fn cut(&mut self) {
        self.dead = true;
        self.cut_at = None;
        self.pending_renames.clear();
        self.stats.cuts += 1;
        self.handles.clear();
        for inode in self.inodes.values_mut() {
            inode.meta = inode.durable_meta;
            match &mut inode.body {
                Body::File(f) => {
                    self.stats.dropped_bytes += f.undurable_bytes();
                    f.revert();
                }
                Body::Dir(d) => {
                    let added = d.live.iter().filter(|(n, i)| d.durable.get(*n) != Some(i));
                    let removed = d.durable.iter().filter(|(n, i)| d.live.get(*n) != Some(i));
                    self.stats.dropped_names += (added.count() + removed.count()) as u64;
                    d.live.clone_from(&d.durable);
                }
            }
        }
        let mut reached = HashSet::from([ROOT]);
        let mut queue = vec![ROOT];
        let mut parents = Vec::new();
        while let Some(dir) = queue.pop() {
            let children: Vec<u64> = match self.inodes.get(&dir).map(|i| &i.body) {
                Some(Body::Dir(d)) => d.live.values().copied().collect(),
                _ => continue,
            };
            for child in children {
                if self.inodes.contains_key(&child) && reached.insert(child) {
                    parents.push((child, dir));
                    queue.push(child);
                }
            }
        }
        self.inodes.retain(|ino, _| reached.contains(ino));
        let mut links: HashMap<u64, u32> = HashMap::new();
        for inode in self.inodes.values_mut() {
            if let Body::Dir(d) = &mut inode.body {
                d.live.retain(|_, child| reached.contains(child));
                d.durable.clone_from(&d.live);
                for child in d.live.values() {
                    *links.entry(*child).or_default() += 1;
                }
            }
        }
        for (ino, inode) in self.inodes.iter_mut() {
            let n = if *ino == ROOT {
                1
            } else {
                links.get(ino).copied().unwrap_or(0)
            };
            inode.live_links = n;
            inode.durable_links = n;
        }
        for (child, parent) in parents {
            if let Some(inode) = self.inodes.get_mut(&child) {
                inode.parent = parent;
            }
        }
        self.renumber();
    }

    /// Gives every surviving inode but the root a new number. A real power
    /// cut reboots the box and the kernel's caches go with it; here the
    /// kernel keeps its dentries, and one that still names a folder at its
    /// pre-cut place would clash with the same folder found at its durable
    /// place (ESTALE). With new numbers every old dentry simply fails to
    /// revalidate and is looked up afresh.
    fn renumber(&mut self) {
        let old: Vec<u64> = self.inodes.keys().copied().filter(|i| *i != ROOT).collect();
        let mut map: HashMap<u64, u64> = HashMap::from([(ROOT, ROOT)]);
        for ino in old {
            map.insert(ino, self.next_ino);
            self.next_ino += 1;
        }
        let inodes = std::mem::take(&mut self.inodes);
        for (ino, mut inode) in inodes {
            if let Body::Dir(d) = &mut inode.body {
                for child in d.live.values_mut().chain(d.durable.values_mut()) {
                    *child = map[child];
                }
            }
            inode.parent = map.get(&inode.parent).copied().unwrap_or(ROOT);
            self.inodes.insert(map[&ino], inode);
        }
    }

    fn lookup(&mut self, parent: INodeNo, name: &OsStr) -> Res<FileAttr> {
        self.alive()?;
        let ino = *self.dir(parent.0)?.live.get(name).ok_or(Errno::ENOENT)?;
        self.attr(ino)
    }

    #[allow(clippy::too_many_arguments)]
    fn setattr(
        &mut self,
        ino: INodeNo,
        fh: Option<FileHandle>,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        ctime: Option<SystemTime>,
    ) -> Res<FileAttr> {
        self.mutation()?;
        // ftruncate/fchmod name their handle: one from before a cut is dead.
        if let Some(fh) = fh {
            self.handle(fh, ino)?;
        }
        let ino = ino.0;
        if let Some(size) = size {
            self.file_mut(ino)?.set_len(size);
        }
        let inode = self.inode_mut(ino)?;
        let now = SystemTime::now();
        if size.is_some() {
            inode.meta.mtime = now;
        }
        if let Some(mode) = mode {
            inode.meta.perm = (mode & 0o7777) as u16;
        }
        if let Some(uid) = uid {
            inode.meta.uid = uid;
        }
        if let Some(gid) = gid {
            inode.meta.gid = gid;
        }
        if let Some(t) = atime {
            inode.meta.atime = time(t);
        }
        if let Some(t) = mtime {
            inode.meta.mtime = time(t);
        }
        inode.meta.ctime = ctime.unwrap_or(now);
        Ok(inode.attr(ino))
    }

    /// Adds a new inode under `parent/name` (live only).
    fn add_entry(&mut self, parent: INodeNo, name: &OsStr, body: Body, meta: Meta) -> Res<u64> {
        if self.dir(parent.0)?.live.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let inode = Inode {
            meta,
            durable_meta: meta,
            body,
            live_links: 1,
            durable_links: 0,
            parent: parent.0,
        };
        self.inodes.insert(ino, inode);
        self.dir_mut(parent.0)?.live.insert(name.to_owned(), ino);
        self.touch_dir(parent.0);
        Ok(ino)
    }

    fn new_file(
        &mut self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
    ) -> Res<u64> {
        let perm = (mode & !umask & 0o7777) as u16;
        let meta = Meta::new(perm, req.uid(), req.gid());
        self.add_entry(parent, name, Body::File(FileData::default()), meta)
    }

    fn unlink(&mut self, parent: INodeNo, name: &OsStr, want_dir: bool) -> Res<()> {
        self.mutation()?;
        let child = *self.dir(parent.0)?.live.get(name).ok_or(Errno::ENOENT)?;
        match (&self.inode(child)?.body, want_dir) {
            (Body::Dir(_), false) => return Err(Errno::EISDIR),
            (Body::File(_), true) => return Err(Errno::ENOTDIR),
            (Body::Dir(d), true) if !d.live.is_empty() => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        self.dir_mut(parent.0)?.live.remove(name);
        self.touch_dir(parent.0);
        let inode = self.inode_mut(child)?;
        inode.live_links = inode.live_links.saturating_sub(1);
        inode.meta.ctime = SystemTime::now();
        self.maybe_free(child);
        Ok(())
    }

    fn rename(
        &mut self,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
    ) -> Res<()> {
        self.mutation()?;
        let noreplace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        if !(flags - RenameFlags::RENAME_NOREPLACE).is_empty() {
            return Err(Errno::EINVAL);
        }
        let src = *self.dir(parent.0)?.live.get(name).ok_or(Errno::ENOENT)?;
        let src_is_dir = matches!(self.inode(src)?.body, Body::Dir(_));
        if let Some(&dst) = self.dir(newparent.0)?.live.get(newname) {
            if noreplace {
                return Err(Errno::EEXIST);
            }
            if dst == src {
                return Ok(());
            }
            match (&self.inode(dst)?.body, src_is_dir) {
                (Body::File(_), true) => return Err(Errno::ENOTDIR),
                (Body::Dir(_), false) => return Err(Errno::EISDIR),
                (Body::Dir(d), true) if !d.live.is_empty() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        }
        if src_is_dir {
            // A directory cannot move under itself.
            let mut at = newparent.0;
            loop {
                if at == src {
                    return Err(Errno::EINVAL);
                }
                if at == ROOT {
                    break;
                }
                at = self.inode(at)?.parent;
            }
        }
        self.dir_mut(parent.0)?.live.remove(name);
        let replaced = self
            .dir_mut(newparent.0)?
            .live
            .insert(newname.to_owned(), src);
        if parent.0 != newparent.0 {
            self.pending_renames.push(PendingRename {
                from: parent.0,
                name: name.to_owned(),
                to: newparent.0,
                newname: newname.to_owned(),
                ino: src,
            });
        }
        self.touch_dir(parent.0);
        self.touch_dir(newparent.0);
        let inode = self.inode_mut(src)?;
        inode.meta.ctime = SystemTime::now();
        if src_is_dir {
            inode.parent = newparent.0;
        }
        if let Some(old) = replaced {
            let inode = self.inode_mut(old)?;
            inode.live_links = inode.live_links.saturating_sub(1);
            self.maybe_free(old);
        }
        Ok(())
    }

    fn write(
        &mut self,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        flags: OpenFlags,
    ) -> Res<u32> {
        self.mutation()?;
        self.handle(fh, ino)?;
        let file = self.file_mut(ino.0)?;
        let offset = if flags.0 & libc::O_APPEND != 0 {
            file.live.len() as u64
        } else {
            offset
        };
        let end = offset + data.len() as u64;
        if end > file.live.len() as u64 {
            file.live.resize(to_usize(end), 0);
        }
        file.live[to_usize(offset)..to_usize(end)].copy_from_slice(data);
        file.mark_dirty(offset, data.len() as u64);
        let inode = self.inode_mut(ino.0)?;
        let now = SystemTime::now();
        inode.meta.mtime = now;
        inode.meta.ctime = now;
        self.stats.writes += 1;
        self.stats.bytes_written += data.len() as u64;
        Ok(data.len() as u32)
    }

    fn read(&mut self, ino: INodeNo, fh: FileHandle, offset: u64, size: u32) -> Res<Vec<u8>> {
        self.alive()?;
        self.handle(fh, ino)?;
        let file = self.file_mut(ino.0)?;
        let len = file.live.len();
        let start = to_usize(offset).min(len);
        let end = start.saturating_add(size as usize).min(len);
        Ok(file.live[start..end].to_vec())
    }

    fn fsync(&mut self, ino: INodeNo, fh: FileHandle) -> Res<()> {
        self.mutation()?;
        self.handle(fh, ino)?;
        let inode = self.inode_mut(ino.0)?;
        inode.durable_meta = inode.meta;
        match &mut inode.body {
            Body::File(f) => {
                f.sync();
                self.stats.fsyncs += 1;
            }
            Body::Dir(_) => return self.sync_dir(ino.0),
        }
        Ok(())
    }

    fn sync_dir(&mut self, ino: u64) -> Res<()> {
        let inode = self.inode_mut(ino)?;
        inode.durable_meta = inode.meta;
        let Body::Dir(d) = &mut inode.body else {
            return Err(Errno::ENOTDIR);
        };
        let fresh = d.live.clone();
        let old = std::mem::replace(&mut d.durable, fresh);
        let new: Vec<u64> = d.durable.values().copied().collect();
        for child in &new {
            if let Some(c) = self.inodes.get_mut(child) {
                c.durable_links += 1;
            }
        }
        for child in old.values() {
            if let Some(c) = self.inodes.get_mut(child) {
                c.durable_links = c.durable_links.saturating_sub(1);
            }
        }
        for child in old.values() {
            self.maybe_free(*child);
        }
        self.settle_renames(ino);
        self.stats.dir_fsyncs += 1;
        Ok(())
    }

    /// Makes the other side of every pending rename touching `dir` durable
    /// too (see `pending_renames`).
    fn settle_renames(&mut self, dir: u64) {
        let (touching, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_renames)
            .into_iter()
            .partition(|r| r.from == dir || r.to == dir);
        self.pending_renames = rest;
        for r in touching {
            if r.from != dir {
                // The source folder forgets the old name.
                let removed = match self.inodes.get_mut(&r.from).map(|i| &mut i.body) {
                    Some(Body::Dir(d)) if d.durable.get(&r.name) == Some(&r.ino) => {
                        d.durable.remove(&r.name)
                    }
                    _ => None,
                };
                if let Some(i) = removed {
                    if let Some(c) = self.inodes.get_mut(&i) {
                        c.durable_links = c.durable_links.saturating_sub(1);
                    }
                    self.maybe_free(i);
                }
            } else {
                // The target folder learns the new name (replacing what it named).
                if !self.inodes.contains_key(&r.ino) {
                    continue;
                }
                let replaced = match self.inodes.get_mut(&r.to).map(|i| &mut i.body) {
                    Some(Body::Dir(d)) => Some(d.durable.insert(r.newname.clone(), r.ino)),
                    _ => None,
                };
                if let Some(replaced) = replaced {
                    if let Some(c) = self.inodes.get_mut(&r.ino) {
                        c.durable_links += 1;
                    }
                    if let Some(j) = replaced {
                        if let Some(c) = self.inodes.get_mut(&j) {
                            c.durable_links = c.durable_links.saturating_sub(1);
                        }
                        self.maybe_free(j);
                    }
                }
            }
        }
    }

    fn readdir(
        &mut self,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        reply: &mut ReplyDirectory,
    ) -> Res<()> {
        self.alive()?;
        self.handle(fh, ino)?;
        if offset == 0 {
            let parent = self.inode(ino.0)?.parent;
            let mut listing = vec![
                (ino.0, FileType::Directory, OsString::from(".")),
                (parent, FileType::Directory, OsString::from("..")),
            ];
            for (name, child) in &self.dir(ino.0)?.live {
                if let Some(c) = self.inodes.get(child) {
                    listing.push((*child, c.kind(), name.clone()));
                }
            }
            if let Some(h) = self.handles.get_mut(&fh.0) {
                h.listing = Some(listing);
            }
        }
        let Some(listing) = self.handle(fh, ino)?.listing.as_ref() else {
            return Ok(());
        };
        for (i, (child, kind, name)) in listing.iter().enumerate().skip(to_usize(offset)) {
            if reply.add(INodeNo(*child), i as u64 + 1, *kind, name) {
                break;
            }
        }
        Ok(())
    }
}

/// The daemon's side: fuser calls these from its session thread.
struct DiskFs {
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl DiskFs {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn empty(reply: ReplyEmpty, result: Res<()>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e),
    }
}

fn entry(reply: ReplyEntry, result: Res<FileAttr>) {
    match result {
        Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
        Err(e) => reply.error(e),
    }
}

fn attr(reply: ReplyAttr, result: Res<FileAttr>) {
    match result {
        Ok(attr) => reply.attr(&TTL, &attr),
        Err(e) => reply.error(e),
    }
}

impl Filesystem for DiskFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        entry(reply, self.state().lookup(parent, name));
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, fh: Option<FileHandle>, reply: ReplyAttr) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| {
            // fstat on a handle from before a cut fails like every other use of it.
            if let Some(fh) = fh {
                s.handle(fh, ino)?;
            }
            s.attr(ino.0)
        });
        attr(reply, result);
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let result = self
            .state()
            .setattr(ino, fh, mode, uid, gid, size, atime, mtime, ctime);
        attr(reply, result);
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        let mut s = self.state();
        let result = s.mutation().and_then(|()| {
            let kind = mode & libc::S_IFMT;
            if kind != 0 && kind != libc::S_IFREG {
                return Err(Errno::EPERM);
            }
            let ino = s.new_file(req, parent, name, mode, umask)?;
            s.attr(ino)
        });
        entry(reply, result);
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let mut s = self.state();
        let result = s.mutation().and_then(|()| {
            let perm = (mode & !umask & 0o7777) as u16;
            let meta = Meta::new(perm, req.uid(), req.gid());
            let ino = s.add_entry(parent, name, Body::Dir(DirData::default()), meta)?;
            s.attr(ino)
        });
        entry(reply, result);
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(reply, self.state().unlink(parent, name, false));
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        empty(reply, self.state().unlink(parent, name, true));
    }

    fn symlink(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _link_name: &OsStr,
        _target: &Path,
        reply: ReplyEntry,
    ) {
        self.state().stats.ops += 1;
        reply.error(Errno::ENOSYS);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let result = self.state().rename(parent, name, newparent, newname, flags);
        empty(reply, result);
    }

    fn link(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _newparent: INodeNo,
        _newname: &OsStr,
        reply: ReplyEntry,
    ) {
        self.state().stats.ops += 1;
        reply.error(Errno::ENOSYS);
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| match s.inode(ino.0)?.body {
            Body::File(_) => Ok(s.open_handle(ino.0)),
            Body::Dir(_) => Err(Errno::EISDIR),
        });
        match result {
            Ok(fh) => reply.opened(fh, FopenFlags::FOPEN_DIRECT_IO),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match self.state().read(ino, fh, offset, size) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        match self.state().write(ino, fh, offset, data, flags) {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| s.handle(fh, ino).map(|_| ()));
        empty(reply, result);
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| {
            s.handle(fh, ino)?;
            s.handles.remove(&fh.0);
            s.maybe_free(ino.0);
            Ok(())
        });
        empty(reply, result);
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        empty(reply, self.state().fsync(ino, fh));
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| {
            s.dir(ino.0)?;
            Ok(s.open_handle(ino.0))
        });
        match result {
            Ok(fh) => reply.opened(fh, FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        match self.state().readdir(ino, fh, offset, &mut reply) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn releasedir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| {
            s.handle(fh, ino)?;
            s.handles.remove(&fh.0);
            s.maybe_free(ino.0);
            Ok(())
        });
        empty(reply, result);
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let mut s = self.state();
        let result = s.mutation().and_then(|()| {
            s.handle(fh, ino)?;
            s.sync_dir(ino.0)
        });
        empty(reply, result);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let mut s = self.state();
        match s.alive() {
            // 4 TiB of 4 KiB blocks, all free; a million free inodes.
            Ok(()) => reply.statfs(1 << 30, 1 << 30, 1 << 30, 1 << 20, 1 << 20, 4096, 255, 4096),
            Err(e) => reply.error(e),
        }
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: AccessFlags, reply: ReplyEmpty) {
        let mut s = self.state();
        let result = s.alive().and_then(|()| s.inode(ino.0).map(|_| ()));
        empty(reply, result);
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mut s = self.state();
        let result = s.mutation().and_then(|()| {
            let ino = s.new_file(req, parent, name, mode, umask)?;
            let attr = s.attr(ino)?;
            Ok((attr, s.open_handle(ino)))
        });
        match result {
            Ok((attr, fh)) => {
                reply.created(&TTL, &attr, Generation(0), fh, FopenFlags::FOPEN_DIRECT_IO)
            }
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _length: u64,
        _mode: i32,
        reply: ReplyEmpty,
    ) {
        self.state().stats.ops += 1;
        reply.error(Errno::EOPNOTSUPP);
    }
}

/// Whether FUSE can be used here; Err(message saying what to install) if not.
pub fn fuse_available() -> Result<(), String> {
    let dev = Path::new("/dev/fuse");
    if !dev.exists() {
        return Err(
            "/dev/fuse is missing: load the module (`modprobe fuse`) and, in a \
                    container, pass the device (`--device /dev/fuse --cap-add SYS_ADMIN`)"
                .to_string(),
        );
    }
    if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open(dev) {
        return Err(format!(
            "/dev/fuse cannot be opened ({e}): make it accessible to this user \
             and load the module (`modprobe fuse`)"
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root && find_fusermount3().is_none() {
        return Err(
            "fusermount3 is missing (needed to mount FUSE as a normal user): \
                    `apt-get install fuse3`"
                .to_string(),
        );
    }
    Ok(())
}

fn find_fusermount3() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/bin", "/usr/bin", "/sbin", "/usr/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("fusermount3"))
        .find(|p| p.is_file())
}

/// A mounted disk that keeps only what was fsynced.
pub struct Disk {
    mountpoint: PathBuf,
    state: Arc<Mutex<State>>,
    session: Option<BackgroundSession>,
}

impl std::fmt::Debug for Disk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disk")
            .field("mountpoint", &self.mountpoint)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Disk {
    /// Mounts a fresh empty disk at `mountpoint` (an existing empty dir). Err with a message
    /// saying what to install when /dev/fuse or fusermount3 is missing ("apt-get install fuse3",
    /// "modprobe fuse").
    pub fn mount(mountpoint: &Path) -> io::Result<Disk> {
        fuse_available().map_err(io::Error::other)?;
        let state = Arc::new(Mutex::new(State::new()));
        let fs = DiskFs {
            state: Arc::clone(&state),
        };
        // As root fuser mounts with mount(2) on the /dev/fuse descriptor it
        // opened; otherwise (or if that fails) through fusermount3.
        // AutoUnmount is not used: its fusermount3 watchdog exited at once
        // in this container and left the mount behind anyway.
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            MountOption::FSName("passline-disk".to_string()),
            MountOption::Subtype("powercut".to_string()),
        ];
        let session = fuser::spawn_mount(fs, mountpoint, &config).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "mounting the power-cut disk at {} failed: {e} (FUSE needs /dev/fuse \
                     (`modprobe fuse`) and, unless root, fusermount3 (`apt-get install fuse3`))",
                    mountpoint.display()
                ),
            )
        })?;
        let mountpoint = mountpoint
            .canonicalize()
            .unwrap_or_else(|_| mountpoint.to_path_buf());
        Ok(Disk {
            mountpoint,
            state,
            session: Some(session),
        })
    }

    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The power goes: drop everything not durable; every later op fails with EIO until power_on.
    pub fn cut(&self) {
        let mut s = self.state();
        if !s.dead {
            s.cut();
        }
    }

    /// Arms an automatic cut: the n-th mutating operation from now (write, setattr, create,
    /// mknod, mkdir, unlink, rmdir, rename, fsync, fsyncdir; n >= 1) is not applied: the power
    /// goes just before it.
    pub fn cut_after_ops(&self, n: u64) {
        let mut s = self.state();
        s.cut_at = Some(s.mutating.saturating_add(n.max(1)));
    }

    /// Disarms a cut armed by `cut_after_ops` that has not come yet.
    pub fn disarm(&self) {
        self.state().cut_at = None;
    }

    /// Mutating operations seen so far (to pick a random n inside an operation's span).
    pub fn mutating_ops(&self) -> u64 {
        self.state().mutating
    }

    pub fn is_dead(&self) -> bool {
        self.state().dead
    }

    /// Power back: operations work again on what survived.
    pub fn power_on(&self) {
        self.state().dead = false;
    }

    pub fn stats(&self) -> DiskStats {
        self.state().stats
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        self.power_on();
        let Some(session) = self.session.take() else {
            return;
        };
        // fuser unmounts (EBUSY while a process still has a file open) and
        // joins its session thread, which ends when the kernel drops the
        // connection. If that fails or takes long, detach the mount: the
        // thread then ends when the last open file is closed.
        let (done, wait) = mpsc::channel();
        let joiner = std::thread::Builder::new()
            .name("disk-unmount".to_string())
            .spawn(move || {
                let _ = done.send(session.umount_and_join().is_ok());
            });
        let unmounted = joiner.is_ok() && wait.recv_timeout(Duration::from_secs(5)) == Ok(true);
        if !unmounted {
            if let Ok(path) = std::ffi::CString::new(self.mountpoint.as_os_str().as_bytes()) {
                // SAFETY: `path` is a valid NUL-terminated string for the call's duration.
                unsafe {
                    libc::umount2(path.as_ptr(), libc::MNT_DETACH);
                }
            }
        }
    }
}
