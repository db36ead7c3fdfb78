//! The run side follows the kernel profile it is given (no kernel needed):
//! helper refusals in the kernel's words, and behaviour facts such as a
//! kernel that refuses XDP live-frame test runs.

use bpfbox_isa::{slots_from_bytes, RawInsn};
use bpfbox_progtype::Profile;
use bpfbox_runtime::{test_run, HostState, LoadedProgram, ProgType, TestRunInput};
use bpfbox_uapi::{errno, helper::id, test_flags};
use std::path::PathBuf;
use std::sync::Arc;

fn prog(name: &str) -> Vec<RawInsn> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs/runtime")
        .join(format!("{name}.bin"));
    slots_from_bytes(&std::fs::read(&p).unwrap()).unwrap()
}

fn frame() -> Vec<u8> {
    let mut f = vec![0xffu8; 6];
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x00]);
    f.resize(100, 0);
    f
}

/// `xdp_meta` calls bpf_xdp_adjust_meta: loaded on the built-in model,
/// refused on a profile without the helper, with the verifier's words.
pub(crate) fn a_helper_the_profile_lacks_is_refused_in_the_kernels_words() {
    let model = Profile::builtin();
    assert!(LoadedProgram::from_raw_for(&prog("xdp.xdp_meta"), ProgType::Xdp, 0, model).is_ok());
    let without = model.without_helper(ProgType::Xdp, id::XDP_ADJUST_META);
    let e =
        LoadedProgram::from_raw_for(&prog("xdp.xdp_meta"), ProgType::Xdp, 0, &without).unwrap_err();
    assert!(
        matches!(e, bpfbox_runtime::Error::HelperNotAllowed { .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "program of this type cannot use helper bpf_xdp_adjust_meta#54"
    );
    // the other XDP programs do not call it
    assert!(LoadedProgram::from_raw_for(&prog("xdp.xdp_head"), ProgType::Xdp, 0, &without).is_ok());
}

/// A kernel that refuses live-frame runs does so right after the flags
/// check: even a batch size the upstream kernel refuses with E2BIG gets
/// the profile's errno; invalid flags stay EINVAL.
pub(crate) fn xdp_live_frames_follow_the_profile() {
    let run = |kernel: Arc<Profile>, flags: u32, batch: u32| {
        let p =
            LoadedProgram::from_raw_for(&prog("xdp.xdp_head"), ProgType::Xdp, 0, &kernel).unwrap();
        let mut host = HostState::default();
        host.kernel = kernel;
        let input = TestRunInput {
            data_in: frame(),
            flags,
            batch_size: batch,
            repeat: 1,
            ..Default::default()
        };
        test_run(&p, &mut host, &input)
            .map(|o| o.retval)
            .map_err(|e| e.errno)
    };
    let live = test_flags::F_TEST_XDP_LIVE_FRAMES;
    let model = Profile::builtin_shared();
    assert!(run(model.clone(), live, 0).is_ok());
    assert_eq!(run(model, live, 300), Err(errno::E2BIG));
    let mut refusing = Profile::builtin().clone();
    refusing.facts.xdp_live_frames_errno = Some(errno::EPERM);
    let refusing = Arc::new(refusing);
    assert_eq!(run(refusing.clone(), live, 0), Err(errno::EPERM));
    assert_eq!(run(refusing.clone(), live, 300), Err(errno::EPERM));
    assert_eq!(run(refusing.clone(), live | 1, 0), Err(errno::EINVAL));
    assert!(run(refusing, 0, 0).is_ok());
}
