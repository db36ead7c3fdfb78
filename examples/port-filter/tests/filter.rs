//! The port filter tested as its authors would: fill the map the control
//! plane fills, run packets, assert verdicts and counters.

use bpfbox::{Bpfbox, Error, Xdp, XdpAction};

/// Ethernet + IPv4 + UDP to `port`.
fn udp(port: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.extend_from_slice(&[0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&port.to_be_bytes());
    f.extend_from_slice(&[0, 8, 0, 0]);
    f
}

fn filter() -> Result<Xdp, Error> {
    Bpfbox::load_file(port_filter::OBJECT)?.program("port_filter")
}

#[test]
fn blocked_ports_are_dropped_and_counted() -> Result<(), Error> {
    let mut xdp = filter()?;
    xdp.hash_map::<u16, u64>("blocked")?.insert(53, 0)?;
    assert_eq!(xdp.run(&udp(53))?.action, XdpAction::Drop);
    assert_eq!(xdp.run(&udp(53))?.action, XdpAction::Drop);
    assert_eq!(xdp.run(&udp(80))?.action, XdpAction::Pass);
    assert_eq!(xdp.hash_map::<u16, u64>("blocked")?.get(&53)?, Some(2));
    Ok(())
}

#[test]
fn nothing_is_dropped_before_the_control_plane_fills_the_map() -> Result<(), Error> {
    let mut xdp = filter()?;
    for port in [53, 80, 443] {
        let out = xdp.run(&udp(port))?;
        assert_eq!(out.action, XdpAction::Pass);
        assert_eq!(out.packet, udp(port), "XDP_PASS leaves the frame as it was");
    }
    Ok(())
}

#[test]
fn truncated_udp_is_dropped() -> Result<(), Error> {
    let mut xdp = filter()?;
    let mut short = udp(53);
    short.truncate(14 + 20 + 4);
    assert_eq!(xdp.run(&short)?.action, XdpAction::Drop);
    Ok(())
}

#[test]
fn the_object_is_the_one_build_rs_made() {
    assert!(
        ["clang-19", "committed"].contains(&port_filter::BUILT_WITH),
        "{}",
        port_filter::BUILT_WITH
    );
    let built = std::fs::read(port_filter::OBJECT).unwrap();
    // the committed object must be what clang makes of the source
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/bpf/port_filter.o")).unwrap();
    assert!(built == committed, "bpf/port_filter.o is stale: run make");
}
