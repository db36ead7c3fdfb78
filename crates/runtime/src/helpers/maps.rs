//! Map helpers over `bpfbox-maps`: lookup (returns a host pointer, whose
//! value is registered as a guest `MapValue` region), update, delete,
//! push/pop/peek, per-CPU lookup, `for_each_map_elem`, `tail_call`,
//! `perf_event_output`, the ring buffer helpers and `spin_lock`/`unlock`.

use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use crate::link::prog_writable;
use bpfbox_interp::{func_slot, RegionKind, Trap, MAX_TAIL_CALL_CNT};
use bpfbox_uapi::helper::id;

use bpfbox_uapi::errno::EINVAL;

/// The map a handle argument names; a bad handle is a trap (the verifier
/// guarantees a map pointer).
fn map_of(vm: &HostVm<'_>, handle: u64) -> Result<usize, Trap> {
    vm.host
        .map_index(handle)
        .ok_or_else(|| vm.helper_error(EINVAL))
}

/// Makes `ptr..ptr+len` of map `m` accessible to the program (once).
pub(super) fn expose(vm: &mut HostVm<'_>, m: usize, ptr: *mut u8, len: usize) {
    let addr = ptr as usize as u64;
    if vm.mem.region_at(addr).is_some() && vm.mem.read(addr, len).is_ok() {
        return;
    }
    let writable = prog_writable(&vm.host.maps[m]);
    let kind = if writable {
        RegionKind::MapValue
    } else {
        RegionKind::ReadOnly
    };
    // SAFETY: the map keeps element storage alive until `end_of_run`, which
    // the driver calls only after the Vm (and its Memory) is gone.
    unsafe {
        vm.mem.add_raw(ptr, len, writable, kind);
    }
}

fn lookup_common(vm: &mut HostVm<'_>, handle: u64, key: u64, cpu: u32) -> Result<u64, Trap> {
    let m = map_of(vm, handle)?;
    let ks = vm.host.maps[m].def().key_size as usize;
    let vs = vm.host.maps[m].def().value_size as usize;
    let k = read_guest(vm, key, ks)?;
    if vm.host.maps[m].map_type().is_map_in_map() {
        // The kernel returns the inner map itself; bpfbox stores host map
        // indices as inner ids (see link::create_maps) and hands out the
        // inner map's handle.
        let inner = vm.host.maps[m].inner_at(&k);
        return Ok(inner
            .and_then(|i| vm.host.map_handle(i as usize))
            .unwrap_or(0));
    }
    match vm.host.maps[m].lookup_ptr(&k, cpu) {
        Some(p) => {
            expose(vm, m, p, vs.max(4));
            Ok(p as usize as u64)
        }
        None => Ok(0),
    }
}

/// `bpf_get_local_storage(map, flags)`: the cgroup storage of the hook
/// (one modelled cgroup). The verifier only accepts flags 0.
fn get_local_storage(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    if a[1] != 0 {
        return Err(vm.helper_error(EINVAL));
    }
    let cpu = vm.host.cpu;
    let vs = vm.host.maps[m].def().value_size as usize;
    let p = vm.host.maps[m]
        .storage_ptr(cpu)
        .ok_or_else(|| vm.helper_error(EINVAL))?;
    expose(vm, m, p, vs);
    Ok(p as usize as u64)
}

fn map_lookup_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let cpu = vm.host.cpu;
    lookup_common(vm, a[0], a[1], cpu)
}

fn map_lookup_percpu_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    if !vm.host.maps[m].map_type().is_percpu() || a[2] as u32 >= vm.host.nr_cpus {
        return Ok(0);
    }
    lookup_common(vm, a[0], a[1], a[2] as u32)
}

fn map_update_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    let d = vm.host.maps[m].def().clone();
    let k = read_guest(vm, a[1], d.key_size as usize)?;
    let v = read_guest(vm, a[2], d.value_size as usize)?;
    Ok(vm.host.maps[m].update_elem(&k, &v, a[3]) as u64)
}

fn map_delete_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    let ks = vm.host.maps[m].def().key_size as usize;
    let k = read_guest(vm, a[1], ks)?;
    Ok(vm.host.maps[m].delete_elem(&k) as u64)
}

