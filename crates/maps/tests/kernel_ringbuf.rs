//! Compare the ring buffer with the kernel's: a random sequence of
//! `bpf_ringbuf_output`, `reserve` + `submit`/`discard` and `query` calls (tiny
//! socket filters run with `BPF_PROG_TEST_RUN`), interleaved with consuming
//! through the kernel's mmap()ed ring and [`Map::ringbuf_consume`]. Return
//! values and every consumed record must be equal. Skips without bpf().

use bpfbox_maps::{Map, MapDef, MapType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) mod common;
use common::*;

const RINGBUF_OUTPUT: i32 = 130;
const RINGBUF_RESERVE: i32 = 131;
const RINGBUF_SUBMIT: i32 = 132;
const RINGBUF_DISCARD: i32 = 133;
const RINGBUF_QUERY: i32 = 134;

fn ld_map(fd: i32) -> [u64; 2] {
    [insn(0x18, 1, 1, 0, fd), 0]
}

/// Output `size` bytes of fp-256.. filled with 8-byte words `fill + i`.
fn prog_output(fd: i32, size: i32, fill: i32, flags: i32) -> Vec<u64> {
    let mut p: Vec<u64> = (0..32)
        .map(|i| insn(0x7a, 10, 0, -256 + i * 8, fill + i32::from(i)))
        .collect();
    p.extend(ld_map(fd));
    p.push(insn(0xbf, 2, 10, 0, 0));
    p.push(insn(0x07, 2, 0, 0, -256));
    p.push(insn(0xb7, 3, 0, 0, size));
    p.push(insn(0xb7, 4, 0, 0, flags));
    p.push(insn(0x85, 0, 0, 0, RINGBUF_OUTPUT));
    p.push(0x95);
    p
}

/// Reserve `size` bytes, write one 8-byte word, submit or discard; returns 1
/// when the reservation failed, 0 otherwise.
fn prog_reserve(fd: i32, size: i32, fill: i32, discard: bool) -> Vec<u64> {
    let mut p = Vec::new();
    p.extend(ld_map(fd));
    p.push(insn(0xb7, 2, 0, 0, size));
    p.push(insn(0xb7, 3, 0, 0, 0));
    p.push(insn(0x85, 0, 0, 0, RINGBUF_RESERVE));
    p.push(insn(0x55, 0, 0, 2, 0)); // if r0 != 0 goto +2
    p.push(insn(0xb7, 0, 0, 0, 1));
    p.push(0x95);
    p.push(insn(0x7a, 0, 0, 0, fill)); // *(u64 *)(r0 + 0) = fill
    p.push(insn(0xbf, 1, 0, 0, 0));
    p.push(insn(0xb7, 2, 0, 0, 0));
    p.push(insn(
        0x85,
        0,
        0,
        0,
        if discard {
            RINGBUF_DISCARD
        } else {
            RINGBUF_SUBMIT
        },
    ));
    p.push(insn(0xb7, 0, 0, 0, 0));
    p.push(0x95);
    p
}

fn prog_query(fd: i32, flags: i32) -> Vec<u64> {
    let mut p = Vec::new();
    p.extend(ld_map(fd));
    p.push(insn(0xb7, 2, 0, 0, flags));
    p.push(insn(0x85, 0, 0, 0, RINGBUF_QUERY));
    p.push(0x95);
    p
}

struct KRing {
    cons: *mut u64,
    prod: *const u64,
    data: *const u8,
    size: u64,
    maps: [(*mut libc::c_void, usize); 2],
}

impl KRing {
    fn map(fd: i32, size: usize) -> KRing {
        let page = 4096usize;
        // SAFETY: mapping a ring buffer map fd as the kernel documents.
        unsafe {
            let c = libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            assert_ne!(c, libc::MAP_FAILED, "mmap consumer page");
            let plen = page + 2 * size;
            let p = libc::mmap(
                std::ptr::null_mut(),
                plen,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd,
                page as i64,
            );
            assert_ne!(p, libc::MAP_FAILED, "mmap producer pages");
            KRing {
                cons: c as *mut u64,
                prod: p as *const u64,
                data: (p as *const u8).add(page),
                size: size as u64,
                maps: [(c, page), (p, plen)],
            }
        }
    }

