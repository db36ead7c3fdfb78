//! Syscall-side and helper-side behaviour per map type.

use super::*;

fn cfg(n: u32) -> MapConfig {
    MapConfig {
        ncpus: n,
        current_cpu: 0,
    }
}

fn k(i: u32) -> Vec<u8> {
    i.to_ne_bytes().to_vec()
}

fn code<T>(r: Result<T, MapError>) -> i32 {
    r.map(|_| 0).unwrap_or_else(|e| e.errno())
}

#[test]
fn new_validates_and_config() {
    assert_eq!(
        code(Map::new(MapDef::new(MapType::Array, 8, 4, 1), cfg(1))),
        EINVAL
    );
    assert_eq!(
        code(Map::new(
            MapDef::new(MapType::Array, 4, 4, 1),
            MapConfig {
                ncpus: 2,
                current_cpu: 2
            }
        )),
        EINVAL
    );
    assert_eq!(
        code(Map::new(MapDef::new(MapType::Array, 4, 4, 1 << 30), cfg(1))),
        ENOMEM
    );
    let m = Map::new(MapDef::new(MapType::PercpuArray, 4, 3, 1), cfg(4)).unwrap();
    assert_eq!(m.sys_value_size(), 32);
}

#[test]
fn array_syscall_and_program_side() {
    let mut m = Map::new(MapDef::new(MapType::Array, 4, 4, 2), cfg(1)).unwrap();
    assert_eq!(m.lookup(&k(0)).unwrap(), k(0));
    assert_eq!(code(m.update(&k(0), &k(5), BPF_NOEXIST)), EEXIST);
    assert_eq!(code(m.update(&k(2), &k(5), BPF_ANY)), E2BIG);
    assert_eq!(
        code(m.update(&k(2), &k(5), BPF_F_LOCK)),
        EINVAL,
        "syscall checks the lock first"
    );
    assert_eq!(code(m.delete(&k(0))), EINVAL);
    assert_eq!(code(m.lookup_and_delete(&k(0), 0)), ENOTSUPP);
    assert_eq!(code(m.lookup_with_flags(&k(0), BPF_F_LOCK)), EINVAL);
    assert_eq!(m.update_elem(&k(1), &k(9), BPF_ANY), 0);
    assert_eq!(
        m.update_elem(&k(2), &k(9), BPF_F_LOCK),
        -(E2BIG as i64),
        "helper checks the index first"
    );
    let p = m.lookup_ptr(&k(1), 0).unwrap();
    // SAFETY: p points at a 4-byte value.
    unsafe { *p = 42 };
    assert_eq!(m.lookup(&k(1)).unwrap(), k(42));
    let regions: Vec<_> = m.value_regions().collect();
    assert_eq!(regions.len(), 1);
    assert_eq!(regions[0].1, 16);
    assert_eq!(m.entries().count(), 2);
    assert_eq!(m.get_next_key(None).unwrap(), k(0));
    assert_eq!(m.delete_elem(&k(0)), -(EINVAL as i64));
}

#[test]
fn access_flags_and_freeze() {
    let mut m = Map::new(MapDef::new(MapType::Hash, 4, 4, 2), cfg(1)).unwrap();
    m.update(&k(1), &k(1), BPF_ANY).unwrap();
    m.freeze().unwrap();
    assert!(m.is_frozen());
    assert_eq!(code(m.freeze()), EPERM);
    assert_eq!(code(m.update(&k(1), &k(2), BPF_ANY)), EPERM);
    assert_eq!(code(m.delete(&k(1))), EPERM);
    assert_eq!(code(m.lookup_and_delete(&k(1), 0)), EPERM);
    assert_eq!(m.lookup(&k(1)).unwrap(), k(1));
    assert_eq!(
        m.update_elem(&k(1), &k(3), BPF_ANY),
        0,
        "programs may still write"
    );
    let ro = Map::new(
        MapDef::new(MapType::Array, 4, 4, 1).with_flags(BPF_F_WRONLY),
        cfg(1),
    )
    .unwrap();
    assert_eq!(code(ro.lookup(&k(0))), EPERM);
    assert_eq!(code(ro.get_next_key(None)), EPERM);
}

