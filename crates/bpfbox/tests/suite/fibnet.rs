//! A network namespace for `bpf_fib_lookup` programs and the same network
//! as a bpfbox [`HostState`]. The kernel's test run looks routes up in the
//! caller's namespace, so the kernel side of such programs runs on a thread
//! that joined this namespace; one description ([`NET`]) drives both the
//! `ip` commands and the host state.
//!
//! Layout: lo (ifindex 1) and a veth pair created as `ve0` with peer `ve1`
//! (the peer is created first: ve1 = 2, ve0 = 3), IPv4 and IPv6
//! forwarding on, addresses, a gateway route, a direct route, blackhole,
//! unreachable and prohibit routes, and permanent neighbours.

use bpfbox_runtime::fib::{add_address, TABLE_LOCAL, TABLE_MAIN};
use bpfbox_runtime::host::{Device, HostState, Neighbour, Route, RouteKind};
use std::net::IpAddr;
use std::process::Command;

struct Dev {
    name: &'static str,
    ifindex: u32,
    mac: [u8; 6],
    mtu: u32,
    addrs: &'static [(&'static str, u8)],
}

const DEVS: &[Dev] = &[
    Dev {
        name: "ve1",
        ifindex: 2,
        mac: [2, 0, 0, 0, 0, 0x11],
        mtu: 1400,
        addrs: &[("198.51.100.1", 24)],
    },
    Dev {
        name: "ve0",
        ifindex: 3,
        mac: [2, 0, 0, 0, 0, 0x10],
        mtu: 1500,
        addrs: &[("10.0.0.1", 24), ("fd00::1", 64)],
    },
];

/// One route as `ip route add` takes it.
struct RouteRow {
    kind: RouteKind,
    prefix: &'static str,
    len: u8,
    gateway: Option<&'static str>,
    dev: &'static str,
    metric: u32,
    mtu: u32,
}

const fn r(
    kind: RouteKind,
    prefix: &'static str,
    len: u8,
    gateway: Option<&'static str>,
    dev: &'static str,
    metric: u32,
    mtu: u32,
) -> RouteRow {
    RouteRow {
        kind,
        prefix,
        len,
        gateway,
        dev,
        metric,
        mtu,
    }
}

const ROUTES: &[RouteRow] = &[
    r(
        RouteKind::Unicast,
        "192.0.2.0",
        24,
        Some("10.0.0.254"),
        "ve0",
        5,
        0,
    ),
    r(
        RouteKind::Unicast,
        "192.0.2.128",
        25,
        Some("10.0.0.254"),
        "ve0",
        0,
        1300,
    ),
    r(RouteKind::Blackhole, "203.0.113.0", 25, None, "", 0, 0),
    r(RouteKind::Unreachable, "203.0.113.128", 25, None, "", 0, 0),
    r(RouteKind::Prohibit, "198.18.0.0", 15, None, "", 0, 0),
    r(
        RouteKind::Unicast,
        "fd01::",
        64,
        Some("fd00::fe"),
        "ve0",
        1024,
        0,
    ),
    r(RouteKind::Blackhole, "fd02::", 64, None, "", 1024, 0),
    r(RouteKind::Unreachable, "fd03::", 64, None, "", 1024, 0),
];

const NEIGHS: &[(&str, [u8; 6], &str)] = &[
    ("10.0.0.254", [2, 0, 0, 0, 0, 0xfe], "ve0"),
    ("198.51.100.7", [2, 0, 0, 0, 0, 0x77], "ve1"),
    ("fd00::fe", [2, 0, 0, 0, 0, 0xfe], "ve0"),
];

fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn ifindex(name: &str) -> u32 {
    DEVS.iter()
        .find(|d| d.name == name)
        .map_or(0, |d| d.ifindex)
}