fn map_push_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    let vs = vm.host.maps[m].def().value_size as usize;
    let v = read_guest(vm, a[1], vs)?;
    Ok(vm.host.maps[m].push_elem(&v, a[2]) as u64)
}

fn pop_or_peek(vm: &mut HostVm<'_>, a: [u64; 5], pop: bool) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    let vs = vm.host.maps[m].def().value_size as usize;
    // A bloom filter's peek reads the value to test; queues and stacks
    // write the element, or zeroes when empty (`-ENOENT`), like the kernel.
    let mut out = read_guest(vm, a[1], vs)?;
    let bloom = vm.host.maps[m].map_type() == bpfbox_maps::MapType::BloomFilter;
    let r = if pop {
        vm.host.maps[m].pop_elem(&mut out)
    } else {
        vm.host.maps[m].peek_elem(&mut out)
    };
    if !bloom {
        write_guest(vm, a[1], &out)?;
    }
    Ok(r as u64)
}

fn map_pop_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    pop_or_peek(vm, a, true)
}

fn map_peek_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    pop_or_peek(vm, a, false)
}

/// `bpf_tail_call(ctx, prog_array, index)`: on success the VM continues in
/// the target program; on failure (empty slot, index out of range, 33 tail
/// calls taken) the caller continues and r0 is 0.
fn tail_call(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[1])?;
    if vm.tail_call_count() >= MAX_TAIL_CALL_CNT {
        return Ok(0);
    }
    let Some(id) = vm.host.maps[m].prog_at(a[2] as u32) else {
        return Ok(0);
    };
    let Some(p) = vm.host.programs.get(id as usize).cloned() else {
        return Ok(0);
    };
    let n = vm.tail_call_count() + 1;
    vm.set_tail_call_count(n);
    vm.request_tail_call(p);
    Ok(0)
}

/// `BPF_F_CTXLEN_MASK`.
const CTXLEN_MASK: u64 = 0xfffff << 32;

/// `bpf_perf_event_output(ctx, map, flags, data, size)`; for skb and XDP
/// programs the upper 32 bits of `flags` append that many packet bytes.
pub(crate) fn perf_event_output(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[1])?;
    let flags = a[2];
    let mut data = read_guest(vm, a[3], a[4] as usize)?;
    let ctx_len = ((flags & CTXLEN_MASK) >> 32) as usize;
    if flags & !(CTXLEN_MASK | 0xffff_ffff) != 0 {
        return Ok(neg(EINVAL));
    }
    if ctx_len > 0 {
        let bytes = match &vm.host.packet {
            crate::host::PacketState::Skb(s) => s.pkt.read(0, ctx_len),
            crate::host::PacketState::Xdp(p) => p.read(0, ctx_len),
            crate::host::PacketState::None => None,
        };
        match bytes {
            Some(b) => data.extend_from_slice(&b),
            None => return Ok(neg(bpfbox_uapi::errno::EFAULT)),
        }
    }
    Ok(vm.host.maps[m].perf_output(flags & 0xffff_ffff, &data) as u64)
}

fn ringbuf_output(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    let data = read_guest(vm, a[1], a[2] as usize)?;
    Ok(vm.host.maps[m].ringbuf_output(&data, a[3]) as u64)
}

fn ringbuf_reserve(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    match vm.host.maps[m].ringbuf_reserve(a[1], a[2]) {
        Some(p) => {
            expose(vm, m, p, a[1] as usize);
            Ok(p as usize as u64)
        }
        None => Ok(0),
    }
}

fn ring_of(vm: &HostVm<'_>, ptr: u64) -> Result<usize, Trap> {
    let p = ptr as usize as *mut u8;
    vm.host
        .maps
        .iter()
        .position(|m| m.ringbuf_owns(p))
        .ok_or_else(|| vm.helper_error(EINVAL))
}

fn ringbuf_submit(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = ring_of(vm, a[0])?;
    vm.host.maps[m].ringbuf_submit(a[0] as usize as *mut u8, a[1]);
    Ok(0)
}

