//! Packet captures in and out, streamed: pcap and pcapng input (read by
//! `pcap-file`, one record at a time, with each pcapng interface's own
//! link type), converted to the Ethernet frames `BPF_PROG_TEST_RUN` takes
//! ([`link`]); classic Ethernet pcap output written as packets come.
//!
//! Memory is bounded whatever the file: `pcap-file` parses through a
//! fixed 8 MB buffer (a record that does not fit is an error), and the
//! reader holds one packet at a time.

pub mod link;

use link::LinkType;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Snap length written in output headers: libpcap's maximum (262144), so
/// any `data_out` (an XDP frame with fragments reaches 73 KB) fits.
pub const OUT_SNAPLEN: u32 = 262_144;

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Capture timestamp since the epoch.
    pub timestamp: Duration,
    /// The bytes, as an Ethernet frame (converted from the capture's link
    /// type when reading).
    pub data: Vec<u8>,
    /// Length on the wire.
    pub orig_len: u32,
}

/// A capture could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {cause}")]
pub struct Error {
    /// File.
    pub path: String,
    /// What is wrong.
    pub cause: String,
}

fn err(path: &Path, cause: impl ToString) -> Error {
    Error {
        path: path.display().to_string(),
        cause: cause.to_string(),
    }
}

/// A file reader that counts the bytes read, for progress.
struct Counting {
    file: Box<dyn Read + Send>,
    read: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

enum Format {
    Pcap(PcapReader<Counting>, Result<LinkType, String>),
    PcapNg(PcapNgReader<Counting>),
}

/// Reads a capture one packet at a time.
pub struct Reader {
    path: PathBuf,
    format: Format,
    /// Packets returned so far.
    count: u64,
    read: Arc<AtomicU64>,
    size: u64,
    done: bool,
}

fn link_of(l: DataLink) -> Result<LinkType, String> {
    LinkType::from_code(u32::from(l))
}

impl Reader {
    /// Opens a pcap or pcapng file and reads its header. A pcap file with
    /// a link type bpfbox does not convert is refused here.
    pub fn open(path: &Path) -> Result<Reader, Error> {
        let meta = std::fs::metadata(path).map_err(|e| err(path, e))?;
        if meta.is_dir() {
            return Err(err(path, "is a directory, not a capture"));
        }
        let mut file = File::open(path).map_err(|e| err(path, e))?;
        let mut magic = [0u8; 4];
        file.read_exact(&mut magic)
            .map_err(|_| err(path, "not a pcap file (too short)"))?;
        let read = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            file: Box::new(std::io::Cursor::new(magic).chain(file)),
            read: read.clone(),
        };
        let format = if u32::from_le_bytes(magic) == 0x0a0d_0d0a {
            Format::PcapNg(
                PcapNgReader::new(counting)
                    .map_err(|e| err(path, format!("not a pcapng file: {e}")))?,
            )
        } else {
            let r = PcapReader::new(counting)
                .map_err(|e| err(path, format!("not a pcap file: {e}")))?;
            let link = link_of(r.header().datalink);
            if let Err(e) = &link {
                return Err(err(path, e));
            }
            Format::Pcap(r, link)
        };
        Ok(Reader {
            path: path.to_path_buf(),
            format,
            count: 0,
            read,
            size: meta.len(),
            done: false,
        })
    }

