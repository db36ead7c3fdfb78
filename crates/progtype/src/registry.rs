//! The registry: `ProgType` → spec (the only `match` over [`ProgType`]),
//! [`ALL`], lookups by id and name, and the invariant tests over every type.

use crate::spec::{ProgType, ProgTypeSpec};
use crate::types::*;
use crate::{Error, ErrorKind};

/// The spec of a program type. Adding a `ProgType` variant does not compile
/// until its row exists here.
pub fn spec_of(ty: ProgType) -> &'static ProgTypeSpec {
    match ty {
        ProgType::SocketFilter => &socket_filter::SPEC,
        ProgType::Kprobe => &kprobe::SPEC,
        ProgType::SchedCls => &sched_cls::SPEC,
        ProgType::SchedAct => &sched_act::SPEC,
        ProgType::Tracepoint => &tracepoint::SPEC,
        ProgType::Xdp => &xdp::SPEC,
        ProgType::PerfEvent => &perf_event::SPEC,
        ProgType::CgroupSkb => &cgroup_skb::SPEC,
        ProgType::CgroupSock => &cgroup_sock::SPEC,
        ProgType::LwtIn => &lwt_in::SPEC,
        ProgType::LwtOut => &lwt_out::SPEC,
        ProgType::LwtXmit => &lwt_xmit::SPEC,
        ProgType::SockOps => &sock_ops::SPEC,
        ProgType::SkSkb => &sk_skb::SPEC,
        ProgType::CgroupDevice => &cgroup_device::SPEC,
        ProgType::SkMsg => &sk_msg::SPEC,
        ProgType::RawTracepoint => &raw_tracepoint::SPEC,
        ProgType::CgroupSockAddr => &cgroup_sock_addr::SPEC,
        ProgType::LwtSeg6local => &lwt_seg6local::SPEC,
        ProgType::LircMode2 => &lirc_mode2::SPEC,
        ProgType::SkReuseport => &sk_reuseport::SPEC,
        ProgType::FlowDissector => &flow_dissector::SPEC,
        ProgType::CgroupSysctl => &cgroup_sysctl::SPEC,
        ProgType::RawTracepointWritable => &raw_tracepoint_writable::SPEC,
        ProgType::CgroupSockopt => &cgroup_sockopt::SPEC,
        ProgType::Tracing => &tracing::SPEC,
        ProgType::StructOps => &struct_ops::SPEC,
        ProgType::Ext => &ext::SPEC,
        ProgType::Lsm => &lsm::SPEC,
        ProgType::SkLookup => &sk_lookup::SPEC,
        ProgType::Syscall => &syscall::SPEC,
        ProgType::Netfilter => &netfilter::SPEC,
    }
}

/// Every program type of 6.18, in id order (1..=32).
pub static ALL: &[&ProgTypeSpec] = &[
    &socket_filter::SPEC,
    &kprobe::SPEC,
    &sched_cls::SPEC,
    &sched_act::SPEC,
    &tracepoint::SPEC,
    &xdp::SPEC,
    &perf_event::SPEC,
    &cgroup_skb::SPEC,
    &cgroup_sock::SPEC,
    &lwt_in::SPEC,
    &lwt_out::SPEC,
    &lwt_xmit::SPEC,
    &sock_ops::SPEC,
    &sk_skb::SPEC,
    &cgroup_device::SPEC,
    &sk_msg::SPEC,
    &raw_tracepoint::SPEC,
    &cgroup_sock_addr::SPEC,
    &lwt_seg6local::SPEC,
    &lirc_mode2::SPEC,
    &sk_reuseport::SPEC,
    &flow_dissector::SPEC,
    &cgroup_sysctl::SPEC,
    &raw_tracepoint_writable::SPEC,
    &cgroup_sockopt::SPEC,
    &tracing::SPEC,
    &struct_ops::SPEC,
    &ext::SPEC,
    &lsm::SPEC,
    &sk_lookup::SPEC,
    &syscall::SPEC,
    &netfilter::SPEC,
];

/// The spec with this kernel id (1..=32).
pub fn by_id(id: u32) -> Option<&'static ProgTypeSpec> {
    ALL.iter().copied().find(|s| s.ty.id() == id)
}

