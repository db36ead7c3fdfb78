//! [`HostState`]: everything outside the program that helpers read or
//! change — clock, PRNG, CPU, devices, routes, redirect target, captured
//! trace lines, and the packet of the current test run.

use crate::packet::Packet;
use crate::skb::Skb;
use bpfbox_interp::{Program, RegionId};
use bpfbox_maps::Map;
use std::net::IpAddr;
use std::sync::Arc;

/// Most maps one host state can hold (map handles live in a fixed table so
/// linked programs keep valid handle values).
pub const MAX_MAPS: usize = 1024;

/// Deterministic clock for `bpf_ktime_get_ns` and friends: the n-th call
/// (counting every clock helper of the run, from 0) returns
/// `start_ns + n * step_ns`. `ktime_get_coarse_ns` returns the same
/// sequence rounded down to `coarse_ns`; `boot_ns` and `tai_ns` add their
/// fixed offsets. The kernel's clocks are real time (documented
/// difference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// Value of the first reading.
    pub start_ns: u64,
    /// Advance per reading.
    pub step_ns: u64,
    /// Granularity of the coarse clock (the kernel's jiffy, 4 ms at HZ=250).
    pub coarse_ns: u64,
    /// `CLOCK_BOOTTIME - CLOCK_MONOTONIC` (time spent suspended).
    pub boot_offset_ns: u64,
    /// `CLOCK_TAI - CLOCK_MONOTONIC`.
    pub tai_offset_ns: u64,
    /// Readings taken so far.
    pub readings: u64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            start_ns: 1_000_000_000,
            step_ns: 1000,
            coarse_ns: 4_000_000,
            boot_offset_ns: 0,
            tai_offset_ns: 1_700_000_000_000_000_000,
            readings: 0,
        }
    }
}

impl Clock {
    /// The next monotonic reading.
    pub fn reading(&mut self) -> u64 {
        let v = self
            .start_ns
            .wrapping_add(self.readings.wrapping_mul(self.step_ns));
        self.readings += 1;
        v
    }
}

/// Seeded PRNG for `bpf_get_prandom_u32` (xorshift64*; the kernel's is a
/// per-CPU random state, so values differ from the kernel's by design).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prng {
    state: u64,
}

/// Default PRNG seed.
pub const DEFAULT_SEED: u64 = 0x05ee_db0f_b0c5;

impl Prng {
    /// A generator with this seed (0 is replaced by [`DEFAULT_SEED`]).
    pub fn new(seed: u64) -> Self {
        Prng {
            state: if seed == 0 { DEFAULT_SEED } else { seed },
        }
    }

    /// Next 32-bit value.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

impl Default for Prng {
    fn default() -> Self {
        Prng::new(DEFAULT_SEED)
    }
}

/// A network device the test run can name (`ifindex` in ctx_in, redirect
/// targets, `eth_type_trans`'s address checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Interface index.
    pub ifindex: u32,
    /// Name.
    pub name: String,
    /// Hardware address.
    pub mac: [u8; 6],
    /// Broadcast address.
    pub broadcast: [u8; 6],
    /// MTU.
    pub mtu: u32,
    /// Real RX queues (XDP `rx_queue_index` must be below).
    pub rx_queues: u32,
    /// IPv4 and IPv6 forwarding enabled (`net.ipv{4,6}.conf.DEV.forwarding`;
    /// `bpf_fib_lookup` answers `FWD_DISABLED` for an input device without).
    pub forwarding: bool,
    /// Addresses with prefix length, in the order they were added (the
    /// first one of a family is the primary; see [`crate::fib::add_address`],
    /// which also adds the routes the kernel derives from an address).
    pub addrs: Vec<(IpAddr, u8)>,
}

impl Device {
    /// The loopback device as every network namespace has it.
    pub fn loopback() -> Self {
        Device {
            ifindex: 1,
            name: "lo".into(),
            mac: [0; 6],
            broadcast: [0; 6],
            mtu: 65536,
            rx_queues: 1,
            forwarding: false,
            addrs: Vec::new(),
        }
    }
}

