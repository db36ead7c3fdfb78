//! sockmap, sockhash and reuseport_sockarray against the running kernel:
//! create-time errnos, and a fixed sequence of syscall-side operations with
//! real TCP listeners as values (the kernel takes their fds; bpfbox takes the
//! same numbers as socket ids). Lookups are compared by outcome only (the
//! kernel returns socket cookies, bpfbox the ids); key walks as sets (the
//! sockhash seed is random).

use bpfbox_maps::flags::*;
use bpfbox_maps::{Map, MapDef, MapType};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub(crate) mod common;
use common::*;

pub(crate) fn create_validation_matches_kernel() {
    use MapType::*;
    let defs = vec![
        MapDef::new(Sockmap, 4, 4, 4),
        MapDef::new(Sockmap, 4, 8, 4),
        MapDef::new(Sockmap, 4, 2, 4),
        MapDef::new(Sockmap, 8, 4, 4),
        MapDef::new(Sockmap, 4, 4, 0),
        MapDef::new(Sockmap, 4, 4, 4).with_flags(BPF_F_RDONLY),
        MapDef::new(Sockmap, 4, 4, 4).with_flags(BPF_F_RDONLY_PROG),
        MapDef::new(Sockmap, 4, 4, 4).with_flags(BPF_F_NO_PREALLOC),
        MapDef::new(Sockhash, 4, 4, 4),
        MapDef::new(Sockhash, 12, 8, 4),
        MapDef::new(Sockhash, 0, 8, 4),
        MapDef::new(Sockhash, 512, 8, 4),
        MapDef::new(Sockhash, 513, 8, 4),
        MapDef::new(Sockhash, 4, 16, 4),
        MapDef::new(Sockhash, 4, 4, 4).with_flags(BPF_F_ZERO_SEED),
        MapDef::new(Sockhash, 4, 4, 4).with_flags(BPF_F_WRONLY),
        MapDef::new(ReuseportSockarray, 4, 4, 4),
        MapDef::new(ReuseportSockarray, 4, 8, 4),
        MapDef::new(ReuseportSockarray, 4, 2, 4),
        MapDef::new(ReuseportSockarray, 8, 8, 4),
        MapDef::new(ReuseportSockarray, 4, 8, 0),
        MapDef::new(ReuseportSockarray, 4, 8, 4).with_flags(BPF_F_RDONLY_PROG),
        MapDef::new(ReuseportSockarray, 4, 8, 4).with_flags(BPF_F_MMAPABLE),
    ];
    let bad = create_mismatches(&defs, |d| kcreate(d, None, 1));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A TCP listener on 127.0.0.1 with SO_REUSEPORT (a reuseport group of
/// one, as reuseport_sockarray requires).
fn listener() -> OwnedFd {
    // SAFETY: plain socket syscalls on a fresh fd we own.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            (&one as *const libc::c_int).cast(),
            4,
        );
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let r = libc::bind(
            fd,
            (&sa as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        assert_eq!(r, 0);
        assert_eq!(libc::listen(fd, 4), 0);
        OwnedFd::from_raw_fd(fd)
    }
}

enum Op {
    Update(u32, u64, u64),
    Delete(u32),
}

fn same_sequence(def: MapDef, ops: &[Op]) {
    let km = kcreate(&def, None, 1).expect("kernel create");
    let mut om = Map::new(def.clone(), cfg()).expect("bpfbox create");
    let val = |v: u64| v.to_ne_bytes()[..def.value_size as usize].to_vec();
    for (i, op) in ops.iter().enumerate() {
        let (k, o) = match op {
            Op::Update(key, v, flags) => (
                km.update(&key.to_ne_bytes(), &val(*v), *flags),
                ours(om.update(&key.to_ne_bytes(), &val(*v), *flags)),
            ),
            Op::Delete(key) => (
                km.delete(&key.to_ne_bytes()),
                ours(om.delete(&key.to_ne_bytes())),
            ),
        };
        assert_eq!(o, k, "{:?} step {i} result", def.map_type);
        for key in 0..def.max_entries + 2 {
            let kk = key.to_ne_bytes();
            assert_eq!(
                ours(om.lookup(&kk)).map(|_| ()),
                km.lookup(&kk, 0).map(|_| ()),
                "{:?} step {i} lookup {key}",
                def.map_type
            );
        }
        let mut walk = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        while let Ok(n) = ours(om.get_next_key(cur.as_deref())) {
            walk.push(n.clone());
            cur = Some(n);
            if walk.len() > 64 {
                break;
            }
        }
        let mut kwalk = km.dump();
        walk.sort();
        kwalk.sort();
        assert_eq!(walk, kwalk, "{:?} step {i} walk", def.map_type);
    }
}

pub(crate) fn socket_map_operations_match_kernel() {
    let too_big = u64::from(u32::MAX);
    for (t, vs) in [
        (MapType::Sockmap, 8),
        (MapType::Sockmap, 4),
        (MapType::Sockhash, 8),
        (MapType::Sockhash, 4),
        (MapType::ReuseportSockarray, 8),
        (MapType::ReuseportSockarray, 4),
    ] {
        // Fresh sockets per map: a socket stays in a reuseport array until
        // the (deferred) map free, and may be in only one.
        let (a, b) = (listener(), listener());
        let (a, b) = (a.as_raw_fd() as u64, b.as_raw_fd() as u64);
        same_sequence(
            MapDef::new(t, 4, vs, 3),
            &[
                Op::Update(0, a, BPF_ANY),
                Op::Update(0, b, BPF_NOEXIST),
                Op::Update(1, b, BPF_EXIST),
                Op::Update(1, b, BPF_NOEXIST),
                Op::Update(2, a, 4),
                Op::Update(3, a, BPF_ANY),
                Op::Update(2, too_big, BPF_ANY),
                Op::Delete(1),
                Op::Delete(1),
                Op::Delete(7),
                Op::Update(1, a, BPF_ANY),
            ],
        );
    }
}

bpfbox_testkit::main! {
    create_validation_matches_kernel => [kernel],
    socket_map_operations_match_kernel => [kernel],
}
