//! `bpf_skb_under_cgroup` and `bpf_current_task_under_cgroup`
//! (net/core/filter.c, kernel/bpf/helpers.c) over cgroup_array maps,
//! whose slots hold cgroup ids in bpfbox (see `bpfbox_maps`' fdarray
//! module), and the running task's cgroup and ancestors
//! ([`crate::host::Task`]).
//!
//! The skb's socket is taken to belong to the running task's cgroup: the
//! kernel's `BPF_PROG_TEST_RUN` gives the skb a socket allocated by the
//! caller, which is charged to the caller's cgroup.

use super::HelperImpl;
use super::HostVm;
use bpfbox_interp::Trap;
use bpfbox_uapi::errno::EINVAL;
use bpfbox_uapi::helper::id;

/// 1 when the task's cgroup is the one in slot `index` of `map` or below
/// it, 0 when not; `-E2BIG`/`-EAGAIN` for a bad index or an empty slot.
fn under(vm: &mut HostVm<'_>, map: u64, index: u64) -> Result<u64, Trap> {
    let m = vm
        .host
        .map_index(map)
        .ok_or_else(|| vm.helper_error(EINVAL))?;
    Ok(match vm.host.maps[m].cgroup_at(index as u32) {
        Ok(id) => u64::from(vm.host.task.under_cgroup(id)),
        Err(e) => e as u64,
    })
}

/// `bpf_skb_under_cgroup(skb, map, index)`.
fn skb_under_cgroup(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    under(vm, a[1], a[2])
}

/// `bpf_current_task_under_cgroup(map, index)`.
fn current_task_under_cgroup(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    under(vm, a[0], a[1])
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::SKB_UNDER_CGROUP, skb_under_cgroup),
    HelperImpl::new(id::CURRENT_TASK_UNDER_CGROUP, current_task_under_cgroup),
];
