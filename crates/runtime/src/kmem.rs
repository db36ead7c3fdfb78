//! A BTF-typed model of kernel memory: kernel structs laid out by a BTF
//! (the running kernel's, `/sys/kernel/btf/vmlinux`, when readable), with
//! the fields a run actually has set and every other byte zero.
//!
//! What a tracing program attached to a BPF program sees is kernel
//! memory, not the program's UAPI context: fentry/fexit on an XDP program
//! get the kernel's `struct xdp_buff *` (the verifier converts the
//! target's `struct xdp_md *` argument to the kernel context type), on a
//! tc or socket-filter program `struct sk_buff *`. bpfbox builds those
//! structs here, plus the objects their pointers lead to
//! (`xdp_buff.rxq → xdp_rxq_info.dev → net_device`), each as plain bytes
//! with bounds: a [`KernelObject`] is registered read-only in the run's
//! memory, so the interpreter (and a future JIT) checks every access
//! against its bounds. Loads through these pointers are the kernel's
//! `PROBE_MEM` loads ([`bpfbox_interp::Config::probe_mem`]): a load that
//! leaves every region reads 0, never anything else.
//!
//! The model is generic: [`KernelObject::build`] turns a type name and
//! field values into bytes, so typed tracepoints and LSM hooks can reuse
//! it. A type or field the BTF does not have is left out (its pointer
//! stays NULL, loads through it read 0), as a field the run does not model
//! is zero.

use crate::packet::Packet;
use bpfbox_object::btf::Btf;
use bpfbox_object::layout::Field;
use bpfbox_progtype::ProgType;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A BTF with the struct ids looked up so far remembered (a kernel BTF
/// has about 100,000 types; finding one by name scans them).
#[derive(Debug)]
pub struct KernelTypes {
    btf: Arc<Btf>,
    ids: Mutex<Vec<(String, Option<u32>)>>,
    /// (struct id, member name) → the member, as found so far.
    members: Mutex<Vec<(u32, String, Option<Field>)>>,
}

impl KernelTypes {
    /// Types of `btf`.
    pub fn new(btf: Arc<Btf>) -> KernelTypes {
        KernelTypes {
            btf,
            ids: Mutex::new(Vec::new()),
            members: Mutex::new(Vec::new()),
        }
    }

    /// The BTF.
    pub fn btf(&self) -> &Btf {
        &self.btf
    }

    /// Member `name` of struct `id` ([`Btf::member_by_name`]).
    pub fn member(&self, id: u32, name: &str) -> Option<Field> {
        let mut found = self.members.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, f)) = found.iter().find(|(i, n, _)| *i == id && n == name) {
            return *f;
        }
        let f = self.btf.member_by_name(id, name);
        found.push((id, name.to_string(), f));
        f
    }

    /// The id of `struct NAME`.
    pub fn struct_id(&self, name: &str) -> Option<u32> {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, id)) = ids.iter().find(|(n, _)| n == name) {
            return *id;
        }
        let id = self.btf.struct_by_name(name);
        ids.push((name.to_string(), id));
        id
    }
}

/// Why a kernel object could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmemError(pub String);

impl fmt::Display for KmemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KmemError {}

/// A field value: a number stored in the field's size, or bytes copied
/// into an array field (a device name), cut to the field's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A number (pointers are numbers: guest addresses).
    Num(u64),
    /// Bytes (for char arrays).
    Bytes(Vec<u8>),
}

/// One kernel struct: its bytes (8-aligned storage that never moves, so
/// its address is stable for pointers to it) and its BTF type name.
#[derive(Clone)]
pub struct KernelObject {
    words: Box<[u64]>,
    len: usize,
    type_id: u32,
    type_name: String,
}

impl fmt::Debug for KernelObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KernelObject")
            .field("type", &self.type_name)
            .field("len", &self.len)
            .finish()
    }
}

/// Structs bigger than this are refused (bounded memory; `struct
/// net_device` is about 2.5 KB, `struct sk_buff` under 256 bytes).
pub const MAX_OBJECT_SIZE: usize = 64 * 1024;

impl KernelObject {
    /// `struct NAME` of `types`, all zero.
    pub fn zeroed(types: &KernelTypes, type_name: &str) -> Result<KernelObject, KmemError> {
        let id = types
            .struct_id(type_name)
            .ok_or_else(|| KmemError(format!("BTF has no struct {type_name}")))?;
        let len = types
            .btf()
            .resolve_size(id)
            .map_err(|e| KmemError(format!("struct {type_name}: {e}")))? as usize;
        if len > MAX_OBJECT_SIZE {
            return Err(KmemError(format!(
                "struct {type_name} is {len} bytes, above {MAX_OBJECT_SIZE}"
            )));
        }
        Ok(KernelObject {
            words: vec![0u64; len.div_ceil(8).max(1)].into_boxed_slice(),
            len,
            type_id: id,
            type_name: type_name.to_string(),
        })
    }