/// What a route does with matching packets (`RTN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// `RTN_UNICAST`: forwarded through `ifindex` (and `gateway`).
    Unicast,
    /// `RTN_LOCAL`: an address of this host.
    Local,
    /// `RTN_BROADCAST`.
    Broadcast,
    /// `RTN_BLACKHOLE`.
    Blackhole,
    /// `RTN_UNREACHABLE`.
    Unreachable,
    /// `RTN_PROHIBIT`.
    Prohibit,
}

/// A route for `bpf_fib_lookup`, as `ip route` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Routing table (`RT_TABLE_MAIN` = 254, `RT_TABLE_LOCAL` = 255).
    pub table: u32,
    /// Route type.
    pub kind: RouteKind,
    /// Destination prefix (the address family of the route).
    pub dst: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Output device (0 for blackhole/unreachable/prohibit routes).
    pub ifindex: u32,
    /// Gateway (`None` = directly connected).
    pub gateway: Option<IpAddr>,
    /// Metric (`rt_metric` in the lookup result; lower wins).
    pub metric: u32,
    /// Preferred source address (`src`).
    pub prefsrc: Option<IpAddr>,
    /// Locked route MTU (`mtu lock N`; 0 = the device's). Forwarding
    /// lookups ignore an unlocked route MTU (with the default
    /// `net.ipv4.ip_forward_use_pmtu = 0`), so it is not modelled.
    pub mtu: u32,
}

/// A neighbour (ARP/NDP) entry in a valid state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// Device.
    pub ifindex: u32,
    /// Protocol address.
    pub addr: IpAddr,
    /// Hardware address.
    pub mac: [u8; 6],
}

/// What `bpf_redirect`/`bpf_redirect_map`/`bpf_clone_redirect` recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect {
    /// Target ifindex (or map key for `redirect_map`).
    pub ifindex: u32,
    /// Flags (`BPF_F_INGRESS`, ...).
    pub flags: u64,
    /// Whether the target came from a map, and which map index.
    pub map: Option<usize>,
    /// `bpf_clone_redirect` (the packet was cloned and sent at once).
    pub clone: bool,
}

/// The task (thread) a hook runs in, for `bpf_get_current_pid_tgid`,
/// `_uid_gid` and `_comm`. Event drivers fill it from the event (or keep
/// the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Thread id (the kernel's `pid`).
    pub pid: u32,
    /// Process id (the kernel's `tgid`).
    pub tgid: u32,
    /// Real uid (`current_uid()`, what `bpf_get_current_uid_gid`
    /// reports).
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// `comm` (at most 15 bytes are used).
    pub comm: String,
    /// Id of the task's cgroup v2 (`bpf_get_current_cgroup_id`; 1 is the
    /// root cgroup).
    pub cgroup_id: u64,
    /// Ids of the cgroups above `cgroup_id`, from the root down (empty
    /// when the task is in the root cgroup): what
    /// `bpf_current_task_under_cgroup` and `bpf_skb_under_cgroup` (whose
    /// socket belongs to the running task's cgroup, as under
    /// `BPF_PROG_TEST_RUN`) test against.
    pub cgroup_ancestors: Vec<u64>,
    /// Device and inode of the task's pid namespace (`stat` of
    /// `/proc/PID/ns/pid`: `st_dev`, `st_ino`), which
    /// `bpf_get_ns_current_pid_tgid` must be given; `pid` and `tgid` are
    /// the ids in that namespace.
    pub pidns: (u64, u64),
}

/// Inode of the initial pid namespace (`PROC_PID_INIT_INO`).
pub const PROC_PID_INIT_INO: u64 = 0xefff_fffc;
/// Device of the nsfs file system on a typical boot (its anonymous device
/// number is assigned at boot: host-specific; set [`Task::pidns`] from
/// `stat /proc/self/ns/pid` to match a machine).
pub const NSFS_DEV: u64 = 4;

impl Task {
    /// Whether the task's cgroup is `id` or below it, comparing ids as
    /// `cgroup_array` slots hold them (their low 32 bits).
    pub fn under_cgroup(&self, id: u32) -> bool {
        std::iter::once(&self.cgroup_id)
            .chain(&self.cgroup_ancestors)
            .any(|&c| c as u32 == id)
    }
}