#[test]
fn hash_deferred_free_keeps_pointers_valid() {
    let mut m = Map::new(MapDef::new(MapType::Hash, 4, 8, 4), cfg(1)).unwrap();
    assert_eq!(m.update_elem(&k(1), &[1; 8], BPF_ANY), 0);
    let p = m.lookup_ptr(&k(1), 0).unwrap();
    assert_eq!(m.delete_elem(&k(1)), 0);
    assert_eq!(m.delete_elem(&k(1)), -(ENOENT as i64));
    assert_eq!(m.deferred_frees(), 1);
    assert!(m.value_regions().any(|(r, _)| r == p));
    // SAFETY: the deleted block lives until end_of_run.
    assert_eq!(unsafe { *p }, 1);
    m.end_of_run();
    assert_eq!(m.deferred_frees(), 0);
    assert_eq!(m.lookup_and_delete(&k(1), 0).unwrap_err().errno(), ENOENT);
    m.update(&k(2), &[2; 8], BPF_ANY).unwrap();
    assert_eq!(m.lookup_and_delete(&k(2), 0).unwrap(), vec![2; 8]);
    assert_eq!(code(m.lookup_and_delete(&k(2), BPF_F_LOCK)), EINVAL);
}

#[test]
fn percpu_hash_program_view() {
    let mut m = Map::new(
        MapDef::new(MapType::PercpuHash, 4, 4, 4),
        MapConfig {
            ncpus: 2,
            current_cpu: 1,
        },
    )
    .unwrap();
    assert_eq!(m.update_elem(&k(1), &k(7), BPF_ANY), 0);
    assert_eq!(
        m.lookup(&k(1)).unwrap(),
        [vec![0; 8], k(7), vec![0; 4]].concat()
    );
    let p0 = m.lookup_ptr(&k(1), 0).unwrap();
    let p1 = m.lookup_ptr(&k(1), 1).unwrap();
    assert_eq!(p1 as usize - p0 as usize, 8);
    assert_eq!(
        code(m.update(&k(1), &k(7), BPF_ANY)),
        EINVAL,
        "syscall value is ncpus * 8 bytes"
    );
    m.set_current_cpu(0).unwrap();
    assert_eq!(code(m.set_current_cpu(2)), EINVAL);
}

#[test]
fn lpm_needs_no_prealloc_and_matches() {
    let def = MapDef::new(MapType::LpmTrie, 8, 4, 4);
    assert_eq!(code(Map::new(def.clone(), cfg(1))), EINVAL);
    let mut m = Map::new(def.with_flags(BPF_F_NO_PREALLOC), cfg(1)).unwrap();
    let key = |l: u32, a: [u8; 4]| [l.to_ne_bytes(), a].concat();
    m.update(&key(8, [10, 0, 0, 0]), &k(8), BPF_ANY).unwrap();
    assert_eq!(m.lookup(&key(32, [10, 1, 2, 3])).unwrap(), k(8));
    let p = m.lookup_ptr(&key(32, [10, 1, 2, 3]), 0).unwrap();
    assert_eq!(unsafe { *p }, 8);
    assert_eq!(
        code(m.lookup_and_delete(&key(8, [10, 0, 0, 0]), 0)),
        ENOTSUPP
    );
    assert_eq!(m.delete_elem(&key(8, [10, 0, 0, 0])), 0);
}