    /// Consume like libbpf: stop at a busy record, skip discarded ones.
    fn consume(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        // SAFETY: reads and writes within the mapped ring.
        unsafe {
            let mut cons = std::ptr::read_volatile(self.cons);
            let prod = std::ptr::read_volatile(self.prod);
            while cons < prod {
                let hdr = self.data.add((cons & (self.size - 1)) as usize);
                let len = std::ptr::read_volatile(hdr as *const u32);
                if len & (1 << 31) != 0 {
                    break;
                }
                let n = len & !(1 << 30);
                if len & (1 << 30) == 0 {
                    out.push(std::slice::from_raw_parts(hdr.add(8), n as usize).to_vec());
                }
                cons += (u64::from(n) + 8 + 7) & !7;
                std::ptr::write_volatile(self.cons, cons);
            }
        }
        out
    }
}

impl Drop for KRing {
    fn drop(&mut self) {
        for (p, l) in self.maps {
            // SAFETY: unmapping what `map` mapped.
            unsafe { libc::munmap(p, l) };
        }
    }
}

/// Compare record lists, reporting only the first difference.
fn same_records(a: &[Vec<u8>], b: &[Vec<u8>], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: record count");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.len(), y.len(), "{what}: length of record {i}");
        if let Some(j) = (0..x.len()).find(|&j| x[j] != y[j]) {
            panic!(
                "{what}: record {i} differs at byte {j}: kernel {:02x?}, bpfbox {:02x?}",
                &x[j..(j + 16).min(x.len())],
                &y[j..(j + 16).min(y.len())]
            );
        }
    }
}

fn run(size: u32, ops: usize, seed: u64) {
    let def = MapDef::new(MapType::Ringbuf, 0, 0, size);
    let k = kcreate(&def, None, 1).unwrap();
    let kr = KRing::map(k.fd, size as usize);
    let mut m = Map::new(def, cfg()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut records = 0;
    for step in 0..ops {
        let fill: i32 = rng.gen();
        let (what, theirs, mine) = match rng.gen_range(0..10) {
            0..=3 => {
                let n = rng.gen_range(0..=256);
                let flags = [0, 0, 1, 2, 3, 4][rng.gen_range(0..6)];
                let t = load_and_run(&prog_output(k.fd, n, fill, flags)).unwrap();
                let data: Vec<u8> = (0..32)
                    .flat_map(|i| i64::from(fill + i).to_ne_bytes())
                    .collect();
                (
                    "output",
                    t,
                    m.ringbuf_output(&data[..n as usize], flags as u64) as u32,
                )
            }
            4..=6 => {
                let n = [
                    8,
                    9,
                    100,
                    1000,
                    size as i32 - 16,
                    size as i32 - 8,
                    size as i32,
                ][rng.gen_range(0..7)];
                let discard = rng.gen_range(0..4) == 0;
                let t = load_and_run(&prog_reserve(k.fd, n, fill, discard)).unwrap();
                let mine = match m.ringbuf_reserve(n as u64, 0) {
                    None => 1,
                    Some(p) => {
                        // SAFETY: the reservation holds at least 8 bytes.
                        unsafe { (p as *mut i64).write_unaligned(i64::from(fill)) };
                        if discard {
                            m.ringbuf_discard(p, 0);
                        } else {
                            m.ringbuf_submit(p, 0);
                        }
                        0
                    }
                };
                ("reserve", t, mine)
            }
            7 => {
                let f = rng.gen_range(0..5);
                let t = load_and_run(&prog_query(k.fd, f)).unwrap();
                ("query", t, m.ringbuf_query(f as u64) as u32)
            }
            _ => {
                let a = kr.consume();
                let b = m.ringbuf_consume();
                same_records(&a, &b, &format!("consumed records at step {step}"));
                records += a.len();
                ("consume", 0, 0)
            }
        };
        assert_eq!(
            theirs, mine,
            "ringbuf {size} seed {seed} step {step} {what}"
        );
    }
    same_records(&kr.consume(), &m.ringbuf_consume(), "final records");
    assert!(records > 0, "the sequence consumed nothing");
}

pub(crate) fn ringbuf_matches_kernel() {
    run(4096, 600, 1);
    run(8192, 600, 2);
}

bpfbox_testkit::main! {
    ringbuf_matches_kernel => [kernel],
}
