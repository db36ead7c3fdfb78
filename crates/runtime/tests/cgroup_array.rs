//! cgroup arrays with `bpf_skb_under_cgroup` and
//! `bpf_current_task_under_cgroup` against the kernel
//! (tests/progs/helpers/cgroup_array.c): slots hold this process's cgroup,
//! a fresh test cgroup beside it, the root cgroup and nothing; the kernel
//! test-runs the tc program from this thread, bpfbox with this thread's
//! cgroup and ancestors as its task. Answers, errnos (EAGAIN, E2BIG) and
//! the syscall-side view of the array (lookup is ENOTSUPP, delete) must
//! be equal.

use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::{test_run, TestRunInput};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

fn obj() -> bpfbox_object::Object {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/helpers/cgroup_array.o");
    bpfbox_object::load_file(p).unwrap()
}

/// This process's cgroup v2 directory and those above it (root first).
fn own_cgroup_chain(root: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let rel = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .expect("a cgroup v2 entry in /proc/self/cgroup");
    let mut chain = vec![root.to_path_buf()];
    let mut p = root.to_path_buf();
    for part in rel
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
    {
        p = p.join(part);
        chain.push(p.clone());
    }
    chain
}

fn ino(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

fn res_words(get: impl Fn(u32) -> Vec<u8>) -> Vec<i64> {
    (0u32..10)
        .map(|k| i64::from_ne_bytes(get(k)[..8].try_into().unwrap()))
        .collect()
}

pub(crate) fn under_cgroup_matches_the_kernel() {
    let root = bpfbox_kernel::cgroup2_root().expect("cgroup v2");
    let chain = own_cgroup_chain(&root);
    let own = chain.last().unwrap().clone();
    let sibling = bpfbox_kernel::TestCgroup::new().unwrap();
    // slot -> cgroup directory (slot 3 stays empty)
    let slots: [(u32, &Path); 3] = [(0, &own), (1, sibling.path()), (2, &root)];
    let o = obj();
    let cg = o.maps.iter().position(|m| m.name == "cgroups").unwrap();
    let res = o.maps.iter().position(|m| m.name == "res").unwrap();

    // the kernel
    let maps: Vec<_> = o
        .maps
        .iter()
        .map(|s| {
            bpfbox_kernel::MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries)
                .create()
                .unwrap()
        })
        .collect();
    let dirs: Vec<std::fs::File> = slots
        .iter()
        .map(|(_, p)| std::fs::File::open(p).unwrap())
        .collect();
    for ((slot, _), f) in slots.iter().zip(&dirs) {
        maps[cg]
            .update(
                &slot.to_ne_bytes(),
                &(f.as_raw_fd() as u32).to_ne_bytes(),
                0,
            )
            .unwrap();
    }
    let def = o.program("under_cgroup").unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let kp = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected under_cgroup: {e}"));
    let mut pkt = vec![0u8; 64];
    pkt[12] = 0x08;
    kp.test_run(&bpfbox_kernel::TestRun::packet(&pkt)).unwrap();
    let kres = res_words(|k| maps[res].lookup(&k.to_ne_bytes()).unwrap().unwrap());

    // bpfbox: this thread's cgroup as the task's, slots holding cgroup ids
    let mut host = crate::running::host();
    host.task.cgroup_id = ino(&own);
    host.task.cgroup_ancestors = chain[..chain.len() - 1].iter().map(|p| ino(p)).collect();
    let prog = LoadedProgram::from_object(&mut host, &o, "under_cgroup").unwrap();
    for (slot, p) in slots {
        host.maps[cg]
            .update(&slot.to_ne_bytes(), &(ino(p) as u32).to_ne_bytes(), 0)
            .unwrap();
    }
    let input = TestRunInput {
        data_in: pkt.clone(),
        ..Default::default()
    };
    test_run(&prog, &mut host, &input).unwrap();
    let bres = res_words(|k| host.maps[res].lookup(&k.to_ne_bytes()).unwrap());
    assert_eq!(kres, [1, 0, 1, -11, -7, 1, 0, 1, -11, -7], "kernel answers");
    assert_eq!(bres, kres, "bpfbox vs kernel");

    // syscall side: lookup ENOTSUPP, delete of a set / empty / outside slot
    let errno = |e: bpfbox_kernel::Error| e.errno().map_or(-1, |n| n.raw());
    for k in [0u32, 3, 9] {
        let key = k.to_ne_bytes();
        let kl = maps[cg].lookup(&key).map(|_| ()).map_err(errno);
        let bl = host.maps[cg]
            .lookup(&key)
            .map(|_| ())
            .map_err(|e| e.errno());
        assert_eq!(bl, kl, "lookup {k}");
        let kd = maps[cg].delete(&key).map_err(errno);
        let bd = host.maps[cg].delete(&key).map_err(|e| e.errno());
        assert_eq!(bd, kd, "delete {k}");
    }
}