impl Default for Task {
    fn default() -> Self {
        Task {
            pid: 1000,
            tgid: 1000,
            uid: 0,
            gid: 0,
            comm: "bpfbox".into(),
            cgroup_id: 1,
            cgroup_ancestors: Vec::new(),
            pidns: (NSFS_DEV, PROC_PID_INIT_INO),
        }
    }
}

/// State an event driver keeps for the helpers of one run (the sysctl
/// being written, the socket of a sock_ops callback, ...): any type, so
/// each driver family keeps its own without touching [`HostState`].
#[derive(Default)]
pub struct EventSlot(Option<Box<dyn std::any::Any + Send>>);

impl std::fmt::Debug for EventSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "EventSlot(set)"
        } else {
            "EventSlot(empty)"
        })
    }
}

impl EventSlot {
    /// Stores `v`, replacing what was there.
    pub fn set<T: std::any::Any + Send>(&mut self, v: T) {
        self.0 = Some(Box::new(v));
    }

    /// The stored value if it is a `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.0.as_ref().and_then(|b| b.downcast_ref())
    }

    /// The stored value mutably if it is a `T`.
    pub fn get_mut<T: std::any::Any>(&mut self) -> Option<&mut T> {
        self.0.as_mut().and_then(|b| b.downcast_mut())
    }

    /// Takes the stored value out if it is a `T` (leaves the slot empty
    /// either way).
    pub fn take<T: std::any::Any>(&mut self) -> Option<T> {
        self.0.take().and_then(|b| b.downcast().ok()).map(|b| *b)
    }
}

/// The packet a run works on and where it is mapped in guest memory.
#[derive(Debug, Default)]
pub enum PacketState {
    /// No packet (non-packet program types).
    #[default]
    None,
    /// An `sk_buff`.
    Skb(Box<Skb>),
    /// An `xdp_buff`.
    Xdp(Box<Packet>),
}

/// Guest-memory bookkeeping of the current run (set by the driver).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mapping {
    /// ctx region and its guest address.
    pub ctx: Option<(RegionId, u64)>,
    /// packet region.
    pub pkt: Option<RegionId>,
    /// `struct bpf_sock` region for `skb->sk`.
    pub sk: Option<u64>,
    /// Program type id of the run.
    pub prog_type: u32,
    /// Whether LD_ABS is allowed (its source is refreshed after resizes).
    pub ld_abs: bool,
}

/// Host state shared by all helpers of a run. Create with
/// [`HostState::default`] and adjust the public fields.
#[derive(Debug)]
pub struct HostState {
    /// Maps by index (the order [`crate::link`] created them in; for one
    /// object, the object's map order).
    pub maps: Vec<Map>,
    /// Programs a `prog_array` slot can name, by id (a prog array stores
    /// the index into this list).
    pub programs: Vec<Arc<Program>>,
    /// Lines `bpf_trace_printk` produced (the message part of the
    /// trace_pipe line, without the task/CPU/timestamp prefix).
    pub trace: Vec<String>,
    /// Clock for the `ktime_*` helpers.
    pub clock: Clock,
    /// PRNG for `bpf_get_prandom_u32`.
    pub prng: Prng,
    /// `bpf_get_smp_processor_id` (and the CPU per-CPU maps use).
    pub cpu: u32,
    /// Number of possible CPUs.
    pub nr_cpus: u32,
    /// Devices (index 0 should be loopback, ifindex 1).
    pub devices: Vec<Device>,
    /// Routing tables for `bpf_fib_lookup`.
    pub routes: Vec<Route>,
    /// Neighbour table for `bpf_fib_lookup`.
    pub neighbours: Vec<Neighbour>,
    /// Last redirect decision of the run.
    pub redirect: Option<Redirect>,
    /// The run's packet.
    pub packet: PacketState,
    /// Socket cookie `bpf_get_socket_cookie` returns for the test socket.
    pub socket_cookie: u64,
    /// `bpf_get_netns_cookie` of the current network namespace.
    pub netns_cookie: u64,
    /// The task the program runs in (`bpf_get_current_*`).
    pub task: Task,
    /// Per-run state of the event driver (see [`EventSlot`]).
    pub event: EventSlot,
    pub(crate) map: Mapping,
    /// ctx image the program reads (kept at a stable address).
    pub(crate) ctx_buf: Vec<u64>,
    /// `struct bpf_sock` image for `skb->sk`.
    pub(crate) sk_buf: Vec<u64>,
    /// Receive queue the XDP ctx reports.
    pub(crate) xdp_rxq: crate::ctx::XdpRxq,
    /// One token per map; a map handle is the address of its token.
    pub(crate) map_tokens: Box<[u64]>,
    /// Buffers helpers hand to callbacks during a run (freed after it).
    pub(crate) scratch: Vec<Box<[u8]>>,
    /// The kernel modelled: which helpers each program type may call and
    /// the behaviour facts of [`bpfbox_progtype::profile`] (default: the
    /// built-in upstream 6.18 model). Programs loaded through this host
    /// ([`crate::LoadedProgram::from_object`]) are checked against it.
    pub kernel: std::sync::Arc<bpfbox_progtype::Profile>,
    /// Tracing programs attached to programs run in this host
    /// ([`HostState::attach_tracing`]).
    pub(crate) attached: Vec<std::sync::Arc<crate::drivers::attached::Attached>>,
    /// While an attached tracing program runs: the address of the kernel
    /// context model it was given (what `bpf_xdp_output` and
    /// `bpf_skb_output` accept as their first argument), else 0.
    pub(crate) traced_ctx: u64,
}

