//! Helper implementations (`bpfbox_interp::HelperFn<HostState>`) and the
//! per-type helper table.
//!
//! A program's table holds exactly the implemented helpers its type may
//! call according to `bpfbox-progtype`'s availability data; loading a
//! program that calls any other helper fails, naming the helper and the
//! type (the kernel's verifier: `program of this type cannot use helper`).
//!
//! Packet helpers keep the guest view in sync: before they run, stores the
//! program made to writable ctx fields are applied to the skb
//! (`absorb_ctx`); afterwards the ctx image (`data`, `data_end`, `len`,
//! ...) and the packet region's window are refreshed (`refresh_packet`),
//! which is what the kernel's packet-pointer invalidation amounts to.
//!
//! # How to add a helper
//!
//! Each fact about a helper is written once:
//!
//! 1. **Id and name** — `crates/uapi/src/helper.rs` (`id::NAME` and the
//!    `HELPER_NAMES` entry). Every helper of Linux 6.18 is already there;
//!    kernel numbers live nowhere else.
//! 2. **Declaration** — one `p(id::NAME, ret, gpl_only, &[args])` row in
//!    `crates/progtype/src/helpers/proto.rs`, with `.changes_pkt_data()`,
//!    `.acquires_reference()` or `.casts_reference()` where the kernel
//!    says so. The verifier checks calls against it; the kernel cross-check
//!    (`crates/progtype/tests`) compares `gpl_only` with the running kernel.
//! 3. **Availability** — the program types that may call it: the type's
//!    module `crates/progtype/src/types/<type>.rs` (its `helpers` layers),
//!    or a shared layer in `crates/progtype/src/helpers/sets.rs` when the
//!    kernel gives it to a family (`BASE`, `LWT_COMMON`, ...).
//! 4. **Implementation** — a function here (the module of its area) and
//!    one `HelperImpl::new(id::NAME, function)` row in that module's
//!    `HELPERS`; or, when one type has its own version of the id (the
//!    kernel's `get_func_proto` handing it another function), the row goes
//!    in that type's `RunOps::helpers` (`crates/runtime/src/types/`).
//!
//! Nothing else names the helper: the verifier reads the declaration, the
//! kernel profile (`bpfbox probe`) measures availability on a machine, and
//! [`HelperImpl::new`] refuses at compile time an implementation whose
//! helper has no declaration.

pub mod cgroup;
mod fib;
mod hdropt;
pub(crate) mod maps;
pub(crate) mod misc;
mod probe;
pub mod sk_storage;
mod skb;
pub(crate) mod sock;
mod sockopt;
mod stack;
mod strto;
pub mod sysctl;
mod task;
mod time;
mod trace;
mod under_cgroup;
mod xdp;

use crate::avail::ProgType;
use crate::ctx::{skb_absorb, skb_image, xdp_image};
use crate::host::{HostState, PacketState};
use crate::Error;
use bpfbox_interp::{HelperFn, Helpers, Program, Trap, Vm};
use bpfbox_isa::Insn;
use bpfbox_progtype::helpers::{declaration, HelperProto};
use bpfbox_progtype::Profile;
pub use hdropt::{is_hdr_op as hdropt_is_hdr_op, HdrState};

/// The VM type helpers run in.
pub type HostVm<'a> = Vm<'a, HostState>;

/// One helper implementation, keyed by the helper's declaration in
/// bpfbox-progtype (`helpers/proto.rs`): [`HelperImpl::new`] looks the
/// declaration up at compile time, so an implementation of an undeclared
/// helper does not build.
#[derive(Clone, Copy)]
pub struct HelperImpl {
    /// The helper's declaration (id, prototype, GPL-only, effects).
    pub decl: &'static HelperProto,
    /// The implementation.
    pub run: HelperFn<HostState>,
}

impl HelperImpl {
    /// The implementation `run` of helper `id` (an `id::` constant of
    /// bpfbox-uapi). Used in `const` tables, where a missing declaration
    /// is a compile error.
    pub const fn new(id: u32, run: HelperFn<HostState>) -> HelperImpl {
        HelperImpl {
            decl: declaration(id),
            run,
        }
    }

    /// The helper id.
    pub fn id(&self) -> u32 {
        self.decl.id
    }

    /// The helper's name (without `bpf_`).
    pub fn name(&self) -> &'static str {
        self.decl.name()
    }
}

impl std::fmt::Debug for HelperImpl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bpf_{}#{}", self.name(), self.id())
    }
}

/// The implementations every program type that may call them shares.
fn shared() -> Vec<HelperImpl> {
    let tables: [&[HelperImpl]; 16] = [
        time::HELPERS,
        trace::HELPERS,
        maps::HELPERS,
        fib::HELPERS,
        misc::HELPERS,
        probe::HELPERS,
        skb::HELPERS,
        xdp::HELPERS,
        task::HELPERS,
        sock::HELPERS,
        cgroup::HELPERS,
        sysctl::HELPERS,
        strto::HELPERS,
        stack::HELPERS,
        under_cgroup::HELPERS,
        sk_storage::HELPERS,
    ];
    tables.iter().flat_map(|t| t.iter().copied()).collect()
}