    /// `struct NAME` of `types` with `fields` set (member names as C
    /// spells them; members of anonymous unions and structs by their own
    /// name). A field the struct does not have in this BTF is skipped (the
    /// kernel's layout differs between versions; what is not there cannot
    /// be read); a bitfield is an error.
    pub fn build(
        types: &KernelTypes,
        type_name: &str,
        fields: &[(&str, FieldValue)],
    ) -> Result<KernelObject, KmemError> {
        let mut o = KernelObject::zeroed(types, type_name)?;
        for (name, v) in fields {
            o.set(types, name, v)?;
        }
        Ok(o)
    }

    /// Sets member `name` (`types`: those the object was made from);
    /// skipped when the struct has no such member.
    pub fn set(
        &mut self,
        types: &KernelTypes,
        name: &str,
        value: &FieldValue,
    ) -> Result<(), KmemError> {
        let Some(f) = types.member(self.type_id, name) else {
            return Ok(());
        };
        if f.bitfield {
            return Err(KmemError(format!(
                "{}.{name} is a bitfield",
                self.type_name
            )));
        }
        let (off, size) = (f.offset as usize, f.size as usize);
        let bytes = match value {
            FieldValue::Num(n) => {
                if !matches!(size, 1 | 2 | 4 | 8) {
                    return Err(KmemError(format!(
                        "{}.{name} is {size} bytes, not a number",
                        self.type_name
                    )));
                }
                n.to_le_bytes()[..size].to_vec()
            }
            FieldValue::Bytes(b) => b[..b.len().min(size)].to_vec(),
        };
        let end = off + bytes.len();
        if end > self.len {
            return Err(KmemError(format!(
                "{}.{name} ends past the struct",
                self.type_name
            )));
        }
        self.bytes_mut()[off..end].copy_from_slice(&bytes);
        Ok(())
    }

    /// The struct's BTF name.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes (len <=
        // 8 * words.len()); u8 has no alignment or validity requirement.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, with unique access through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), self.len) }
    }

    /// The guest address of the first byte (a host address, stable while
    /// the object lives: the storage is a boxed slice never resized).
    pub fn addr(&self) -> u64 {
        self.words.as_ptr() as usize as u64
    }
}

/// The kernel objects one run's tracing programs see; the first is the
/// argument (the traced program's kernel context).
#[derive(Debug, Clone, Default)]
pub struct KernelMemory {
    objects: Vec<KernelObject>,
}

impl KernelMemory {
    /// The objects, argument first.
    pub fn objects(&self) -> &[KernelObject] {
        &self.objects
    }

    pub(crate) fn objects_mut(&mut self) -> &mut [KernelObject] {
        &mut self.objects
    }

    /// The address of the traced program's kernel context (0: none).
    pub fn ctx_addr(&self) -> u64 {
        self.objects.first().map_or(0, KernelObject::addr)
    }
}

/// The kernel struct a program type's context is converted to for a
/// tracing program attached to a program of that type (the kernel's
/// `bpf_ctx_convert` pairs: `xdp_md` → `xdp_buff`, `__sk_buff` →
/// `sk_buff`, `bpf_user_pt_regs_t` → `pt_regs`, ...). None: a type bpfbox
/// does not model yet.
pub fn kernel_ctx_struct(ty: ProgType) -> Option<&'static str> {
    match ty {
        ProgType::Xdp => Some("xdp_buff"),
        ProgType::SocketFilter
        | ProgType::SchedCls
        | ProgType::SchedAct
        | ProgType::CgroupSkb
        | ProgType::LwtIn
        | ProgType::LwtOut
        | ProgType::LwtXmit
        | ProgType::SkSkb => Some("sk_buff"),
        // the kprobe context is the kernel's register frame itself
        ProgType::Kprobe => Some("pt_regs"),
        _ => None,
    }
}

/// `struct NAME` holding `bytes` (cut to the struct's size; the rest
/// zero): a context that already is the kernel struct, as a kprobe
/// program's `struct pt_regs`.
pub fn from_bytes(
    types: &KernelTypes,
    type_name: &str,
    bytes: &[u8],
) -> Result<KernelMemory, KmemError> {
    let mut o = KernelObject::zeroed(types, type_name)?;
    let n = bytes.len().min(o.len);
    o.bytes_mut()[..n].copy_from_slice(&bytes[..n]);
    Ok(KernelMemory { objects: vec![o] })
}