impl Default for HostState {
    fn default() -> Self {
        HostState {
            maps: Vec::new(),
            programs: Vec::new(),
            trace: Vec::new(),
            clock: Clock::default(),
            prng: Prng::default(),
            cpu: 0,
            nr_cpus: 1,
            devices: vec![Device::loopback()],
            routes: Vec::new(),
            neighbours: Vec::new(),
            redirect: None,
            packet: PacketState::None,
            socket_cookie: 0x1000,
            netns_cookie: 0x2000,
            task: Task::default(),
            event: EventSlot::default(),
            map: Mapping::default(),
            ctx_buf: Vec::new(),
            sk_buf: Vec::new(),
            xdp_rxq: crate::ctx::XdpRxq {
                ifindex: 1,
                queue: 0,
            },
            map_tokens: vec![0u64; MAX_MAPS].into_boxed_slice(),
            scratch: Vec::new(),
            kernel: bpfbox_progtype::Profile::builtin_shared(),
            attached: Vec::new(),
            traced_ctx: 0,
        }
    }
}

impl HostState {
    /// The handle value a program's `lddw rX, map` holds for map `index`:
    /// the address of a per-map token no program can write.
    pub fn map_handle(&self, index: usize) -> Option<u64> {
        self.map_tokens
            .get(index)
            .map(|t| t as *const u64 as usize as u64)
    }

    /// The map index a handle names.
    pub fn map_index(&self, handle: u64) -> Option<usize> {
        let base = self.map_tokens.as_ptr() as usize as u64;
        let off = handle.checked_sub(base)?;
        if off % 8 != 0 {
            return None;
        }
        let i = (off / 8) as usize;
        (i < self.maps.len()).then_some(i)
    }

    /// The device with this ifindex.
    pub fn device(&self, ifindex: u32) -> Option<&Device> {
        self.devices.iter().find(|d| d.ifindex == ifindex)
    }

    /// The skb of the current run.
    pub fn skb(&self) -> Option<&Skb> {
        match &self.packet {
            PacketState::Skb(s) => Some(s),
            _ => None,
        }
    }

    /// The skb of the current run, mutably.
    pub fn skb_mut(&mut self) -> Option<&mut Skb> {
        match &mut self.packet {
            PacketState::Skb(s) => Some(s),
            _ => None,
        }
    }

    /// The XDP buffer of the current run, mutably.
    pub fn xdp_mut(&mut self) -> Option<&mut Packet> {
        match &mut self.packet {
            PacketState::Xdp(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_prng_are_deterministic() {
        let mut c = Clock::default();
        assert_eq!(c.reading(), 1_000_000_000);
        assert_eq!(c.reading(), 1_000_001_000);
        let a: Vec<u32> = (0..4).map(|_| Prng::new(7).next_u32()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut p = Prng::new(7);
        assert_ne!(p.next_u32(), p.next_u32());
    }
}