fn ringbuf_discard(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = ring_of(vm, a[0])?;
    vm.host.maps[m].ringbuf_discard(a[0] as usize as *mut u8, a[1]);
    Ok(0)
}

fn ringbuf_query(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    Ok(vm.host.maps[m].ringbuf_query(a[1]))
}

/// `bpf_for_each_map_elem(map, callback, ctx, flags)`: calls
/// `callback(map, &key, &value, ctx)` for each element (array and hash
/// maps) until it returns 1; returns the number of elements visited.
fn for_each_map_elem(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    if a[3] != 0 {
        return Ok(neg(EINVAL));
    }
    let Some(slot) = func_slot(a[1]) else {
        return Err(vm.helper_error(EINVAL));
    };
    let map = &vm.host.maps[m];
    // Arrays: every index, without listing them first (an array may have
    // millions); other maps: the keys present when the walk starts.
    let keys: Box<dyn Iterator<Item = Vec<u8>>> = if matches!(
        map.map_type(),
        bpfbox_maps::MapType::Array | bpfbox_maps::MapType::PercpuArray
    ) {
        Box::new((0..map.def().max_entries).map(|i| i.to_ne_bytes().to_vec()))
    } else {
        let keys: Vec<Vec<u8>> = map.entries().map(|(k, _)| k).collect();
        Box::new(keys.into_iter())
    };
    let vs = map.def().value_size as usize;
    let cpu = vm.host.cpu;
    let mut n = 0u64;
    // keys are passed in a small host buffer registered read-only per call
    for k in keys {
        let Some(v) = vm.host.maps[m].lookup_ptr(&k, cpu) else {
            continue;
        };
        expose(vm, m, v, vs.max(4));
        let mut kb = k.clone().into_boxed_slice();
        // SAFETY: `kb` lives until after the callback returns; the region
        // is dropped with the Memory at the end of the run, after which the
        // address is never used (callbacks may not keep the key pointer).
        let (_, kaddr) = unsafe {
            vm.mem
                .add_raw(kb.as_mut_ptr(), kb.len(), false, RegionKind::ReadOnly)
        };
        let r = vm.call_function(slot, [a[0], kaddr, v as usize as u64, a[2], 0]);
        // keep the buffer alive (and its address unique) for the whole run
        vm.host.scratch.push(kb);
        n += 1;
        if r? != 0 {
            break;
        }
    }
    Ok(n)
}

/// `bpf_spin_lock`/`bpf_spin_unlock`: a single-threaded run never
/// contends; the argument must be inside map memory.
fn spin_lock(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    vm.mem.read(a[0], 4).map_err(|f| vm.mem_trap(f))?;
    Ok(0)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::MAP_LOOKUP_ELEM, map_lookup_elem),
    HelperImpl::new(id::GET_LOCAL_STORAGE, get_local_storage),
    HelperImpl::new(id::MAP_UPDATE_ELEM, map_update_elem),
    HelperImpl::new(id::MAP_DELETE_ELEM, map_delete_elem),
    HelperImpl::new(id::TAIL_CALL, tail_call),
    HelperImpl::new(id::PERF_EVENT_OUTPUT, perf_event_output),
    HelperImpl::new(id::MAP_PUSH_ELEM, map_push_elem),
    HelperImpl::new(id::MAP_POP_ELEM, map_pop_elem),
    HelperImpl::new(id::MAP_PEEK_ELEM, map_peek_elem),
    HelperImpl::new(id::SPIN_LOCK, spin_lock),
    HelperImpl::new(id::SPIN_UNLOCK, spin_lock),
    HelperImpl::new(id::RINGBUF_OUTPUT, ringbuf_output),
    HelperImpl::new(id::RINGBUF_RESERVE, ringbuf_reserve),
    HelperImpl::new(id::RINGBUF_SUBMIT, ringbuf_submit),
    HelperImpl::new(id::RINGBUF_DISCARD, ringbuf_discard),
    HelperImpl::new(id::RINGBUF_QUERY, ringbuf_query),
    HelperImpl::new(id::FOR_EACH_MAP_ELEM, for_each_map_elem),
    HelperImpl::new(id::MAP_LOOKUP_PERCPU_ELEM, map_lookup_percpu_elem),
];