    /// Bytes of the file read so far and its size (0 for a pipe), for
    /// progress.
    pub fn progress(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed), self.size)
    }

    /// Packets returned so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn fail(&mut self, cause: String) -> Option<Result<Packet, Error>> {
        self.done = true;
        Some(Err(err(&self.path, cause)))
    }

    /// The next packet as an Ethernet frame; `None` at the end. An error
    /// ends the stream.
    pub fn next_packet(&mut self) -> Option<Result<Packet, Error>> {
        if self.done {
            return None;
        }
        let n = self.count + 1;
        let (link, timestamp, orig_len, data) = match &mut self.format {
            Format::Pcap(r, link) => match r.next_packet()? {
                Ok(p) => (
                    *link.as_ref().expect("checked at open"),
                    p.timestamp,
                    p.orig_len,
                    p.data.into_owned(),
                ),
                Err(e) => return self.fail(format!("packet {n}: corrupt record: {e}")),
            },
            Format::PcapNg(r) => loop {
                let block = match r.next_block()? {
                    Ok(b) => b,
                    Err(e) => return self.fail(format!("packet {n}: corrupt pcapng block: {e}")),
                };
                let (iface, ts, orig, data) = match block {
                    Block::EnhancedPacket(p) => {
                        (p.interface_id, p.timestamp, p.original_len, p.data)
                    }
                    Block::SimplePacket(p) => (0, Duration::ZERO, p.original_len, p.data),
                    _ => continue,
                };
                let data = data.into_owned();
                let Some(desc) = r.interfaces().get(iface as usize) else {
                    return self.fail(format!(
                        "packet {n}: interface {iface} has no interface description block"
                    ));
                };
                match link_of(desc.linktype) {
                    Ok(l) => break (l, ts, orig, data),
                    Err(e) => return self.fail(format!("packet {n} (interface {iface}): {e}")),
                }
            },
        };
        match link.to_ethernet(&data) {
            Ok(frame) => {
                self.count = n;
                // the wire length grows or shrinks with the link header
                let orig_len =
                    (orig_len as i64 + frame.len() as i64 - data.len() as i64).max(0) as u32;
                Some(Ok(Packet {
                    timestamp,
                    data: frame,
                    orig_len,
                }))
            }
            Err(e) => self.fail(format!("packet {n}: {e}")),
        }
    }
}

impl Iterator for Reader {
    type Item = Result<Packet, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_packet()
    }
}

/// Reads every packet of a pcap or pcapng file (for small captures and
/// tests; commands stream with [`Reader`]).
pub fn read(path: &Path) -> Result<Vec<Packet>, Error> {
    Reader::open(path)?.collect()
}

/// Writes Ethernet packets to a classic pcap file as they come.
pub struct Writer {
    path: PathBuf,
    w: PcapWriter<BufWriter<File>>,
    /// Packets written.
    pub written: u64,
}

impl Writer {
    /// Creates (truncates) `path` and writes the pcap header.
    pub fn create(path: &Path) -> Result<Writer, Error> {
        let file = File::create(path).map_err(|e| err(path, e))?;
        let header = PcapHeader {
            snaplen: OUT_SNAPLEN,
            datalink: DataLink::ETHERNET,
            ..Default::default()
        };
        let w = PcapWriter::with_header(BufWriter::new(file), header).map_err(|e| err(path, e))?;
        Ok(Writer {
            path: path.to_path_buf(),
            w,
            written: 0,
        })
    }

    /// Appends one packet.
    pub fn write(&mut self, p: &Packet) -> Result<(), Error> {
        let orig_len = p.orig_len.max(p.data.len() as u32);
        self.w
            .write_packet(&PcapPacket {
                timestamp: p.timestamp,
                orig_len,
                data: Cow::Borrowed(&p.data),
            })
            .map_err(|e| err(&self.path, e))?;
        self.written += 1;
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(self) -> Result<u64, Error> {
        use std::io::Write;
        let n = self.written;
        let path = self.path.clone();
        self.w.into_writer().flush().map_err(|e| err(&path, e))?;
        Ok(n)
    }
}

/// Writes packets as a classic Ethernet pcap.
pub fn write(path: &Path, packets: &[Packet]) -> Result<(), Error> {
    let mut w = Writer::create(path)?;
    for p in packets {
        w.write(p)?;
    }
    w.finish().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<Reader>();
    }

    #[test]
    fn roundtrip_and_rejects_garbage() {
        let dir = std::env::temp_dir().join(format!("bpfbox-pcap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.pcap");
        let pkts = vec![Packet {
            timestamp: Duration::from_secs(5),
            data: vec![1, 2, 3],
            orig_len: 3,
        }];
        write(&p, &pkts).unwrap();
        assert_eq!(read(&p).unwrap(), pkts);
        let bad = dir.join("bad.pcap");
        std::fs::write(&bad, b"hello world, not a capture").unwrap();
        let e = read(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.pcap") && e.contains("not a pcap"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