/// The namespace; deleted on drop.
pub struct TestNet {
    name: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("running ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl TestNet {
    /// Builds the namespace (needs root and the `ip` tool).
    pub fn new() -> Result<TestNet, String> {
        let name = format!("bpfbox-fib-{}", std::process::id());
        let _ = ip(&["netns", "del", &name]);
        ip(&["netns", "add", &name])?;
        let net = TestNet { name };
        net.setup()?;
        Ok(net)
    }

    fn setup(&self) -> Result<(), String> {
        let n = self.name.as_str();
        // peer first: ve1 gets ifindex 2, ve0 ifindex 3
        ip(&[
            "-n", n, "link", "add", "ve0", "type", "veth", "peer", "name", "ve1",
        ])?;
        for sysctl in [
            "net.ipv4.conf.all.forwarding=1",
            "net.ipv6.conf.all.forwarding=1",
        ] {
            let ok = Command::new("ip")
                .args(["netns", "exec", n, "sysctl", "-qw", sysctl])
                .status()
                .map_err(|e| e.to_string())?
                .success();
            if !ok {
                return Err(format!("sysctl {sysctl} failed"));
            }
        }
        ip(&["-n", n, "link", "set", "lo", "up"])?;
        for d in DEVS {
            ip(&["-n", n, "link", "set", d.name, "address", &mac(d.mac)])?;
            ip(&["-n", n, "link", "set", d.name, "mtu", &d.mtu.to_string()])?;
            ip(&["-n", n, "link", "set", d.name, "up"])?;
            for (a, l) in d.addrs {
                let cidr = format!("{a}/{l}");
                let mut args = vec!["-n", n, "addr", "add", &cidr, "dev", d.name];
                if a.contains(':') {
                    args.push("nodad");
                }
                ip(&args)?;
            }
        }
        for rt in ROUTES {
            let cidr = format!("{}/{}", rt.prefix, rt.len);
            let m = rt.metric.to_string();
            let mtu = rt.mtu.to_string();
            let v6 = rt.prefix.contains(':');
            let mut args = vec!["-n", n];
            if v6 {
                args.push("-6");
            }
            args.push("route");
            args.push("add");
            match rt.kind {
                RouteKind::Blackhole => args.push("blackhole"),
                RouteKind::Unreachable => args.push("unreachable"),
                RouteKind::Prohibit => args.push("prohibit"),
                _ => {}
            }
            args.push(&cidr);
            if let Some(g) = rt.gateway {
                args.push("via");
                args.push(g);
            }
            if !rt.dev.is_empty() {
                args.push("dev");
                args.push(rt.dev);
            }
            args.push("metric");
            args.push(&m);
            if rt.mtu != 0 {
                // only a locked route MTU counts for forwarding
                args.extend(["mtu", "lock"]);
                args.push(&mtu);
            }
            ip(&args)?;
        }
        for (a, m, dev) in NEIGHS {
            let mm = mac(*m);
            ip(&[
                "-n",
                n,
                "neigh",
                "add",
                a,
                "lladdr",
                &mm,
                "dev",
                dev,
                "nud",
                "permanent",
            ])?;
        }
        self.check_ifindexes()
    }

    fn check_ifindexes(&self) -> Result<(), String> {
        for d in DEVS {
            let out = Command::new("ip")
                .args(["-n", &self.name, "-o", "link", "show", d.name])
                .output()
                .map_err(|e| e.to_string())?;
            let s = String::from_utf8_lossy(&out.stdout);
            let got = s.split(':').next().unwrap_or("").trim().to_string();
            if got != d.ifindex.to_string() {
                return Err(format!(
                    "{} has ifindex {got}, expected {}",
                    d.name, d.ifindex
                ));
            }
        }
        Ok(())
    }

    /// Runs `f` on a thread that joined the namespace.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, String> {
        let path = format!("/run/netns/{}", self.name);
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        std::thread::scope(|s| {
            s.spawn(|| {
                use std::os::fd::AsRawFd;
                bpfbox::engine::pin_to_cpu0();
                // SAFETY: setns on an open netns fd affects only this thread.
                let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                if r != 0 {
                    return Err(format!("setns: {}", std::io::Error::last_os_error()));
                }
                Ok(f())
            })
            .join()
            .map_err(|_| "namespace thread panicked".to_string())?
        })
    }

    /// The same network as a bpfbox host state, on top of `base`.
    pub fn host(&self, mut base: HostState) -> HostState {
        base.devices.retain(|d| d.ifindex == 1);
        for d in &mut base.devices {
            d.forwarding = true;
            d.addrs = vec![
                ("127.0.0.1".parse().unwrap(), 8),
                ("::1".parse().unwrap(), 128),
            ];
        }
        // what the kernel derives for lo: local 127.0.0.0/8 and ::1
        for (dst, len) in [("127.0.0.0", 8u8), ("::1", 128)] {
            base.routes.push(Route {
                table: TABLE_LOCAL,
                kind: RouteKind::Local,
                dst: dst.parse().unwrap(),
                prefix_len: len,
                ifindex: 1,
                gateway: None,
                metric: 0,
                prefsrc: None,
                mtu: 0,
            });
        }
        for d in DEVS {
            let mut dev = Device::loopback();
            dev.ifindex = d.ifindex;
            dev.name = d.name.into();
            dev.mac = d.mac;
            dev.broadcast = [0xff; 6];
            dev.mtu = d.mtu;
            dev.forwarding = true;
            base.devices.push(dev);
            for (a, l) in d.addrs {
                add_address(&mut base, d.ifindex, a.parse().unwrap(), *l);
            }
        }
        for rt in ROUTES {
            base.routes.push(Route {
                table: TABLE_MAIN,
                kind: rt.kind,
                dst: rt.prefix.parse().unwrap(),
                prefix_len: rt.len,
                ifindex: ifindex(rt.dev),
                gateway: rt.gateway.map(|g| g.parse::<IpAddr>().unwrap()),
                metric: rt.metric,
                prefsrc: None,
                mtu: rt.mtu,
            });
        }
        for (a, m, dev) in NEIGHS {
            base.neighbours.push(Neighbour {
                ifindex: ifindex(dev),
                addr: a.parse().unwrap(),
                mac: *m,
            });
        }
        base
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}
