//! Clock, PRNG and CPU helpers: deterministic by design (see
//! [`crate::host::Clock`] and [`crate::host::Prng`]).

use super::HelperImpl;
use super::HostVm;
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

fn ktime_get_ns(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(vm.host.clock.reading())
}

fn ktime_get_boot_ns(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    let off = vm.host.clock.boot_offset_ns;
    Ok(vm.host.clock.reading().wrapping_add(off))
}

fn ktime_get_coarse_ns(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    let g = vm.host.clock.coarse_ns.max(1);
    let v = vm.host.clock.reading();
    Ok(v - v % g)
}

fn ktime_get_tai_ns(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    let off = vm.host.clock.tai_offset_ns;
    Ok(vm.host.clock.reading().wrapping_add(off))
}

fn get_prandom_u32(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(vm.host.prng.next_u32()))
}

fn get_smp_processor_id(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(vm.host.cpu))
}

fn get_numa_node_id(_: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(0)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::KTIME_GET_NS, ktime_get_ns),
    HelperImpl::new(id::GET_PRANDOM_U32, get_prandom_u32),
    HelperImpl::new(id::GET_SMP_PROCESSOR_ID, get_smp_processor_id),
    HelperImpl::new(id::GET_NUMA_NODE_ID, get_numa_node_id),
    HelperImpl::new(id::KTIME_GET_BOOT_NS, ktime_get_boot_ns),
    HelperImpl::new(id::KTIME_GET_COARSE_NS, ktime_get_coarse_ns),
    HelperImpl::new(id::KTIME_GET_TAI_NS, ktime_get_tai_ns),
];
