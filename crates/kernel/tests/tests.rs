//! Integration tests against the running kernel. Each test `bpf()`: the harness (bpfbox-testkit) reports them as ignored,
//! with the reason, where it is not usable.

use bpfbox_isa::RawInsn;
use bpfbox_kernel::*;

/// `rD = imm` (BPF_ALU64 | BPF_MOV | BPF_K).
fn mov(dst: u8, imm: i32) -> RawInsn {
    RawInsn::new(0xb7, dst, 0, 0, imm)
}

fn exit() -> RawInsn {
    RawInsn::new(0x95, 0, 0, 0, 0)
}

fn errno_of(e: &Error) -> i32 {
    e.errno().map_or(0, |n| n.raw())
}

pub(crate) mod prog {
    use super::*;
    use bpfbox_kernel::consts::prog_type;

    pub(crate) fn socket_filter_returns_42() {
        let insns = [mov(0, 42), exit()];
        let p = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .name("ret42")
            .load()
            .unwrap();
        let pkt = [0u8; 64];
        let out = p.test_run(&TestRun::packet(&pkt)).unwrap();
        assert_eq!(out.retval, 42);
        assert_eq!(out.errno, None);
        assert_eq!(out.data_size_out, 64);
        assert_eq!(out.data_out, pkt);
        let info = p.info().unwrap();
        assert_eq!(info.prog_type, prog_type::SOCKET_FILTER);
        assert_eq!(info.name, "ret42");
        assert!(info.gpl_compatible);
        assert!(info.xlated_prog_len >= 16);
        let x = p.xlated_insns().unwrap();
        assert_eq!(x.len() * 8, info.xlated_prog_len as usize);
    }

    pub(crate) fn rejection_carries_the_verifier_log() {
        // r0 = r2; exit  -- r2 is never initialised.
        let insns = [RawInsn::new(0xbf, 0, 2, 0, 0), exit()];
        let e = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .load()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected);
        assert_eq!(errno_of(&e), libc::EACCES);
        let log = e.log().unwrap();
        assert!(log.contains("R2 !read_ok"), "log: {log}");
        assert!(e.to_string().contains("R2 !read_ok"), "{e}");
    }

    pub(crate) fn log_on_success_when_asked() {
        let insns = [mov(0, 1), exit()];
        let p = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .log_level(2)
            .load()
            .unwrap();
        assert!(p.log().contains("processed 2 insns"), "log: {}", p.log());
    }

    pub(crate) fn tiny_log_buffer_is_grown() {
        let mut insns: Vec<RawInsn> = (0..100).map(|i| mov(0, i)).collect();
        insns.push(exit());
        let mut l = ProgLoad::new(prog_type::SOCKET_FILTER, &insns).log_level(2);
        l.log_size = 8; // raised to the kernel's minimum, still far too small
        let p = l.load().unwrap();
        assert!(p.log().len() > 1000);
        assert!(p.log().contains("processed 101 insns"), "log: {}", p.log());
    }

    pub(crate) fn license_with_nul_is_invalid_input() {
        let insns = [mov(0, 1), exit()];
        let e = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .license("G\0PL")
            .load()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    pub(crate) fn gpl_only_helper_needs_gpl() {
        // call bpf_ktime_get_ns (5, not GPL-only) is fine under any license;
        // bpf_trace_printk (6) is GPL-only.
        let insns = [mov(1, 0), mov(2, 0), RawInsn::new(0x85, 0, 0, 0, 6), exit()];
        let e = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .license("Proprietary")
            .load()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected);
        assert!(e.log().unwrap().contains("GPL"), "{:?}", e.log());
    }
}

pub(crate) mod test_run {
    use super::*;
    use bpfbox_kernel::consts::prog_type;