/// `XDP_FLAGS_HAS_FRAGS` (`enum xdp_buff_flags`, include/net/xdp.h).
const XDP_FLAGS_HAS_FRAGS: u64 = 1 << 0;
/// `XDP_PACKET_HEADROOM`-relative frame layout: the test run's frame size
/// is one page.
const XDP_FRAME_SZ: u64 = 4096;

/// The kernel objects of an XDP test run's `struct xdp_buff` over `pkt`
/// received on `ifindex`/`queue` of a device named `dev_name`:
/// `xdp_buff` (data, data_end, data_meta, data_hard_start, rxq, frame_sz,
/// flags), its `xdp_rxq_info` (dev, queue_index) and `net_device`
/// (ifindex, name, mtu). Pointers into the packet are the packet buffer's
/// guest addresses, the same the XDP program's ctx gives.
pub fn xdp_buff(
    btf: &KernelTypes,
    pkt: &Packet,
    ifindex: u32,
    queue: u32,
    dev: Option<&crate::host::Device>,
) -> Result<KernelMemory, KmemError> {
    let dev_obj = KernelObject::build(
        btf,
        "net_device",
        &[
            ("ifindex", FieldValue::Num(u64::from(ifindex))),
            (
                "name",
                FieldValue::Bytes(dev.map(|d| d.name.as_bytes().to_vec()).unwrap_or_default()),
            ),
            ("mtu", FieldValue::Num(dev.map_or(0, |d| u64::from(d.mtu)))),
        ],
    )
    .ok();
    let rxq = KernelObject::build(
        btf,
        "xdp_rxq_info",
        &[
            (
                "dev",
                FieldValue::Num(dev_obj.as_ref().map_or(0, KernelObject::addr)),
            ),
            ("queue_index", FieldValue::Num(u64::from(queue))),
        ],
    )
    .ok();
    let pkt_base = pkt.buf.addr();
    let at = |off: usize| FieldValue::Num(pkt_base + off as u64);
    let flags = if pkt.frags.is_empty() {
        0
    } else {
        XDP_FLAGS_HAS_FRAGS
    };
    let buff = KernelObject::build(
        btf,
        "xdp_buff",
        &[
            ("data", at(pkt.data)),
            ("data_end", at(pkt.end)),
            ("data_meta", at(pkt.meta)),
            ("data_hard_start", at(0)),
            (
                "rxq",
                FieldValue::Num(rxq.as_ref().map_or(0, KernelObject::addr)),
            ),
            ("frame_sz", FieldValue::Num(XDP_FRAME_SZ)),
            ("flags", FieldValue::Num(flags)),
        ],
    )?;
    let mut objects = vec![buff];
    objects.extend(rxq);
    objects.extend(dev_obj);
    Ok(KernelMemory { objects })
}

/// `(u16)~0U`: a header offset that is not set (`skb_transport_header_was_set`).
const NO_HEADER: u64 = 0xffff;