#[test]
fn queue_stack_bloom_syscall_and_helpers() {
    let mut q = Map::new(MapDef::new(MapType::Queue, 0, 4, 2), cfg(1)).unwrap();
    q.update(&[], &k(1), BPF_ANY).unwrap();
    assert_eq!(q.push_elem(&k(2), BPF_ANY), 0);
    assert_eq!(q.push_elem(&k(3), BPF_ANY), -(E2BIG as i64));
    assert_eq!(q.lookup(&[]).unwrap(), k(1));
    assert_eq!(code(q.delete(&[])), EINVAL);
    assert_eq!(code(q.get_next_key(None)), EINVAL);
    assert_eq!(code(q.lookup_and_delete(&[], BPF_F_LOCK)), EINVAL);
    assert_eq!(q.lookup_and_delete(&[], 0).unwrap(), k(1));
    let mut out = [0xffu8; 4];
    assert_eq!(q.peek_elem(&mut out), 0);
    assert_eq!(out, [2, 0, 0, 0]);
    assert_eq!(q.pop_elem(&mut out), 0);
    out = [0xff; 4];
    assert_eq!(q.pop_elem(&mut out), -(ENOENT as i64));
    assert_eq!(out, [0; 4], "empty pop zeroes the buffer");
    assert_eq!(q.entries().count(), 0);

    let mut b = Map::new(MapDef::new(MapType::BloomFilter, 0, 4, 10), cfg(1)).unwrap();
    b.update(&[], &k(5), BPF_ANY).unwrap();
    assert_eq!(code(b.update(&[], &k(5), BPF_EXIST)), EINVAL);
    assert!(b.bloom_lookup(&k(5)).is_ok());
    assert_eq!(code(b.lookup(&[])), EINVAL);
    assert_eq!(code(b.delete(&[])), EOPNOTSUPP);
    assert_eq!(code(b.get_next_key(None)), EOPNOTSUPP);
    assert_eq!(code(b.lookup_and_delete(&[], 0)), ENOTSUPP);
    let mut v = k(5);
    assert_eq!(b.peek_elem(&mut v), 0);
    assert_eq!(b.push_elem(&k(6), BPF_ANY), 0);
    assert_eq!(b.update_elem(&[], &k(6), BPF_ANY), -(EOPNOTSUPP as i64));
}

#[test]
fn prog_and_perf_arrays() {
    let mut p = Map::new(MapDef::new(MapType::ProgArray, 4, 4, 4), cfg(1)).unwrap();
    assert_eq!(code(p.lookup(&k(0))), ENOENT);
    assert_eq!(code(p.update(&k(0), &k(17), BPF_NOEXIST)), EINVAL);
    assert_eq!(code(p.update(&k(4), &k(17), BPF_ANY)), E2BIG);
    p.update(&k(1), &k(17), BPF_ANY).unwrap();
    assert_eq!(p.prog_at(1), Some(17));
    assert_eq!(p.prog_at(0), None);
    assert_eq!(p.prog_at(9), None);
    assert_eq!(p.lookup(&k(1)).unwrap(), k(17));
    assert_eq!(code(p.delete(&k(0))), ENOENT);
    assert_eq!(code(p.delete(&k(9))), E2BIG);
    p.delete(&k(1)).unwrap();
    assert_eq!(p.prog_at(1), None);
    assert!(p.lookup_ptr(&k(1), 0).is_none());

    let mut e = Map::new(
        MapDef::new(MapType::PerfEventArray, 4, 4, 2),
        MapConfig {
            ncpus: 2,
            current_cpu: 1,
        },
    )
    .unwrap();
    assert_eq!(code(e.lookup(&k(0))), ENOTSUPP);
    assert_eq!(e.perf_output(BPF_F_CURRENT_CPU, b"x"), -(ENOENT as i64));
    e.perf_open_all().unwrap();
    assert_eq!(e.perf_output(BPF_F_CURRENT_CPU, b"abc"), 0);
    assert_eq!(e.perf_output(0, b"abc"), -(EOPNOTSUPP as i64));
    assert_eq!(e.perf_records().len(), 1);
    assert_eq!(e.take_perf_records()[0].cpu, 1);
    assert!(e.perf_records().is_empty());
}

