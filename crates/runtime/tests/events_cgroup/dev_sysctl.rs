//! CGROUP_DEVICE and CGROUP_SYSCTL against the kernel.

use super::*;
use serde_json::json;

// ---------------------------------------------------------------- device

pub(crate) fn cgroup_device_matches_the_kernel() {
    let o = obj("dev");
    let tmp = std::env::temp_dir().join(format!("bpfbox-dev-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let node = |n: &str| cstr(tmp.join(n).to_str().unwrap());
    let (null, zero, full, random) = (
        cstr("/dev/null"),
        cstr("/dev/zero"),
        cstr("/dev/full"),
        cstr("/dev/random"),
    );
    let (m_full, m_null, m_random, m_blk) =
        (node("full"), node("null"), node("random"), node("loop"));
    // (event, what the child does)
    let events = json!([
        {"access": "read", "type": "char", "major": 1, "minor": 3},
        {"access": "write", "type": "char", "major": 1, "minor": 3},
        {"access": ["read", "write"], "type": "char", "major": 1, "minor": 3},
        {"access": "read", "type": "char", "major": 1, "minor": 5},
        {"access": "write", "type": "char", "major": 1, "minor": 5},
        {"access": "read", "type": "char", "major": 1, "minor": 7},
        {"access": ["read", "write"], "type": "char", "major": 1, "minor": 7},
        {"access": "read", "type": "char", "major": 1, "minor": 8},
        {"access": "mknod", "type": "char", "major": 1, "minor": 7},
        {"access": "mknod", "type": "char", "major": 1, "minor": 3},
        {"access": "mknod", "type": "char", "major": 1, "minor": 8},
        {"access": "mknod", "type": "block", "major": 7, "minor": 0},
    ]);
    let ours: Vec<i64> = fire(&o, "dev_policy", events.clone())
        .iter()
        .map(|r| action_errno(&r.action))
        .collect();
    // what the policy says, independently of either engine
    assert_eq!(ours, vec![0, 0, 0, 0, 1, 13, 13, 1, 0, 0, 1, 1]);
    let cg = test_cgroup();
    let _kp = attach(&cg, &o, "dev_policy");
    let kernel = in_cgroup(&cg, || {
        // SAFETY: system calls on NUL-terminated strings prepared above.
        unsafe {
            let open = |p: &CString, fl: i32| -> i64 {
                let fd = libc::open(p.as_ptr(), fl);
                if fd < 0 {
                    errno()
                } else {
                    libc::close(fd);
                    0
                }
            };
            let mknod = |p: &CString, kind: u32, ma: u32, mi: u32| -> i64 {
                let r = libc::mknod(p.as_ptr(), kind | 0o600, libc::makedev(ma, mi));
                if r < 0 {
                    errno()
                } else {
                    0
                }
            };
            [
                open(&null, libc::O_RDONLY),
                open(&null, libc::O_WRONLY),
                open(&null, libc::O_RDWR),
                open(&zero, libc::O_RDONLY),
                open(&zero, libc::O_WRONLY),
                open(&full, libc::O_RDONLY),
                open(&full, libc::O_RDWR),
                open(&random, libc::O_RDONLY),
                mknod(&m_full, libc::S_IFCHR, 1, 7),
                mknod(&m_null, libc::S_IFCHR, 1, 3),
                mknod(&m_random, libc::S_IFCHR, 1, 8),
                mknod(&m_blk, libc::S_IFBLK, 7, 0),
            ]
        }
    });
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(
        kernel.to_vec(),
        ours,
        "kernel errnos vs bpfbox (events {events})"
    );
}

// ---------------------------------------------------------------- sysctl

pub(crate) fn cgroup_sysctl_matches_the_kernel() {
    let o = obj("sysctl");
    let ev = |v: &str| json!({"name": "kernel/domainname", "current": "(none)\n", "new_value": v});
    let ours = fire(
        &o,
        "sysctl_policy",
        json!([ev("deny\n"), ev("rw\n"), ev("plain\n"), ev("deny-me\n"),
        {"name": "kernel/domainname", "current": "(none)\n"}]),
    );
    // 8 bytes do not fit the program's 8-byte buffer with their NUL:
    // bpf_sysctl_get_new_value returns -E2BIG and the program allows
    assert_eq!(ours[3].action, "allow");
    assert_eq!(ours[4].action, "allow");
    assert_eq!(ours[0].action, "deny: EPERM");
    assert_eq!(ours[1].action, "allow");
    assert_eq!(ours[1].effects["new_value"], "bpf");
    assert_eq!(ours[2].action, "allow");
    assert!(ours[2].effects.get("new_value").is_none());
    assert_eq!(ours[3].action, "allow");
    let cg = test_cgroup();
    let _kp = attach(&cg, &o, "sysctl_policy");
    let path = cstr("/proc/sys/kernel/domainname");
    let (deny, rw, plain, long) = (b"deny\n", b"rw\n", b"plain\n", b"deny-me\n");
    let k = in_cgroup(&cg, || {
        // SAFETY: system calls on buffers that live for the closure.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUTS) != 0 {
                return [-1, errno(), 0, 0, 0, 0, 0];
            }
            let write = |v: &[u8]| -> i64 {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
                if fd < 0 {
                    return -errno();
                }
                let r = libc::write(fd, v.as_ptr().cast(), v.len());
                let e = if r < 0 { errno() } else { 0 };
                libc::close(fd);
                e
            };
            // the first 8 bytes of the value, as a number
            let read = || -> i64 {
                let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
                let mut b = [0u8; 8];
                libc::read(fd, b.as_mut_ptr().cast(), 8);
                libc::close(fd);
                i64::from_le_bytes(b)
            };
            let d = write(deny);
            let r = write(rw);
            let after_rw = read();
            let p = write(plain);
            let after_plain = read();
            let l = write(long);
            [0, d, r, after_rw, p, after_plain, l]
        }
    });
    assert_eq!(k[0], 0, "unshare(CLONE_NEWUTS) failed: errno {}", k[1]);
    assert_eq!(k[1], action_errno(&ours[0].action), "denied write");
    assert_eq!(k[2], action_errno(&ours[1].action), "rewritten write");
    let text = |v: i64| {
        let b = v.to_le_bytes();
        String::from_utf8_lossy(&b[..b.iter().position(|&c| c == 0).unwrap_or(8)]).into_owned()
    };
    // the kernel's handler stored what the program set
    assert_eq!(
        text(k[3]),
        format!("{}\n", ours[1].effects["new_value"].as_str().unwrap())
    );
    assert_eq!(k[4], 0);
    assert_eq!(text(k[5]), "plain\n");
    assert_eq!(
        k[6],
        action_errno(&ours[3].action),
        "8-byte value: E2BIG in the program"
    );
}