/// Look up by name, case-insensitive: the short name (`xdp`,
/// `sched_cls`), the kernel name with or without prefix
/// (`BPF_PROG_TYPE_XDP`, `XDP`), the kernel ops name when unique
/// (`cg_skb`), or a decimal id.
pub fn by_name(name: &str) -> Result<&'static ProgTypeSpec, Error> {
    let n = name.trim().to_ascii_lowercase();
    let bare = n.strip_prefix("bpf_prog_type_").unwrap_or(&n);
    if let Ok(id) = bare.parse::<u32>() {
        return by_id(id).ok_or_else(|| Error::new(ErrorKind::UnknownProgTypeId(id)));
    }
    let exact = ALL
        .iter()
        .copied()
        .find(|s| s.short == bare || s.name["BPF_PROG_TYPE_".len()..].eq_ignore_ascii_case(bare));
    if let Some(s) = exact {
        return Ok(s);
    }
    let mut ops = ALL.iter().copied().filter(|s| s.kernel_ops == bare);
    match (ops.next(), ops.next()) {
        (Some(s), None) => Ok(s),
        _ => Err(Error::new(ErrorKind::UnknownProgTypeName(name.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attach::{AttachType as A, ALL_ATTACH_TYPES};
    use crate::ctx::{FieldRule, RegKind};
    use crate::helpers::{HelperAvail, HELPER_COUNT};
    use crate::ret::RangeRule;
    use std::collections::HashSet;

    /// Every attach type a spec mentions, plus None: the configurations to
    /// check invariants under.
    fn configs(s: &ProgTypeSpec) -> Vec<Option<A>> {
        let mut v: Vec<Option<A>> = vec![None];
        v.extend(s.attach.attach_types.iter().map(|a| Some(*a)));
        v.extend(s.sec_names.iter().filter_map(|d| d.attach).map(Some));
        v
    }

    #[test]
    fn every_type_1_to_32_present_in_order_and_mapped() {
        assert_eq!(ALL.len(), 32);
        for (i, s) in ALL.iter().enumerate() {
            assert_eq!(s.id(), i as u32 + 1, "{}", s.name);
            assert!(std::ptr::eq(spec_of(s.ty), *s), "{}", s.name);
            assert_eq!(ProgType::from_id(s.id()), Some(s.ty));
        }
        assert!(by_id(0).is_none());
        assert!(by_id(33).is_none());
    }

    #[test]
    fn names_unique_and_well_formed() {
        let mut names = HashSet::new();
        let mut shorts = HashSet::new();
        for s in ALL {
            assert!(s.name.starts_with("BPF_PROG_TYPE_"), "{}", s.name);
            assert_eq!(
                s.name["BPF_PROG_TYPE_".len()..].to_ascii_lowercase(),
                s.short
            );
            assert!(names.insert(s.name), "duplicate {}", s.name);
            assert!(shorts.insert(s.short), "duplicate {}", s.short);
            assert!(!s.use_cases.is_empty() && !s.hook.is_empty() && !s.attach.method.is_empty());
            assert!(!s.sec_names.is_empty(), "{}", s.name);
            assert_eq!(by_name(s.short).unwrap().ty, s.ty);
            assert_eq!(by_name(s.name).unwrap().ty, s.ty);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(by_name("XDP").unwrap().id(), 6);
        assert_eq!(by_name("bpf_prog_type_sched_cls").unwrap().id(), 3);
        assert_eq!(by_name("cg_skb").unwrap().id(), 8);
        assert_eq!(by_name("6").unwrap().short, "xdp");
        // tc_cls_act is shared by SCHED_CLS and SCHED_ACT: ambiguous
        assert!(by_name("tc_cls_act").is_err());
        assert!(matches!(
            by_name("nope").unwrap_err().kind(),
            ErrorKind::UnknownProgTypeName(_)
        ));
    }

    #[test]
    fn ctx_fields_inside_aligned_non_overlapping() {
        let mut layouts = Vec::new();
        for s in ALL {
            layouts.push((s.name, s.ctx));
            layouts.extend(s.pointees.iter().map(|p| (s.name, p.layout)));
        }
        for (name, l) in layouts {
            let mut end = 0u32;
            for f in l.fields {
                assert!(
                    f.end() <= l.size,
                    "{name}: {} outside {}",
                    f.name,
                    l.struct_name
                );
                assert!(f.offset as u32 >= end, "{name}: {} overlaps", f.name);
                assert!(
                    f.unit > 0 && f.size % f.unit as u16 == 0,
                    "{name}: {}",
                    f.name
                );
                assert_eq!(f.offset % f.unit as u16, 0, "{name}: {} misaligned", f.name);
                end = f.end();
            }
        }
    }

    fn check_rule(name: &str, l: &crate::ctx::CtxLayout, r: &FieldRule) {
        let f = l
            .field_at(r.off as u32)
            .unwrap_or_else(|| panic!("{name}: rule at {} is in padding", r.off));
        assert_eq!(
            (r.off - f.offset) % f.unit as u16,
            0,
            "{name}: rule at {} is not an element start",
            r.off
        );
        assert!(
            r.off as u32 + r.size as u32 <= l.size,
            "{name}: rule {} too long",
            f.name
        );
        for a in [r.read, r.write] {
            for w in a.widths.iter() {
                assert!(w <= r.size as u32, "{name}: {} width {w} > rule", f.name);
            }
        }
        if r.result.is_pointer() {
            assert!(r.write.is_none(), "{name}: pointer {} writable", f.name);
            assert!(!r.read.anywhere, "{name}: pointer {} narrow", f.name);
            assert_eq!(
                r.read.widths.iter().collect::<Vec<_>>(),
                vec![r.size as u32]
            );
        }
    }

    #[test]
    fn access_rules_sit_on_fields() {
        for s in ALL {
            for r in s.access.all_rules() {
                check_rule(s.name, s.ctx, r);
            }
            for p in s.pointees {
                for r in p.access.all_rules() {
                    check_rule(s.name, p.layout, r);
                }
            }
        }
    }

    #[test]
    fn return_rules_cover_every_config_and_ranges_non_empty() {
        for s in ALL {
            for a in configs(s) {
                assert!(s.ret.rule(a).is_some(), "{} {:?}", s.name, a);
            }
            for r in s.ret.rules {
                if let RangeRule::Range { min, max } = r.range {
                    assert!(min <= max, "{}", s.name);
                    for v in r.values {
                        assert!(v.value >= min && v.value <= max, "{} {}", s.name, v.name);
                    }
                }
            }
        }
    }

    #[test]
    fn helper_ids_exist() {
        for s in ALL {
            for set in s.helpers.all_sets() {
                for &id in set.ids {
                    assert!((1..HELPER_COUNT).contains(&id), "{}: {id}", s.name);
                }
            }
            for &id in s.characteristic_helpers {
                assert!((1..HELPER_COUNT).contains(&id), "{}: {id}", s.name);
                if !matches!(s.helpers, HelperAvail::InheritTarget) {
                    let ok = configs(s).iter().any(|a| s.helper_allowed(*a, id));
                    assert!(ok, "{}: characteristic helper {id} never allowed", s.name);
                }
            }
        }
    }

    /// Every helper some type offers (any layer, any attach rule, any
    /// configuration) has a prototype in `helpers/proto.rs`: without one
    /// the verifier could not check its arguments and would accept calls
    /// the kernel refuses.
    #[test]
    fn every_offered_helper_is_declared() {
        let mut undeclared = std::collections::BTreeMap::<u32, Vec<&str>>::new();
        for s in ALL {
            let mut ids: Vec<u32> = s
                .helpers
                .all_sets()
                .iter()
                .flat_map(|set| set.ids.iter().copied())
                .collect();
            for a in configs(s) {
                ids.extend((1..HELPER_COUNT).filter(|&id| s.helper_allowed(a, id)));
            }
            for id in ids {
                if crate::helpers::proto(id).is_none() {
                    let users = undeclared.entry(id).or_default();
                    if !users.contains(&s.short) {
                        users.push(s.short);
                    }
                }
            }
        }
        let list: Vec<String> = undeclared
            .iter()
            .map(|(id, users)| {
                let name = crate::helpers::helper_name(*id).unwrap_or("?");
                format!("{id} {name} ({})", users.join(","))
            })
            .collect();
        assert!(
            list.is_empty(),
            "{} offered helpers without a prototype:\n{}",
            list.len(),
            list.join("\n")
        );
    }

    #[test]
    fn sec_names_and_attach_types_consistent() {
        for s in ALL {
            for d in s.sec_names {
                if let Some(a) = d.attach {
                    assert!(
                        s.normalize_attach(a.id()).is_ok(),
                        "{} {}",
                        s.name,
                        d.pattern
                    );
                }
            }
        }
        assert_eq!(ALL_ATTACH_TYPES.len(), 58);
    }

    /// Helper counts per configuration measured on 6.18 (spec §4.1).
    #[test]
    fn helper_counts_match_measurement() {
        use ProgType as P;
        let cases: &[(P, Option<A>, usize)] = &[
            (P::SocketFilter, None, 86),
            (P::SchedCls, None, 137),
            (P::SchedCls, Some(A::TcxIngress), 137),
            (P::SchedAct, None, 137),
            (P::Xdp, Some(A::XdpDevmap), 102),
            (P::CgroupSkb, Some(A::CgroupInetEgress), 101),
            (P::CgroupSock, Some(A::CgroupInet4PostBind), 80),
            (P::CgroupDevice, None, 76),
            (P::SockOps, None, 95),
            (P::SkSkb, Some(A::SkSkbVerdict), 95),
            (P::SkMsg, None, 91),
            (P::SkReuseport, Some(A::SkReuseportSelect), 77),
            (P::SkLookup, Some(A::SkLookup), 83),
            (P::LwtIn, None, 88),
            (P::LwtOut, None, 87),
            (P::LwtXmit, None, 102),
            (P::LwtSeg6local, None, 90),
            (P::Kprobe, None, 79),
            (P::Kprobe, Some(A::TraceKprobeSession), 79),
            (P::Tracepoint, None, 78),
            (P::PerfEvent, None, 80),
            (P::RawTracepoint, None, 78),
            (P::RawTracepointWritable, None, 78),
            (P::CgroupSockAddr, Some(A::CgroupInet4Bind), 94),
            (P::CgroupSockAddr, Some(A::CgroupInet6Connect), 95),
            (P::CgroupSockAddr, Some(A::CgroupUnixConnect), 94),
            (P::CgroupSockAddr, Some(A::CgroupUdp6Sendmsg), 94),
            (P::CgroupSockAddr, Some(A::CgroupUdp4Recvmsg), 92),
            (P::CgroupSockAddr, Some(A::CgroupUnixGetsockname), 92),
            (P::CgroupSysctl, None, 81),
            (P::CgroupSockopt, Some(A::CgroupGetsockopt), 80),
            (P::CgroupSockopt, Some(A::CgroupSetsockopt), 82),
            (P::FlowDissector, None, 81),
            (P::Tracing, Some(A::TraceRawTp), 92),
            (P::Tracing, Some(A::TraceIter), 95),
            (P::Syscall, None, 95),
            (P::Netfilter, Some(A::Netfilter), 72),
        ];
        for &(ty, a, n) in cases {
            assert_eq!(ty.spec().helpers.ids(a).len(), n, "{ty:?} {a:?}");
        }
    }

    /// `ReturnSpec::drops` (used by the CLI to leave dropped packets out of
    /// pcap output) reads the `drops` mark of the value tables: every value
    /// named like a drop is marked, no pass value is.
    #[test]
    fn drop_values_read_as_drops() {
        use crate::spec::AttachFilter;
        // the flow dissector's BPF_DROP fails the dissection, it drops nothing
        for s in ALL.iter().filter(|s| s.ty != ProgType::FlowDissector) {
            for r in s.ret.rules {
                let attach = match r.when {
                    AttachFilter::Only(l) => Some(l[0]),
                    _ => None,
                };
                for v in r.values {
                    let n = v.name.to_ascii_uppercase();
                    let drop = n.contains("DROP") || n.contains("SHOT") || n == "XDP_ABORTED";
                    let pass = n.contains("PASS") || n.ends_with("_OK") || n.starts_with("ALLOW");
                    let got = s.ret.drops(attach, v.value as u64);
                    if drop {
                        assert!(got, "{} {}", s.name, v.name);
                    }
                    if pass {
                        assert!(!got, "{} {}", s.name, v.name);
                    }
                }
            }
        }
    }

    /// A global function's ctx argument is the type's own context struct.
    #[test]
    fn global_func_ctx_is_the_context_struct() {
        let mut named = 0;
        for s in ALL {
            if let Some(name) = s.global_func_ctx {
                assert_eq!(s.ctx.struct_name, format!("struct {name}"), "{}", s.name);
                named += 1;
            }
        }
        assert_eq!(named, 20);
    }

    /// The typed actions are generated from the same list as the tables.
    #[test]
    fn typed_actions_follow_the_return_tables() {
        use crate::types::sched_cls::{TcAction, TC_ACT};
        use crate::types::xdp::{XdpAction, XDP_ACTIONS};
        for v in XDP_ACTIONS {
            assert_eq!(XdpAction::from_retval(v.value as u32).name(), Some(v.name));
        }
        for v in TC_ACT {
            assert_eq!(TcAction::from_retval(v.value as u32).name(), Some(v.name));
        }
        assert_eq!(XdpAction::from_retval(2), XdpAction::Pass);
        assert_eq!(TcAction::from_retval(u32::MAX), TcAction::Unspec);
        assert_eq!(XdpAction::from_retval(9), XdpAction::Other(9));
        assert_eq!(XdpAction::Other(9).name(), None);
    }

    #[test]
    fn spot_facts_from_the_spec() {
        use crate::helpers::id;
        let tc = by_name("sched_cls").unwrap();
        let d = tc.check_access(None, 76, 4, false).unwrap();
        assert_eq!(d.result, RegKind::PtrToPacket);
        assert_eq!(
            tc.check_access(None, 80, 4, false).unwrap().result,
            RegKind::PtrToPacketEnd
        );
        assert_eq!(
            tc.check_access(None, 140, 4, false).unwrap().result,
            RegKind::PtrToPacketMeta
        );
        assert!(
            tc.check_access(None, 76, 2, false).is_err(),
            "no narrow packet pointer"
        );
        assert!(tc.check_access(None, 76, 4, true).is_err());
        let sf = by_name("socket_filter").unwrap();
        assert!(
            sf.check_access(None, 76, 4, false).is_err(),
            "SOCKET_FILTER has no data"
        );
        assert!(sf.check_access(None, 8, 4, true).is_err(), "mark read-only");
        let skskb = by_name("sk_skb").unwrap();
        assert!(
            skskb.check_access(None, 8, 4, false).is_err(),
            "SK_SKB cannot read mark"
        );
        assert!(by_name("flow_dissector")
            .unwrap()
            .check_access(None, 0, 4, false)
            .is_err());
        let xdp = by_name("xdp").unwrap();
        assert_eq!(xdp.ctx.size, 24);
        assert!(xdp.check_access(Some(A::Xdp), 20, 4, false).is_err());
        assert!(xdp.check_access(Some(A::XdpDevmap), 20, 4, false).is_ok());
        // XDP returns are unchecked but name 0..=4
        assert_eq!(xdp.ret.range(None), None);
        assert_eq!(xdp.ret.describe(None, 1), "XDP_DROP");
        assert_eq!(xdp.ret.describe(None, 4), "XDP_REDIRECT");
        assert!(xdp.ret.describe(None, 5).starts_with("5 ("));
        assert_eq!(tc.ret.describe(None, 2), "TC_ACT_SHOT");
        assert_eq!(
            tc.ret.describe(Some(A::TcxIngress), u32::MAX as u64),
            "TCX_NEXT"
        );
        assert_eq!(sf.ret.describe(None, 54), "keep 54 bytes");
        assert_eq!(sf.ret.describe(None, 0), "drop");
        let skb = by_name("cgroup_skb").unwrap();
        assert_eq!(skb.ret.range(Some(A::CgroupInetEgress)), Some((0, 3)));
        assert_eq!(skb.ret.range(Some(A::CgroupInetIngress)), Some((0, 1)));
        let lsm = by_name("lsm").unwrap();
        assert_eq!(
            lsm.ret.describe(Some(A::LsmMac), (-1i64) as u64),
            "deny: EPERM"
        );
        let csa = by_name("cgroup_sock_addr").unwrap();
        assert_eq!(csa.ret.range(Some(A::CgroupUdp4Recvmsg)), Some((1, 1)));
        assert!(csa.helper_allowed(Some(A::CgroupInet4Connect), id::BIND));
        assert!(!csa.helper_allowed(Some(A::CgroupInet4Bind), id::BIND));
        assert!(xdp.helper_allowed(None, id::XDP_ADJUST_HEAD));
        assert!(!tc.helper_allowed(None, id::XDP_ADJUST_HEAD));
        assert!(!tc.helper_allowed(None, id::REDIRECT_MAP));
        assert!(!sf.helper_allowed(None, id::SKB_STORE_BYTES));
        assert!(!sf.helper_allowed(None, 0));
        assert!(!sf.helper_allowed(None, 212));
        // expected_attach_type validation (spec §1.2)
        let cs = by_name("cgroup_sock").unwrap();
        assert_eq!(
            cs.normalize_attach(0).unwrap(),
            Some(A::CgroupInetSockCreate)
        );
        assert!(by_name("sk_lookup").unwrap().normalize_attach(0).is_err());
        assert!(csa.normalize_attach(0).is_err());
        assert_eq!(xdp.normalize_attach(59).unwrap(), None);
        assert!(by_name("ext").unwrap().normalize_attach(1).is_err());
        assert!(!by_name("cgroup_sock")
            .unwrap()
            .test_run
            .default
            .is_supported());
        assert!(!xdp.test_run.for_attach(Some(A::XdpCpumap)).is_supported());
    }
}