#[test]
fn ringbuf_through_map() {
    let mut r = Map::new(MapDef::new(MapType::Ringbuf, 0, 0, 4096), cfg(1)).unwrap();
    assert_eq!(code(r.lookup(&[])), ENOTSUPP);
    assert_eq!(code(r.update(&[], &[], 0)), ENOTSUPP);
    assert_eq!(code(r.delete(&[])), ENOTSUPP);
    assert_eq!(code(r.get_next_key(None)), ENOTSUPP);
    assert!(r.ringbuf_reserve(8, 1).is_none());
    let p = r.ringbuf_reserve(4, 0).unwrap();
    assert!(r.ringbuf_owns(p));
    assert!(r
        .value_regions()
        .any(|(b, l)| (b as usize..b as usize + l).contains(&(p as usize))));
    // SAFETY: 4 reserved bytes.
    unsafe { std::ptr::copy_nonoverlapping(b"ping".as_ptr(), p, 4) };
    assert_eq!(r.ringbuf_submit(p, 0), 0);
    assert_eq!(r.ringbuf_submit(p, 0), -(EINVAL as i64));
    assert_eq!(r.ringbuf_output(b"pong", 0), 0);
    let q = r.ringbuf_reserve(1, 0).unwrap();
    assert_eq!(r.ringbuf_discard(q, 0), 0);
    assert_eq!(r.ringbuf_query(BPF_RB_RING_SIZE), 4096);
    assert_eq!(r.ringbuf_query(BPF_RB_AVAIL_DATA), 48);
    assert_eq!(
        r.ringbuf_consume(),
        vec![b"ping".to_vec(), b"pong".to_vec()]
    );
    assert_eq!(r.ringbuf_query(BPF_RB_AVAIL_DATA), 0);
}

#[test]
fn map_in_map() {
    let inner = MapDef::new(MapType::Array, 4, 4, 4);
    let mut a = Map::new(
        MapDef::new(MapType::ArrayOfMaps, 4, 4, 2).with_inner(inner.clone()),
        cfg(1),
    )
    .unwrap();
    assert_eq!(code(a.update(&k(0), &k(5), BPF_ANY)), EINVAL);
    assert_eq!(code(a.update_inner(&k(0), 5, &inner, BPF_NOEXIST)), EINVAL);
    assert_eq!(code(a.update_inner(&k(2), 5, &inner, BPF_ANY)), E2BIG);
    assert_eq!(
        code(a.update_inner(&k(0), 5, &MapDef::new(MapType::Array, 4, 4, 5), BPF_ANY)),
        EINVAL
    );
    a.update_inner(&k(0), 5, &inner, BPF_ANY).unwrap();
    assert_eq!(a.lookup(&k(0)).unwrap(), k(5));
    assert_eq!(a.inner_at(&k(0)), Some(5));
    let p = a.lookup_ptr(&k(0), 0).unwrap();
    assert_eq!(unsafe { *(p as *const u32) }, 5);
    assert_eq!(code(a.delete(&k(0))), 0);
    assert_eq!(code(a.delete(&k(0))), ENOENT);

    let hinner = MapDef::new(MapType::Hash, 4, 4, 4);
    let mut h = Map::new(
        MapDef::new(MapType::HashOfMaps, 4, 4, 2).with_inner(hinner),
        cfg(1),
    )
    .unwrap();
    h.update_inner(&k(3), 9, &MapDef::new(MapType::Hash, 4, 4, 99), BPF_NOEXIST)
        .unwrap();
    assert_eq!(
        code(h.update_inner(&k(3), 9, &MapDef::new(MapType::Hash, 4, 8, 4), BPF_ANY)),
        EINVAL
    );
    assert_eq!(h.inner_at(&k(3)), Some(9));
    assert_eq!(h.lookup(&k(3)).unwrap(), k(9));
    assert_eq!(code(h.lookup_and_delete(&k(3), 0)), ENOTSUPP);
    assert_eq!(h.update_elem(&k(3), &k(1), BPF_ANY), -(EINVAL as i64));
}

#[test]
fn cgroup_array_slots() {
    let mut c = Map::new(MapDef::new(MapType::CgroupArray, 4, 4, 2), cfg(1)).unwrap();
    assert_eq!(c.cgroup_at(0), Err(-(EAGAIN as i64)));
    assert_eq!(c.cgroup_at(2), Err(-(E2BIG as i64)));
    c.update(&k(1), &k(4242), BPF_ANY).unwrap();
    assert_eq!(c.cgroup_at(1), Ok(4242));
    assert_eq!(code(c.lookup(&k(1))), ENOTSUPP);
    assert_eq!(code(c.update(&k(1), &k(1), BPF_NOEXIST)), EINVAL);
    assert_eq!(code(c.delete(&k(0))), ENOENT);
    assert_eq!(code(c.delete(&k(1))), 0);
    let h = Map::new(MapDef::new(MapType::Hash, 4, 4, 2), cfg(1)).unwrap();
    assert_eq!(h.cgroup_at(0), Err(-(EINVAL as i64)));
}