pub(crate) fn sysctl_helpers_in_bpfbox() {
    let o = obj("sysctl");
    // reads are allowed without looking further; other names too
    let r = fire(
        &o,
        "sysctl_policy",
        json!([{"name": "net/ipv4/ip_forward", "new_value": "deny"},
                                              {"name": "kernel/domainname", "current": "x\n"}]),
    );
    assert_eq!(r[0].action, "allow");
    assert_eq!(r[1].action, "allow");
    assert_eq!(r[1].effects["write"], false);
    // a value of one byte: get_new_value returns 1 (< 2) → allowed as is
    let r = fire(
        &o,
        "sysctl_policy",
        json!({"name": "kernel/domainname", "new_value": "d"}),
    );
    assert_eq!(r[0].action, "allow");
}

/// The probe's map value in both engines: 0xaa everywhere, `done` = 0.
fn probe_fill(len: usize) -> Vec<u8> {
    let mut v = vec![0xaa; len];
    let n = v.len();
    v[n - 8..].fill(0);
    v
}

pub(crate) fn sysctl_helper_results_match_the_kernel() {
    let o = obj("sysctl_probe");
    let spec = &o.maps[0];
    let fill = probe_fill(spec.value_size as usize);
    let (p, mut host) = bpfbox_prog(&o, "sysctl_probe");
    for k in 0u32..2 {
        host.maps[0].update(&k.to_le_bytes(), &fill, 0).unwrap();
    }
    let events = json!([
        {"name": "kernel/domainname", "current": "4711x\n"},
        {"name": "kernel/domainname", "current": "4711x\n", "new_value": "77\n"},
    ]);
    let r = fire_all(&p, &mut host, &events).unwrap();
    assert_eq!(r[1].effects["new_value"], "9\n");
    let ours: Vec<Vec<u8>> = (0u32..2)
        .map(|k| host.maps[0].lookup(&k.to_le_bytes()).unwrap())
        .collect();
    // spot checks against the kernel source's rules
    let r64 = |v: &[u8], i: usize| i64::from_le_bytes(v[i * 8..i * 8 + 8].try_into().unwrap());
    assert_eq!(
        (0..11).map(|i| r64(&ours[0], i)).collect::<Vec<_>>(),
        vec![-7, 17, -7, 10, -7, 6, -22, -22, 4, 4, -22]
    );
    assert_eq!(r64(&ours[0], 12), 4711);
    assert_eq!(r64(&ours[0], 13), 0x4711);
    assert_eq!((r64(&ours[1], 6), r64(&ours[1], 7)), (3, -7));
    let cg = test_cgroup();
    let mut mc = bpfbox_kernel::MapCreate::new(
        spec.map_type,
        spec.key_size,
        spec.value_size,
        spec.max_entries,
    );
    mc.map_flags = spec.map_flags;
    let map = mc.create().unwrap();
    for k in 0u32..2 {
        map.update(&k.to_le_bytes(), &fill, 0).unwrap();
    }
    let def = o.program("sysctl_probe").unwrap();
    let insns = def.link(|_| {
        use std::os::fd::AsRawFd;
        map.fd().as_raw_fd()
    });
    let kp = ProgLoad::new(def.prog_type, &insns)
        .expected_attach_type(def.expected_attach_type)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected sysctl_probe: {e}"));
    bpfbox_kernel::prog_attach(cg.fd(), &kp, def.expected_attach_type, 0).unwrap();
    let path = cstr("/proc/sys/kernel/domainname");
    let k = in_cgroup(&cg, || {
        // SAFETY: system calls on buffers that live for the closure.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUTS) != 0 {
                return [errno(), 0];
            }
            let name = b"4711x";
            if libc::setdomainname(name.as_ptr().cast(), name.len()) != 0 {
                return [errno(), 1];
            }
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
            let mut b = [0u8; 16];
            libc::read(fd, b.as_mut_ptr().cast(), 16);
            libc::close(fd);
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
            let w = libc::write(fd, b"77\n".as_ptr().cast(), 3);
            libc::close(fd);
            [0, w as i64]
        }
    });
    assert_eq!(k[0], 0, "child setup failed at step {}", k[1]);
    for key in 0u32..2 {
        let theirs = map.lookup(&key.to_le_bytes()).unwrap().unwrap();
        assert_eq!(
            ours[key as usize], theirs,
            "probe entry {key} (0 = read, 1 = write)"
        );
    }
}