/// The kernel objects of a test run's `struct sk_buff` over `skb`: head
/// (`NET_SKB_PAD` = 64 bytes before the frame as the test run builds it,
/// or where the data moved to if a helper grew the headroom further),
/// data, len, data_len, the header offsets and tail (offsets from head:
/// `sk_buff_data_t` is an offset on 64-bit; `end` depends on the
/// allocator's rounding and is left 0), protocol and
/// vlan_proto (network order, as the kernel stores them), mark, priority,
/// queue_mapping, tc_index, hash, vlan_tci, skb_iif, tstamp and dev (a
/// `net_device` with ifindex, name and mtu). Bitfields (`pkt_type`) are
/// not modelled: they read as 0.
pub fn sk_buff(
    btf: &KernelTypes,
    skb: &crate::skb::Skb,
    host: &crate::host::HostState,
) -> Result<KernelMemory, KmemError> {
    let dev = host.device(skb.ifindex);
    let dev_obj = KernelObject::build(
        btf,
        "net_device",
        &[
            ("ifindex", FieldValue::Num(u64::from(skb.ifindex))),
            (
                "name",
                FieldValue::Bytes(dev.map(|d| d.name.as_bytes().to_vec()).unwrap_or_default()),
            ),
            ("mtu", FieldValue::Num(dev.map_or(0, |d| u64::from(d.mtu)))),
        ],
    )
    .ok();
    let pkt = &skb.pkt;
    let head_off = crate::drivers::skb::KERNEL_HEAD
        .min(pkt.meta)
        .min(pkt.data)
        .min(skb.mac_header);
    let head = pkt.buf.addr() + head_off as u64;
    let frags: usize = pkt.frags.iter().map(Vec::len).sum();
    let num = |v: usize| FieldValue::Num(v.saturating_sub(head_off) as u64);
    let be16 = |v: u16| FieldValue::Num(u64::from(v.to_be()));
    let buff = KernelObject::build(
        btf,
        "sk_buff",
        &[
            ("head", FieldValue::Num(head)),
            ("data", FieldValue::Num(pkt.buf.addr() + pkt.data as u64)),
            ("len", FieldValue::Num((pkt.end - pkt.data + frags) as u64)),
            ("data_len", FieldValue::Num(frags as u64)),
            ("mac_header", num(skb.mac_header)),
            ("network_header", num(skb.network_header)),
            (
                "transport_header",
                skb.transport_header.map_or(FieldValue::Num(NO_HEADER), num),
            ),
            ("tail", num(pkt.end)),
            ("protocol", be16(skb.protocol)),
            ("vlan_proto", be16(skb.vlan_proto)),
            ("vlan_tci", FieldValue::Num(u64::from(skb.vlan_tci))),
            ("mark", FieldValue::Num(u64::from(skb.mark))),
            ("priority", FieldValue::Num(u64::from(skb.priority))),
            (
                "queue_mapping",
                FieldValue::Num(u64::from(skb.queue_mapping)),
            ),
            ("tc_index", FieldValue::Num(u64::from(skb.tc_index))),
            ("hash", FieldValue::Num(u64::from(skb.hash))),
            ("skb_iif", FieldValue::Num(u64::from(skb.ingress_ifindex))),
            ("tstamp", FieldValue::Num(skb.tstamp)),
            (
                "dev",
                FieldValue::Num(dev_obj.as_ref().map_or(0, KernelObject::addr)),
            ),
        ],
    )?;
    let mut objects = vec![buff];
    objects.extend(dev_obj);
    Ok(KernelMemory { objects })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tracer's own BTF (its local `struct xdp_buff`, `xdp_rxq_info`,
    /// `net_device` declarations): a layout that does not depend on the
    /// machine's kernel.
    fn local_types() -> KernelTypes {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/progs/fentry/xdp_trace.o"
        );
        let opts = bpfbox_object::LoadOptions {
            core_target: bpfbox_object::CoreTarget::Local,
            ..Default::default()
        };
        let obj = bpfbox_object::load_file_with(std::path::Path::new(path), &opts).unwrap();
        KernelTypes::new(Arc::new(obj.btf.unwrap()))
    }

    fn u64_at(b: &[u8], off: usize) -> u64 {
        u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
    }

    #[test]
    fn xdp_buff_fields_sit_where_the_btf_puts_them() {
        let types = local_types();
        let mut pkt = Packet::new(&[0xab; 60], 256, 3520).unwrap();
        pkt.meta = 248;
        let dev = crate::host::Device::loopback();
        let mem = xdp_buff(&types, &pkt, 1, 0, Some(&dev)).unwrap();
        let [buff, rxq, netdev] = mem.objects() else {
            panic!("three objects: {:?}", mem.objects());
        };
        assert_eq!(buff.type_name(), "xdp_buff");
        let b = buff.bytes();
        let base = pkt.buf.addr();
        // data, data_end, data_meta, data_hard_start, rxq, txq
        assert_eq!(u64_at(b, 0), base + 256);
        assert_eq!(u64_at(b, 8), base + 316);
        assert_eq!(u64_at(b, 16), base + 248);
        assert_eq!(u64_at(b, 24), base);
        assert_eq!(u64_at(b, 32), rxq.addr());
        assert_eq!(u64_at(b, 40), 0, "no txq in a test run");
        // frame_sz, flags
        assert_eq!(&b[48..56], &[0, 16, 0, 0, 0, 0, 0, 0]);
        assert_eq!(u64_at(rxq.bytes(), 0), netdev.addr());
        let n = netdev.bytes();
        assert_eq!(&n[..4], &1u32.to_le_bytes());
        assert_eq!(&n[4..8], b"lo\0\0");
        assert_eq!(mem.ctx_addr(), buff.addr());
    }

    #[test]
    fn unknown_types_are_errors_and_unknown_fields_stay_zero() {
        let types = local_types();
        assert!(KernelObject::zeroed(&types, "no_such_struct_here").is_err());
        let o = KernelObject::build(&types, "xdp_rxq_info", &[("no_such", FieldValue::Num(1))])
            .unwrap();
        assert!(o.bytes().iter().all(|b| *b == 0));
        let mut o = KernelObject::zeroed(&types, "net_device").unwrap();
        // a name longer than the array is cut to it
        o.set(&types, "name", &FieldValue::Bytes(vec![b'x'; 40]))
            .unwrap();
        assert_eq!(o.bytes().len(), 20);
        assert!(o.bytes()[4..].iter().all(|b| *b == b'x'));
    }
}
