//! trace_printk / snprintf / bpf_loop / clock on bpfbox, with the exact
//! lines the kernel's bstr_printf would produce; the program is also
//! loaded into the kernel to show it is a valid program there.

use bpfbox_runtime::{test_run, HostState, LoadedProgram, TestRunInput};
use std::path::PathBuf;

pub(crate) fn printk_snprintf_loop_and_clock() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/runtime/misc.o");
    let obj = bpfbox_object::load_file(&path).unwrap();
    let mut host = HostState::default();
    host.clock.step_ns = 250;
    host.cpu = 0;
    let prog = LoadedProgram::from_object(&mut host, &obj, "misc").unwrap();
    let mut frame = vec![0u8; 60];
    frame[12] = 0x08;
    let input = TestRunInput {
        data_in: frame,
        data_size_out: Some(4096),
        ..Default::default()
    };
    let o = test_run(&prog, &mut host, &input).unwrap();
    // loop stops after the callback returns 1 at i == 4: 5 iterations, sum 0+1+2+3+4
    // snprintf returns strlen("len=60 x=beef") + 1 = 14
    assert_eq!(o.retval, 5 * 1000 + 14);
    assert_eq!(
        host.trace,
        vec![
            "loop n=5 sum=10".to_string(),
            "len=60 x=beef|  -42|z  |".to_string(),
            "dt=250 cpu=0".to_string(),
        ]
    );
    {
        // .rodata holds the formats: load with real maps to show validity.
        use std::os::fd::AsRawFd;
        let mut maps = Vec::new();
        for spec in &obj.maps {
            let mut mc = bpfbox_kernel::MapCreate::new(
                spec.map_type,
                spec.key_size,
                spec.value_size,
                spec.max_entries,
            );
            mc.map_flags = spec.map_flags;
            let m = mc.create().unwrap();
            if let Some(d) = &spec.initial_data {
                m.update(&0u32.to_le_bytes(), d, 0).unwrap();
            }
            m.freeze().unwrap();
            maps.push(m);
        }
        let def = obj.program("misc").unwrap();
        let insns = def.link(|i| maps[i].fd().as_raw_fd());
        // bpf_loop callbacks need BTF func_info
        let btf = bpfbox_kernel::load_btf(&obj.btf_for_kernel().unwrap()).unwrap();
        let fi: Vec<u8> = def
            .func_info
            .iter()
            .flat_map(|f| [f.insn.to_le_bytes(), f.type_id.to_le_bytes()].concat())
            .collect();
        let mut pl = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns);
        pl.prog_btf_fd = Some(btf.fd().as_raw_fd());
        pl.func_info = Some(bpfbox_kernel::InfoRecords {
            rec_size: 8,
            data: &fi,
        });
        let kp = pl.load();
        match kp {
            Ok(p) => {
                let ko = p
                    .test_run(&bpfbox_kernel::TestRun::packet(&input.data_in))
                    .unwrap();
                assert_eq!(ko.retval, o.retval, "kernel retval");
            }
            Err(e) => panic!("kernel rejected misc: {e}"),
        }
    }
}
