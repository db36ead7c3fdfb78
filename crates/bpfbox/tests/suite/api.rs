//! The library API drives both engines with the same calls: a user's test
//! can assert that bpfbox and the kernel agree in one line.

use super::{packets, root};
use bpfbox::{Bpfbox, EngineKind, Xdp};

pub(crate) fn library_runs_agree_with_the_kernel() {
    let path = root().join("examples/xdp_filter.o");
    let mut ours: Xdp = Bpfbox::load_file(&path)
        .unwrap()
        .program("xdp_filter")
        .unwrap();
    let mut kernel: Xdp = Bpfbox::load_file(&path)
        .unwrap()
        .engine(EngineKind::Kernel)
        .program("xdp_filter")
        .unwrap();
    // a map written from user space first, on both
    for p in [&mut ours, &mut kernel] {
        p.hash_map::<u8, u64>("per_proto")
            .unwrap()
            .insert(6, 1000)
            .unwrap();
    }
    let frames = packets::all();
    assert!(frames.len() >= 10);
    for (name, frame) in &frames {
        let (a, b) = (ours.run(frame), kernel.run(frame));
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
            (Err(a), Err(b)) => assert_eq!(
                format!("{a:?}").contains("Some(22)"),
                format!("{b:?}").contains("Some(22)"),
                "{name}: {a} / {b}"
            ),
            (a, b) => panic!("{name}: bpfbox {a:?}, kernel {b:?}"),
        }
    }
    let mut a = ours.hash_map::<u8, u64>("per_proto").unwrap();
    let mut b = kernel.hash_map::<u8, u64>("per_proto").unwrap();
    assert_eq!(a.entries().unwrap(), b.entries().unwrap());
    let (mut a, mut b) = (
        ours.array::<u64>("verdicts").unwrap(),
        kernel.array::<u64>("verdicts").unwrap(),
    );
    for i in 0..5 {
        assert_eq!(a.get(i).unwrap(), b.get(i).unwrap(), "verdicts[{i}]");
    }
}
