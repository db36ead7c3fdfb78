//! The IPv6 Segment Routing Header (RFC 8754) as the End behaviour (RFC
//! 8986 §4.1) reads and updates it: find the SRH among the extension
//! headers, check it, decrement Segments Left and copy the next segment
//! into the destination address.

/// IPv6 fixed header length.
pub const IPV6_HLEN: usize = 40;
/// Next-header values walked over on the way to the routing header.
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const DEST_OPTS: u8 = 60;
/// Routing type of the SRH.
const SRH_TYPE: u8 = 4;

/// Where the SRH is and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Srh {
    /// Offset of the SRH in the packet.
    pub offset: usize,
    /// Its length in bytes.
    pub len: usize,
    /// Segments Left.
    pub segments_left: u8,
    /// Last Entry (index of the last element of the Segment List).
    pub last_entry: u8,
}

/// The SRH of an IPv6 packet (starting at the IPv6 header), checked as
/// the kernel's End.BPF checks it before running the program (a routing
/// header of type 4, its length inside the packet, the segment list inside
/// the header, Segments Left not beyond Last Entry).
pub fn find(pkt: &[u8]) -> Result<Srh, String> {
    if pkt.len() < IPV6_HLEN || pkt[0] >> 4 != 6 {
        return Err("not an IPv6 packet (40-byte header, version 6)".into());
    }
    let mut next = pkt[6];
    let mut off = IPV6_HLEN;
    loop {
        let hdr = pkt
            .get(off..off + 2)
            .ok_or_else(|| format!("extension header at {off} runs past the packet"))?;
        let len = (usize::from(hdr[1]) + 1) * 8;
        match next {
            HOP_BY_HOP | DEST_OPTS => {
                next = hdr[0];
                off += len;
            }
            ROUTING => return check(pkt, off, len),
            other => return Err(format!("no segment routing header (next header {other})")),
        }
    }
}

fn check(pkt: &[u8], off: usize, len: usize) -> Result<Srh, String> {
    let h = pkt
        .get(off..off + len)
        .ok_or_else(|| "the routing header runs past the packet".to_string())?;
    if h[2] != SRH_TYPE {
        return Err(format!("routing header of type {}, not an SRH (4)", h[2]));
    }
    let (segments_left, last_entry) = (h[3], h[4]);
    if (usize::from(last_entry) + 1) * 16 > len - 8 {
        return Err("the segment list does not fit the SRH".into());
    }
    if segments_left > last_entry {
        return Err("Segments Left is beyond Last Entry".into());
    }
    Ok(Srh {
        offset: off,
        len,
        segments_left,
        last_entry,
    })
}

/// The End behaviour's update: Segments Left minus one, destination
/// address = Segment List[Segments Left]. `None` when Segments Left is 0
/// (End.BPF drops such packets).
pub fn advance(pkt: &mut [u8], srh: &Srh) -> Option<[u8; 16]> {
    let left = srh.segments_left.checked_sub(1)?;
    pkt[srh.offset + 3] = left;
    let seg = srh.offset + 8 + 16 * usize::from(left);
    let mut da = [0u8; 16];
    da.copy_from_slice(&pkt[seg..seg + 16]);
    pkt[24..40].copy_from_slice(&da);
    Some(da)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv6 packet to `segs[left]` carrying an SRH with `segs` (stored
    /// in reverse, Segment List[0] is the last segment) and 8 payload
    /// bytes.
    pub(crate) fn packet(segs: &[[u8; 16]], left: u8) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        let srh_len = 8 + 16 * segs.len();
        p.extend_from_slice(&((srh_len + 8) as u16).to_be_bytes());
        p.extend_from_slice(&[ROUTING, 64]);
        p.extend_from_slice(&[0xfd; 16]);
        p.extend_from_slice(&segs[usize::from(left)]);
        p.extend_from_slice(&[17, (srh_len / 8 - 1) as u8, 4, left, segs.len() as u8 - 1, 0, 0, 0]);
        for s in segs {
            p.extend_from_slice(s);
        }
        p.extend_from_slice(&[0xaa; 8]);
        p
    }

    fn seg(last: u8) -> [u8; 16] {
        let mut s = [0u8; 16];
        s[0] = 0xfc;
        s[15] = last;
        s
    }

    /// RFC 8986 §4.1: SL 2 of [S0, S1, S2] → SL 1, DA = Segment List[1].
    #[test]
    fn end_moves_to_the_next_segment() {
        let segs = [seg(0), seg(1), seg(2)];
        let mut p = packet(&segs, 2);
        let srh = find(&p).unwrap();
        assert_eq!((srh.offset, srh.len, srh.segments_left, srh.last_entry), (40, 56, 2, 2));
        assert_eq!(advance(&mut p, &srh), Some(seg(1)));
        assert_eq!(p[43], 1);
        assert_eq!(&p[24..40], &seg(1));
        let srh = find(&p).unwrap();
        assert_eq!(advance(&mut p, &srh), Some(seg(0)));
        let srh = find(&p).unwrap();
        assert_eq!(advance(&mut p, &srh), None, "Segments Left 0");
    }

    #[test]
    fn bad_headers_are_named() {
        let segs = [seg(0), seg(1)];
        let mut p = packet(&segs, 1);
        p[42] = 2;
        assert!(find(&p).unwrap_err().contains("type 2"));
        let mut p = packet(&segs, 1);
        p[43] = 5;
        assert!(find(&p).unwrap_err().contains("beyond Last Entry"));
        let mut p = packet(&segs, 1);
        p[6] = 17;
        assert!(find(&p).unwrap_err().contains("next header 17"));
        let p = packet(&segs, 1);
        assert!(find(&p[..50]).unwrap_err().contains("past the packet"));
        assert!(find(&[0x45; 40]).is_err());
    }
}