/// Every helper bpfbox implements for some program type, once each: the
/// shared implementations, then the helpers only some types implement
/// (their [`crate::types::RunOps::helpers`]: `bpf_xdp_output` for
/// tracing programs, sk_lookup's `bpf_sk_assign`).
pub fn implemented() -> Vec<HelperImpl> {
    let mut all = shared();
    for spec in bpfbox_progtype::registry::ALL {
        for h in crate::types::ops_of(spec.ty).helpers {
            if !all.iter().any(|a| a.id() == h.id()) {
                all.push(*h);
            }
        }
    }
    all
}

/// The helpers bpfbox implements for programs of `prog_type`: the shared
/// implementations, then the type's own ([`crate::types::RunOps::helpers`]),
/// which replace a shared one of the same id.
pub fn implemented_for(prog_type: ProgType) -> Vec<HelperImpl> {
    let mut all = shared();
    all.extend_from_slice(crate::types::ops_of(prog_type).helpers);
    all
}

fn helper_name(id: u32) -> String {
    match bpfbox_uapi::helper::helper_name(id) {
        Some(name) => format!("bpf_{name}#{id}"),
        None => format!("#{id}"),
    }
}

/// How [`table_for`] treats calls of helpers the kernel does not offer to
/// the program's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingHelpers {
    /// Refuse the program if any instruction calls one (`program of this
    /// type cannot use helper bpf_NAME#ID`): conservative, for programs no
    /// verifier has seen.
    Refuse,
    /// Load it; such a call traps if it is ever reached. For programs
    /// bpfbox's verifier accepted for this kernel (it refuses the calls it
    /// reaches, as the kernel does, and leaves dead ones alone) or that
    /// the user runs unverified.
    TrapIfReached,
}

/// The helper table for a program of `prog_type` on `kernel`: checks
/// every call in `prog` against the kernel's helper availability (see
/// [`MissingHelpers`]) and bpfbox's implementations.
pub fn table_for(
    prog: &Program,
    prog_type: ProgType,
    expected_attach_type: u32,
    kernel: &Profile,
    missing: MissingHelpers,
) -> Result<Helpers<HostState>, Error> {
    // Ids that are no helper of Linux 6.18 (e.g. libbpf's CO-RE poison
    // `call 0xbad2310`) are never refused here: the kernel refuses them
    // only where the verifier reaches them, so the VM traps if it is
    // reached. Helpers the kernel lacks are treated alike when asked.
    let insns = match missing {
        MissingHelpers::Refuse => prog.insns(),
        MissingHelpers::TrapIfReached => &[],
    };
    if let Some(r) = kernel.refusal(prog_type, expected_attach_type, insns) {
        return Err(Error::HelperNotAllowed {
            insn: r.insn,
            message: r.message,
        });
    }
    let all = implemented_for(prog_type);
    for insn in prog.insns() {
        if let Insn::Call { helper } = *insn {
            let id = helper as u32;
            if helper < 0 || !crate::avail::known(id) {
                continue;
            }
            if !all.iter().any(|h| h.id() == id) {
                return Err(Error::UnsupportedHelper {
                    id,
                    message: format!("helper {} is not implemented by bpfbox", helper_name(id)),
                });
            }
        }
    }
    let allowed = |id: u32| kernel.helper_allowed(prog_type, expected_attach_type, id);
    let mut t = Helpers::new();
    for h in &all {
        if h.id() < 256 && allowed(h.id()) {
            t.set(h.id() as u8, h.run);
        }
    }
    Ok(t)
}

/// Raw pointer and length of the current packet's whole buffer.
pub(crate) fn packet_buf(h: &mut HostState) -> Option<(*mut u8, usize)> {
    match &mut h.packet {
        PacketState::Skb(s) => Some((s.pkt.buf.as_mut_ptr(), s.pkt.buf.len())),
        PacketState::Xdp(p) => Some((p.buf.as_mut_ptr(), p.buf.len())),
        PacketState::None => None,
    }
}

/// Applies program stores to writable ctx fields to the skb.
pub(crate) fn absorb_ctx(vm: &mut HostVm<'_>) {
    let Some((_, addr)) = vm.host.map.ctx else {
        return;
    };
    if !matches!(vm.host.packet, PacketState::Skb(_)) {
        return;
    }
    let Ok(img) = vm
        .mem
        .read(addr, crate::ctx::SKB_CTX_SIZE)
        .map(<[u8]>::to_vec)
    else {
        return;
    };
    if let Some(s) = vm.host.skb_mut() {
        skb_absorb(s, &img);
    }
}

