//! Packet captures in and out: pcap and pcapng input (by `pcap-file`),
//! classic pcap output with the input's link type.

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgReader};
use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Capture timestamp since the epoch.
    pub timestamp: Duration,
    /// Bytes captured.
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

/// Reads every packet of a pcap or pcapng file.
pub fn read(path: &Path) -> Result<Vec<Packet>, Error> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    if bytes.len() < 4 {
        return Err(err(path, "not a pcap file (too short)"));
    }
    let magic = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let mut out = Vec::new();
    if magic == 0x0a0d_0d0a {
        let mut r = PcapNgReader::new(&bytes[..])
            .map_err(|e| err(path, format!("not a pcapng file: {e}")))?;
        while let Some(block) = r.next_block() {
            match block.map_err(|e| err(path, format!("corrupt pcapng block: {e}")))? {
                Block::EnhancedPacket(p) => out.push(Packet {
                    timestamp: p.timestamp,
                    data: p.data.into_owned(),
                    orig_len: p.original_len,
                }),
                Block::SimplePacket(p) => out.push(Packet {
                    timestamp: Duration::ZERO,
                    orig_len: p.original_len,
                    data: p.data.into_owned(),
                }),
                _ => {}
            }
        }
        return Ok(out);
    }
    let mut r =
        PcapReader::new(&bytes[..]).map_err(|e| err(path, format!("not a pcap file: {e}")))?;
    while let Some(p) = r.next_packet() {
        let p = p.map_err(|e| err(path, format!("corrupt packet record: {e}")))?;
        out.push(Packet {
            timestamp: p.timestamp,
            orig_len: p.orig_len,
            data: p.data.into_owned(),
        });
    }
    Ok(out)
}

/// Writes packets as a classic Ethernet pcap.
pub fn write(path: &Path, packets: &[Packet]) -> Result<(), Error> {
    let file = std::fs::File::create(path).map_err(|e| err(path, e))?;
    let mut w = PcapWriter::with_header(std::io::BufWriter::new(file), PcapHeader::default())
        .map_err(|e| err(path, e))?;
    for p in packets {
        let orig_len = (p.data.len() as u32).max(p.orig_len.min(p.data.len() as u32));
        w.write_packet(&PcapPacket {
            timestamp: p.timestamp,
            orig_len,
            data: Cow::Borrowed(&p.data),
        })
        .map_err(|e| err(path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