    pub(crate) fn enospc_still_reports_retval_and_truncated_data() {
        let insns = [mov(0, 7), exit()];
        let p = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .load()
            .unwrap();
        let pkt: Vec<u8> = (0..64u8).collect();
        let out = p
            .test_run(&TestRun {
                data_in: Some(&pkt),
                data_size_out: 20,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(out.errno.map(|e| e.raw()), Some(libc::ENOSPC));
        assert_eq!(out.retval, 7);
        assert_eq!(out.data_size_out, 64);
        // Not an L2 type: the runner hands back a zeroed Ethernet header
        // (bpf_prog_test_run_skb re-pushes it with memset 0).
        let mut want = vec![0u8; 14];
        want.extend_from_slice(&pkt[14..20]);
        assert_eq!(out.data_out, want);
    }

    pub(crate) fn sched_cls_keeps_the_ethernet_header() {
        let insns = [mov(0, 0), exit()];
        let p = ProgLoad::new(prog_type::SCHED_CLS, &insns).load().unwrap();
        let pkt: Vec<u8> = (0..64u8).collect();
        let out = p.test_run(&TestRun::packet(&pkt)).unwrap();
        assert_eq!(out.data_out, pkt);
    }

    pub(crate) fn no_output_buffer_still_reports_size() {
        let insns = [mov(0, 3), exit()];
        let p = ProgLoad::new(prog_type::SOCKET_FILTER, &insns)
            .load()
            .unwrap();
        let pkt = [0u8; 64];
        let out = p
            .test_run(&TestRun {
                data_in: Some(&pkt),
                ..Default::default()
            })
            .unwrap();
        assert_eq!((out.retval, out.data_size_out, out.errno), (3, 64, None));
        assert!(out.data_out.is_empty());
    }

    pub(crate) fn xdp_minimum_packet_is_14_bytes() {
        let insns = [mov(0, 2), exit()];
        let p = ProgLoad::new(prog_type::XDP, &insns)
            .expected_attach_type(consts::attach_type::XDP)
            .load()
            .unwrap();
        let ok = p.test_run(&TestRun::packet(&[0u8; 14])).unwrap();
        assert_eq!(
            (ok.retval, ok.data_size_out, ok.data_out.len()),
            (2, 14, 14)
        );
        let e = p.test_run(&TestRun::packet(&[0u8; 10])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Syscall);
        assert_eq!(errno_of(&e), libc::EINVAL);
        assert_eq!(e.errno().unwrap().name(), Some("EINVAL"));
    }

    pub(crate) fn xdp_ctx_round_trip() {
        let insns = [mov(0, 1), exit()];
        let p = ProgLoad::new(prog_type::XDP, &insns).load().unwrap();
        let pkt = [0u8; 64];
        // xdp_md.data_end = 64: the whole packet is linear.
        let mut ctx = [0u8; 24];
        ctx[4..8].copy_from_slice(&64u32.to_le_bytes());
        let out = p
            .test_run(&TestRun {
                ctx_in: Some(&ctx),
                ctx_size_out: 24,
                ..TestRun::packet(&pkt)
            })
            .unwrap();
        assert_eq!((out.ctx_size_out, out.data_size_out), (24, 64));
        assert_eq!(
            u32::from_le_bytes(out.ctx_out[4..8].try_into().unwrap()),
            64
        );
        // A smaller ctx_out capacity truncates the context and reports ENOSPC.
        let out = p
            .test_run(&TestRun {
                ctx_in: Some(&ctx),
                ctx_size_out: 8,
                ..TestRun::packet(&pkt)
            })
            .unwrap();
        assert_eq!(out.errno.map(|e| e.raw()), Some(libc::ENOSPC));
        assert_eq!(out.ctx_size_out, 24);
        assert_eq!(out.ctx_out.len(), 8);
        assert_eq!(out.retval, 1);
    }

    pub(crate) fn types_without_runner_give_enotsupp() {
        let insns = [mov(0, 1), exit()];
        let p = ProgLoad::new(prog_type::CGROUP_DEVICE, &insns)
            .expected_attach_type(6)
            .load()
            .unwrap();
        let e = p.test_run(&TestRun::packet(&[0u8; 64])).unwrap_err();
        assert_eq!(errno_of(&e), ENOTSUPP);
        assert_eq!(e.errno().unwrap().name(), Some("ENOTSUPP"));
    }

    pub(crate) fn nonzero_ctx_tail_is_e2big() {
        let insns = [mov(0, 1), exit()];
        let p = ProgLoad::new(prog_type::XDP, &insns).load().unwrap();
        let mut ctx = [0u8; 32];
        ctx[30] = 1;
        let e = p
            .test_run(&TestRun {
                ctx_in: Some(&ctx),
                ..TestRun::packet(&[0u8; 64])
            })
            .unwrap_err();
        assert_eq!(errno_of(&e), libc::E2BIG);
    }
}

pub(crate) mod maps {
    use super::*;
    use bpfbox_kernel::consts::{map_flags, map_type};

    fn k(i: u32) -> [u8; 4] {
        i.to_le_bytes()
    }

    pub(crate) fn array_round_trip() {
        let m = create_map(&MapCreate {
            name: "arr",
            ..MapCreate::new(map_type::ARRAY, 4, 8, 4)
        })
        .unwrap();
        assert_eq!(m.lookup(&k(1)).unwrap(), Some(vec![0; 8]));
        assert_eq!(m.lookup(&k(4)).unwrap(), None);
        m.update(&k(1), &7u64.to_le_bytes(), map_flags::ANY)
            .unwrap();
        assert_eq!(m.lookup(&k(1)).unwrap(), Some(7u64.to_le_bytes().to_vec()));
        // Arrays cannot delete, cannot insert new keys.
        assert_eq!(errno_of(&m.delete(&k(1)).unwrap_err()), libc::EINVAL);
        let e = m.update(&k(1), &[0; 8], map_flags::NOEXIST).unwrap_err();
        assert_eq!(errno_of(&e), libc::EEXIST);
        let e = m.update(&k(9), &[0; 8], map_flags::ANY).unwrap_err();
        assert_eq!(errno_of(&e), libc::E2BIG);
        assert_eq!(m.get_next_key(None).unwrap(), Some(k(0).to_vec()));
        assert_eq!(m.get_next_key(Some(&k(2))).unwrap(), Some(k(3).to_vec()));
        assert_eq!(m.get_next_key(Some(&k(3))).unwrap(), None);
        assert_eq!(m.entries().unwrap().len(), 4);
        let info = m.info().unwrap();
        assert_eq!(
            (
                info.map_type,
                info.key_size,
                info.value_size,
                info.max_entries
            ),
            (2, 4, 8, 4)
        );
        assert_eq!(info.name, "arr");
    }

    pub(crate) fn hash_round_trip() {
        let m = MapCreate::new(map_type::HASH, 4, 4, 8).create().unwrap();
        assert_eq!(m.get_next_key(None).unwrap(), None);
        for i in 0..5 {
            m.update(&k(i), &k(i * 10), map_flags::NOEXIST).unwrap();
        }
        let e = m.update(&k(0), &k(1), map_flags::NOEXIST).unwrap_err();
        assert_eq!(errno_of(&e), libc::EEXIST);
        let e = m.update(&k(99), &k(1), map_flags::EXIST).unwrap_err();
        assert_eq!(errno_of(&e), libc::ENOENT);
        assert_eq!(m.lookup(&k(3)).unwrap(), Some(k(30).to_vec()));
        m.delete(&k(3)).unwrap();
        assert_eq!(m.lookup(&k(3)).unwrap(), None);
        assert_eq!(errno_of(&m.delete(&k(3)).unwrap_err()), libc::ENOENT);
        let mut all = m.entries().unwrap();
        all.sort();
        let want: Vec<_> = [0, 1, 2, 4]
            .iter()
            .map(|&i| (k(i).to_vec(), k(i * 10).to_vec()))
            .collect();
        assert_eq!(all, want);
        // Walk with get_next_key by hand: 4 keys, then the end.
        let mut n = 0;
        let mut key = m.get_next_key(None).unwrap();
        while let Some(kk) = key {
            n += 1;
            key = m.get_next_key(Some(&kk)).unwrap();
        }
        assert_eq!(n, 4);
        assert_eq!(
            m.lookup_and_delete(Some(&k(4))).unwrap(),
            Some(k(40).to_vec())
        );
        assert_eq!(m.lookup(&k(4)).unwrap(), None);
    }

    pub(crate) fn wrong_lengths_are_refused_before_the_kernel() {
        let m = MapCreate::new(map_type::HASH, 4, 4, 8).create().unwrap();
        assert_eq!(
            m.lookup(&[0; 3]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            m.update(&k(0), &[0; 5], 0).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    pub(crate) fn percpu_value_size() {
        let cpus = possible_cpus().unwrap();
        let m = MapCreate::new(map_type::PERCPU_ARRAY, 4, 4, 2)
            .create()
            .unwrap();
        assert_eq!(m.value_buf_len(), 8 * cpus);
        let v = m.lookup(&k(0)).unwrap().unwrap();
        assert_eq!(v.len(), 8 * cpus);
        let mut nv = vec![0u8; 8 * cpus];
        for c in 0..cpus {
            nv[c * 8..c * 8 + 4].copy_from_slice(&k(c as u32 + 100));
        }
        m.update(&k(1), &nv, 0).unwrap();
        assert_eq!(m.lookup(&k(1)).unwrap().unwrap(), nv);
        let e = m.update(&k(1), &[0; 4], 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let h = MapCreate::new(map_type::PERCPU_HASH, 4, 12, 2)
            .create()
            .unwrap();
        assert_eq!(h.value_buf_len(), 16 * cpus);
    }

    pub(crate) fn queue_push_peek_pop() {
        let q = MapCreate::new(map_type::QUEUE, 0, 4, 2).create().unwrap();
        assert_eq!(q.lookup_and_delete(None).unwrap(), None);
        q.update(&[], &k(1), 0).unwrap();
        q.update(&[], &k(2), 0).unwrap();
        assert_eq!(errno_of(&q.update(&[], &k(3), 0).unwrap_err()), libc::E2BIG);
        assert_eq!(q.lookup(&[]).unwrap(), Some(k(1).to_vec()));
        assert_eq!(q.lookup_and_delete(None).unwrap(), Some(k(1).to_vec()));
        assert_eq!(q.lookup_and_delete(None).unwrap(), Some(k(2).to_vec()));
        let s = MapCreate::new(map_type::STACK, 0, 4, 2).create().unwrap();
        s.update(&[], &k(1), 0).unwrap();
        s.update(&[], &k(2), 0).unwrap();
        assert_eq!(s.lookup_and_delete(None).unwrap(), Some(k(2).to_vec()));
    }

    pub(crate) fn freeze_blocks_user_updates() {
        let m = MapCreate::new(map_type::ARRAY, 4, 4, 1).create().unwrap();
        m.freeze().unwrap();
        assert_eq!(
            errno_of(&m.update(&k(0), &k(1), 0).unwrap_err()),
            libc::EPERM
        );
    }

    pub(crate) fn bad_create_reports_errno() {
        let e = MapCreate::new(map_type::ARRAY, 3, 4, 1)
            .create()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Syscall);
        assert_eq!(errno_of(&e), libc::EINVAL);
    }

    pub(crate) fn program_reads_a_map_via_fd_array() {
        let m = MapCreate::new(map_type::ARRAY, 4, 8, 1).create().unwrap();
        m.update(&k(0), &1234u64.to_le_bytes(), 0).unwrap();
        use std::os::fd::AsRawFd;
        let fds = [m.as_raw_fd()];
        // r1 = map (idx 0); *(u32*)(r10-4) = 0; r2 = r10 - 4;
        // call map_lookup_elem; if r0 == 0 goto out; r0 = *(u64*)(r0); exit
        let insns = [
            RawInsn::new(0x18, 1, 5, 0, 0),
            RawInsn::new(0, 0, 0, 0, 0),
            RawInsn::new(0x62, 10, 0, -4, 0),
            RawInsn::new(0xbf, 2, 10, 0, 0),
            RawInsn::new(0x07, 2, 0, 0, -4),
            RawInsn::new(0x85, 0, 0, 0, 1),
            RawInsn::new(0x15, 0, 0, 1, 0),
            RawInsn::new(0x79, 0, 0, 0, 0),
            exit(),
        ];
        let p = ProgLoad::new(consts::prog_type::SOCKET_FILTER, &insns)
            .fd_array(&fds)
            .load()
            .unwrap();
        assert_eq!(
            p.test_run(&TestRun::packet(&[0u8; 64])).unwrap().retval,
            1234
        );
    }
}

pub(crate) mod btf {
    use super::*;

    /// Raw BTF: [1] `int`, [2] `int (void)`, [3] global func `main` of
    /// type 2. Strings: "int" at 1, "main" at 5, "a.c" at 10, "return 0;"
    /// at 14.
    fn int_btf() -> Vec<u8> {
        let mut types = Vec::new();
        let mut t = |words: &[u32]| {
            for w in words {
                types.extend_from_slice(&w.to_le_bytes());
            }
        };
        t(&[1, 1 << 24, 4, (1 << 24) | 32]); // INT "int", signed, 32 bits
        t(&[0, 13 << 24, 1]); // FUNC_PROTO returning type 1, no params
        t(&[5, (12 << 24) | 1, 2]); // FUNC "main", global linkage, proto 2
        let strs = b"\0int\0main\0a.c\0return 0;\0";
        let mut b = Vec::new();
        b.extend_from_slice(&0xeb9fu16.to_le_bytes());
        b.push(1); // version
        b.push(0); // flags
        b.extend_from_slice(&24u32.to_le_bytes()); // hdr_len
        b.extend_from_slice(&0u32.to_le_bytes()); // type_off
        b.extend_from_slice(&(types.len() as u32).to_le_bytes());
        b.extend_from_slice(&(types.len() as u32).to_le_bytes()); // str_off
        b.extend_from_slice(&(strs.len() as u32).to_le_bytes());
        b.extend_from_slice(&types);
        b.extend_from_slice(strs);
        b
    }

    pub(crate) fn program_with_func_and_line_info() {
        use std::os::fd::AsRawFd;
        let btf = load_btf(&int_btf()).unwrap();
        let insns = [mov(0, 0), exit()];
        let func_info: Vec<u8> = [0u32, 3].iter().flat_map(|w| w.to_le_bytes()).collect();
        // insn 0, file "a.c", line "return 0;", line 3 col 5
        let line_info: Vec<u8> = [0u32, 10, 14, (3 << 10) | 5]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let p = ProgLoad {
            prog_btf_fd: Some(btf.as_raw_fd()),
            func_info: Some(InfoRecords {
                rec_size: 8,
                data: &func_info,
            }),
            line_info: Some(InfoRecords {
                rec_size: 16,
                data: &line_info,
            }),
            ..ProgLoad::new(consts::prog_type::SOCKET_FILTER, &insns)
        }
        .load()
        .unwrap();
        let info = p.info().unwrap();
        assert_ne!(info.btf_id, 0);
        assert_eq!((info.nr_func_info, info.nr_line_info), (1, 1));
        // A func_info pointing at a non-FUNC type is refused with a log.
        let bad: Vec<u8> = [0u32, 1].iter().flat_map(|w| w.to_le_bytes()).collect();
        let e = ProgLoad {
            prog_btf_fd: Some(btf.as_raw_fd()),
            func_info: Some(InfoRecords {
                rec_size: 8,
                data: &bad,
            }),
            ..ProgLoad::new(consts::prog_type::SOCKET_FILTER, &insns)
        }
        .load()
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected);
        assert!(!e.log().unwrap().is_empty());
    }

    pub(crate) fn load_and_reject() {
        let btf = load_btf(&int_btf()).unwrap();
        // A map typed with the BTF: key and value are `int` (id 1).
        use std::os::fd::AsRawFd;
        let m = MapCreate {
            btf_fd: Some(btf.as_raw_fd()),
            btf_key_type_id: 1,
            btf_value_type_id: 1,
            ..MapCreate::new(consts::map_type::HASH, 4, 4, 1)
        }
        .create()
        .unwrap();
        drop(m);
        let mut bad = int_btf();
        bad[0] = 0; // wrong magic
        let e = load_btf(&bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BtfRejected);
        assert_eq!(errno_of(&e), libc::EINVAL);
    }
}

pub(crate) mod fuzz {
    use super::*;
    use bpfbox_kernel::fuzzgen::random_program;

    pub(crate) fn two_hundred_random_programs_load_and_run() {
        let mut max_verified = 0;
        for seed in 0..200u64 {
            let len = 20 + (seed as usize * 7) % 300;
            let insns = random_program(seed, len);
            let raw = bpfbox_isa::encode(&insns).unwrap();
            let p = match ProgLoad::new(consts::prog_type::SOCKET_FILTER, &raw).load() {
                Ok(p) => p,
                Err(e) => panic!("seed {seed} len {len}: {e}\n{}", e.log().unwrap_or("")),
            };
            max_verified = max_verified.max(p.info().unwrap().verified_insns);
            let out = p.test_run(&TestRun::packet(&[0u8; 64])).unwrap();
            assert_eq!(run_in_kernel(&insns).unwrap(), out.retval, "seed {seed}");
        }
        eprintln!("most instructions verified for one program: {max_verified}");
    }

    pub(crate) fn long_programs_stay_within_the_verifier_budget() {
        for (seed, len) in [(1, 1000), (2, 3000), (3, 8000)] {
            let insns = random_program(seed, len);
            let raw = bpfbox_isa::encode(&insns).unwrap();
            let p = ProgLoad::new(consts::prog_type::SOCKET_FILTER, &raw).load();
            let p = p.unwrap_or_else(|e| panic!("seed {seed} len {len}: {e}"));
            // Far below the 1M-instruction complexity limit.
            assert!(p.info().unwrap().verified_insns < 200_000);
        }
    }

    pub(crate) fn run_in_kernel_reports_rejection() {
        let e = run_in_kernel(&[bpfbox_isa::Insn::Exit]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected);
        assert!(e.log().unwrap().contains("R0 !read_ok"), "{:?}", e.log());
    }
}

/// `bpfbox_isa::sem` checked against the kernel: each XDP program computes
/// 64 cases and writes the full 64-bit results into the packet.
pub(crate) mod sem {
    use super::*;
    use bpfbox_isa::{sem, AluOp, Cond, Endian, Insn, LdImm64, Size, Src, Width};
    use bpfbox_kernel::fuzzgen::Rng;

    const CASES: usize = 64;

    /// Wraps case bodies (each leaves its result in r0) into an XDP
    /// program that stores result i at packet offset 8*i.
    fn run(cases: &[Vec<Insn>]) -> Vec<u64> {
        let mut p: Vec<Insn> = Vec::new();
        let ld = |dst, off| Insn::Load {
            size: Size::W,
            signed: false,
            dst,
            src: 1,
            off,
        };
        p.push(ld(6, 0)); // r6 = data
        p.push(ld(7, 4)); // r7 = data_end
        p.push(Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: 8,
            src: Src::Reg(6),
        });
        let n = 8 * cases.len() as i32;
        p.push(Insn::Alu {
            width: Width::W64,
            op: AluOp::Add,
            dst: 8,
            src: Src::Imm(n),
        });
        let bounds_check = p.len();
        p.push(Insn::Exit); // placeholder for `if r8 > r7 goto out`
        for (i, c) in cases.iter().enumerate() {
            // Relocate the case's jump targets to its position.
            let base = p.len();
            for insn in c {
                let mut insn = *insn;
                if let Insn::Ja { target, .. } | Insn::Jmp { target, .. } = &mut insn {
                    *target += base;
                }
                p.push(insn);
            }
            let off = 8 * i as i16;
            p.push(Insn::Store {
                size: Size::DW,
                dst: 6,
                off,
                src: Src::Reg(0),
            });
        }
        let out = p.len();
        p[bounds_check] = Insn::Jmp {
            width: Width::W64,
            cond: Cond::Gt,
            dst: 8,
            src: Src::Reg(7),
            target: out,
        };
        p.push(Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: 0,
            src: Src::Imm(2),
        });
        p.push(Insn::Exit);
        let raw = bpfbox_isa::encode(&p).unwrap();
        let prog = ProgLoad::new(consts::prog_type::XDP, &raw).load();
        let prog = prog.unwrap_or_else(|e| panic!("{e}\n{}", e.log().unwrap_or("")));
        let pkt = vec![0u8; 8 * cases.len()];
        let o = prog.test_run(&TestRun::packet(&pkt)).unwrap();
        assert_eq!(o.retval, 2);
        o.data_out
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    fn lddw(dst: u8, v: u64) -> [Insn; 2] {
        [
            Insn::LdImm64 {
                dst,
                value: LdImm64::Imm(v),
            },
            Insn::LdImm64Hi,
        ]
    }

    fn value(rng: &mut Rng) -> u64 {
        const EDGE: [u64; 10] = [
            0,
            1,
            u64::MAX,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            i64::MAX as u64,
            i64::MIN as u64,
            0xffff_ffff_8000_0000,
            0x80,
        ];
        match rng.below(3) {
            0 => EDGE[rng.below(EDGE.len())],
            1 => (rng.below(33) as i64 - 16) as u64,
            _ => rng.next_u64(),
        }
    }

    pub(crate) fn alu_matches_the_kernel() {
        const OPS: [AluOp; 17] = [
            AluOp::Add,
            AluOp::Sub,
            AluOp::Mul,
            AluOp::Div,
            AluOp::Sdiv,
            AluOp::Or,
            AluOp::And,
            AluOp::Lsh,
            AluOp::Rsh,
            AluOp::Mod,
            AluOp::Smod,
            AluOp::Xor,
            AluOp::Mov,
            AluOp::Arsh,
            AluOp::Movsx(8),
            AluOp::Movsx(16),
            AluOp::Movsx(32),
        ];
        let mut rng = Rng::new(7);
        for round in 0..40 {
            let mut cases = Vec::new();
            let mut want = Vec::new();
            while cases.len() < CASES {
                let op = OPS[rng.below(OPS.len())];
                let width = if rng.chance(50) {
                    Width::W64
                } else {
                    Width::W32
                };
                if width == Width::W32 && op == AluOp::Movsx(32) {
                    continue;
                }
                let (a, b) = (value(&mut rng), value(&mut rng));
                let imm_ok = !matches!(op, AluOp::Movsx(_));
                let src = if imm_ok && rng.chance(50) {
                    let mut i = b as i32;
                    let bits = if width == Width::W64 { 64 } else { 32 };
                    match op {
                        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => i = i.rem_euclid(bits),
                        AluOp::Div | AluOp::Sdiv | AluOp::Mod | AluOp::Smod if i == 0 => i = -1,
                        _ => {}
                    }
                    Src::Imm(i)
                } else {
                    Src::Reg(1)
                };
                let bv = sem::operand(src, &[0, b, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                want.push((sem::alu(width, op, a, bv), op, width, a, src, b));
                let mut c = lddw(0, a).to_vec();
                c.extend(lddw(1, b));
                c.push(Insn::Alu {
                    width,
                    op,
                    dst: 0,
                    src,
                });
                cases.push(c);
            }
            let got = run(&cases);
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(*g, w.0, "round {round}: {:?}", w);
            }
        }
    }

    pub(crate) fn neg_and_byte_swaps_match_the_kernel() {
        let mut rng = Rng::new(11);
        for _ in 0..10 {
            let mut cases = Vec::new();
            let mut want = Vec::new();
            while cases.len() < CASES {
                let a = value(&mut rng);
                let (insn, w) = match rng.below(4) {
                    0 => {
                        let width = if rng.chance(50) {
                            Width::W64
                        } else {
                            Width::W32
                        };
                        (Insn::Neg { width, dst: 0 }, sem::neg(width, a))
                    }
                    k => {
                        let kind = [Endian::ToLe, Endian::ToBe, Endian::Swap][k - 1];
                        let bits = [16u8, 32, 64][rng.below(3)];
                        (Insn::End { kind, bits, dst: 0 }, sem::endian(kind, bits, a))
                    }
                };
                want.push((w, insn, a));
                let mut c = lddw(0, a).to_vec();
                c.push(insn);
                cases.push(c);
            }
            for (g, w) in run(&cases).iter().zip(&want) {
                assert_eq!(*g, w.0, "{:?}", w);
            }
        }
    }

    pub(crate) fn jump_conditions_match_the_kernel() {
        const CONDS: [Cond; 11] = [
            Cond::Eq,
            Cond::Gt,
            Cond::Ge,
            Cond::Set,
            Cond::Ne,
            Cond::Sgt,
            Cond::Sge,
            Cond::Lt,
            Cond::Le,
            Cond::Slt,
            Cond::Sle,
        ];
        let mut rng = Rng::new(13);
        for _ in 0..20 {
            let mut cases = Vec::new();
            let mut want = Vec::new();
            while cases.len() < CASES {
                let cond = CONDS[rng.below(CONDS.len())];
                let width = if rng.chance(50) {
                    Width::W64
                } else {
                    Width::W32
                };
                let a = value(&mut rng);
                // Equal operands half of the time in the low or all bits.
                let b = match rng.below(3) {
                    0 => a,
                    1 => a ^ 0xffff_ffff_0000_0000,
                    _ => value(&mut rng),
                };
                let src = if rng.chance(50) {
                    Src::Imm(b as i32)
                } else {
                    Src::Reg(1)
                };
                let bv = sem::operand(src, &[0, b, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                want.push((sem::cond(width, cond, a, bv) as u64, cond, width, a, src, b));
                // r2 = a; r1 = b; r0 = 0; if r2 cond src goto T; goto E; T: r0 = 1; E:
                let mut c = lddw(2, a).to_vec();
                c.extend(lddw(1, b));
                c.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Mov,
                    dst: 0,
                    src: Src::Imm(0),
                });
                let j = c.len();
                c.push(Insn::Jmp {
                    width,
                    cond,
                    dst: 2,
                    src,
                    target: j + 2,
                });
                c.push(Insn::Ja {
                    target: j + 3,
                    long: false,
                });
                c.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Mov,
                    dst: 0,
                    src: Src::Imm(1),
                });
                cases.push(c);
            }
            for (g, w) in run(&cases).iter().zip(&want) {
                assert_eq!(*g, w.0, "{:?}", w);
            }
        }
    }
}

pub(crate) mod attach {
    use super::*;
    use bpfbox_kernel::consts::attach_type::CGROUP_DEVICE;
    use bpfbox_kernel::consts::prog_type;

    pub(crate) fn attach_and_detach_a_device_program_to_a_test_cgroup() {
        let cg = TestCgroup::new().expect("test cgroup");
        assert!(cg.path().exists());
        // r0 = 1; exit
        let insns = [
            RawInsn::new(0xb7, 0, 0, 0, 1),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let prog = ProgLoad::new(prog_type::CGROUP_DEVICE, &insns)
            .expected_attach_type(CGROUP_DEVICE)
            .license("GPL")
            .load()
            .expect("load");
        prog_attach(cg.fd(), &prog, CGROUP_DEVICE, 0).expect("attach");
        // Detaching twice: the second time nothing is attached.
        prog_detach(cg.fd(), &prog, CGROUP_DEVICE).expect("detach");
        let e = prog_detach(cg.fd(), &prog, CGROUP_DEVICE).unwrap_err();
        assert_eq!(e.errno(), Some(Errno(libc::ENOENT)));
        let link = link_create(&prog, cg.fd(), CGROUP_DEVICE, 0).expect("link");
        drop(link);
        let p = cg.path().to_path_buf();
        drop(cg);
        assert!(!p.exists());
    }
}

bpfbox_testkit::main! {
    attach::attach_and_detach_a_device_program_to_a_test_cgroup => [kernel],
    prog::socket_filter_returns_42 => [kernel],
    prog::rejection_carries_the_verifier_log => [kernel],
    prog::log_on_success_when_asked => [kernel],
    prog::tiny_log_buffer_is_grown => [kernel],
    prog::license_with_nul_is_invalid_input => [kernel],
    prog::gpl_only_helper_needs_gpl => [kernel],
    test_run::enospc_still_reports_retval_and_truncated_data => [kernel],
    test_run::sched_cls_keeps_the_ethernet_header => [kernel],
    test_run::no_output_buffer_still_reports_size => [kernel],
    test_run::xdp_minimum_packet_is_14_bytes => [kernel],
    test_run::xdp_ctx_round_trip => [kernel],
    test_run::types_without_runner_give_enotsupp => [kernel],
    test_run::nonzero_ctx_tail_is_e2big => [kernel],
    maps::array_round_trip => [kernel],
    maps::hash_round_trip => [kernel],
    maps::wrong_lengths_are_refused_before_the_kernel => [kernel],
    maps::percpu_value_size => [kernel],
    maps::queue_push_peek_pop => [kernel],
    maps::freeze_blocks_user_updates => [kernel],
    maps::bad_create_reports_errno => [kernel],
    maps::program_reads_a_map_via_fd_array => [kernel],
    btf::program_with_func_and_line_info => [kernel],
    btf::load_and_reject => [kernel],
    fuzz::two_hundred_random_programs_load_and_run => [kernel],
    fuzz::long_programs_stay_within_the_verifier_budget => [kernel],
    fuzz::run_in_kernel_reports_rejection => [kernel],
    sem::alu_matches_the_kernel => [kernel],
    sem::neg_and_byte_swaps_match_the_kernel => [kernel],
    sem::jump_conditions_match_the_kernel => [kernel],
}