/// Refreshes the packet window, the ctx image and the LD_ABS source after
/// the packet (or skb metadata) changed.
pub(crate) fn refresh_packet(vm: &mut HostVm<'_>) -> Result<(), Trap> {
    let Some((_, ctx_addr)) = vm.host.map.ctx else {
        return Ok(());
    };
    let Some(pid) = vm.host.map.pkt else {
        return Ok(());
    };
    let (base, _) = vm.mem.backing(pid);
    let sk = vm.host.map.sk.unwrap_or(0);
    let rxq = vm.host.xdp_rxq;
    let mut headers = None;
    let (img, win, data): (Vec<u8>, (usize, usize), (usize, usize)) = match &vm.host.packet {
        PacketState::Skb(s) => {
            headers = Some((s.mac_header, s.network_header));
            (
                skb_image(s, base, sk).to_vec(),
                s.pkt.window(),
                (s.pkt.data, s.pkt.end),
            )
        }
        PacketState::Xdp(p) => (
            xdp_image(p, base, rxq).to_vec(),
            p.window(),
            (p.data, p.end),
        ),
        PacketState::None => return Ok(()),
    };
    vm.mem
        .set_window(pid, base + win.0 as u64, (win.1 - win.0) as u64)?;
    vm.mem.write(ctx_addr, &img).map_err(|f| vm.mem_trap(f))?;
    let own_fields = ProgType::from_id(vm.host.map.prog_type)
        .and_then(|t| crate::types::ops_of(t).after_ctx_rebuild);
    if let Some(restore) = own_fields {
        restore(vm, ctx_addr)?;
    }
    if vm.host.map.ld_abs {
        vm.set_ld_abs_source(base + data.0 as u64, (data.1 - data.0) as u64);
        if let Some((mac, net)) = headers {
            vm.set_ld_abs_headers(base + mac as u64, base + net as u64);
        }
    }
    Ok(())
}

/// Copies `len` bytes of guest memory at `addr`.
pub(crate) fn read_guest(vm: &HostVm<'_>, addr: u64, len: usize) -> Result<Vec<u8>, Trap> {
    vm.mem
        .read(addr, len)
        .map(<[u8]>::to_vec)
        .map_err(|f| vm.mem_trap(f))
}

/// Writes guest memory.
pub(crate) fn write_guest(vm: &mut HostVm<'_>, addr: u64, bytes: &[u8]) -> Result<(), Trap> {
    vm.mem.write(addr, bytes).map_err(|f| vm.mem_trap(f))
}

/// A negative errno as the helper's u64 return value.
pub(crate) fn neg(e: i32) -> u64 {
    (-i64::from(e)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unimplemented_helper_is_named_by_id_in_the_error() {
        let implemented: Vec<u32> = implemented().iter().map(HelperImpl::id).collect();
        let ty = ProgType::Kprobe;
        let id = (1..256)
            .find(|&id| {
                crate::avail::known(id)
                    && crate::avail::allowed(ty, 0, id)
                    && !implemented.contains(&id)
            })
            .expect("kprobe programs may call a helper bpfbox lacks");
        // call id; r0 = 0; exit
        let slots = [
            bpfbox_isa::RawInsn::new(0x85, 0, 0, 0, id as i32),
            bpfbox_isa::RawInsn::new(0xb7, 0, 0, 0, 0),
            bpfbox_isa::RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let err = crate::LoadedProgram::from_raw(&slots, ty, 0).unwrap_err();
        assert!(
            matches!(err, crate::Error::UnsupportedHelper { id: got, .. } if got == id),
            "{err}"
        );
    }

    /// A type's own implementation of an id is its alone: tc has no
    /// `bpf_sk_assign` (sk_lookup's is `bpf_sk_lookup_assign`), and XDP's
    /// `bpf_redirect` replaces the skb one rather than joining it.
    #[test]
    fn own_implementations_stay_with_their_type() {
        let ids = |ty| {
            implemented_for(ty)
                .iter()
                .map(HelperImpl::id)
                .collect::<Vec<_>>()
        };
        let sk_assign = bpfbox_uapi::helper::id::SK_ASSIGN;
        assert!(ids(ProgType::SkLookup).contains(&sk_assign));
        assert!(!ids(ProgType::SchedCls).contains(&sk_assign));
        assert!(implemented().iter().any(|h| h.id() == sk_assign));
        let redirect = bpfbox_uapi::helper::id::REDIRECT;
        let xdp = implemented_for(ProgType::Xdp);
        let last = xdp.iter().rev().find(|h| h.id() == redirect).unwrap();
        assert!(crate::types::ops_of(ProgType::Xdp)
            .helpers
            .iter()
            .any(|h| std::ptr::eq(h.decl, last.decl) && h.id() == redirect));
    }

    #[test]
    fn every_implemented_helper_has_availability() {
        for h in implemented() {
            assert!(crate::avail::known(h.id()), "{h:?} has no availability row");
        }
    }
}
