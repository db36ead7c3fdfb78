//! Helper calls (`check_helper_call`): availability for the program type,
//! GPL-only helpers, argument types against the prototype (memory and
//! size pairs, map keys and values, context, sockets), map/helper
//! compatibility, acquired and released references, packet pointers
//! invalidated by helpers that change packet data, return types, and
//! callbacks.

use super::mem::Access;
use super::scalar::Scalar;
use super::state::{Byte, Frame, RefState, Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use bpfbox_progtype::helper_name;
use bpfbox_progtype::helpers::{id, proto, ArgType, RetType};
use bpfbox_uapi::map_type as mt;

/// Whether helper `hid` may be called by this program: the one place
/// availability is decided (the kernel profile of [`Options::kernel`],
/// else the program type's data in bpfbox-progtype).
///
/// [`Options::kernel`]: crate::Options::kernel
pub(super) fn helper_available(w: &Walk<'_>, hid: u32) -> bool {
    match (w.spec, w.opts.kernel, w.opts.prog) {
        (Some(spec), Some(k), Some(p)) => k.helper_allowed(spec.ty, p.expected_attach_type, hid),
        (Some(spec), _, _) => spec.helper_allowed(w.attach, hid),
        (None, ..) => true,
    }
}

/// Which map types a helper accepts, when it is restricted
/// (`check_map_func_compatibility`, the helper side).
fn helper_map_types(hid: u32) -> Option<&'static [u32]> {
    Some(match hid {
        id::TAIL_CALL => &[mt::PROG_ARRAY],
        id::PERF_EVENT_OUTPUT
        | id::PERF_EVENT_READ
        | id::PERF_EVENT_READ_VALUE
        | id::SKB_OUTPUT
        | id::XDP_OUTPUT => &[mt::PERF_EVENT_ARRAY],
        id::RINGBUF_OUTPUT | id::RINGBUF_RESERVE | id::RINGBUF_QUERY => &[mt::RINGBUF],
        id::GET_STACKID => &[mt::STACK_TRACE],
        id::REDIRECT_MAP => &[mt::DEVMAP, mt::DEVMAP_HASH, mt::CPUMAP, mt::XSKMAP],
        _ => return None,
    })
}

/// Helpers a map type is limited to (the map side).
fn map_helpers(map_type: u32) -> Option<&'static [u32]> {
    Some(match map_type {
        mt::PROG_ARRAY => &[id::TAIL_CALL],
        mt::PERF_EVENT_ARRAY => &[
            id::PERF_EVENT_READ,
            id::PERF_EVENT_OUTPUT,
            id::PERF_EVENT_READ_VALUE,
            id::SKB_OUTPUT,
            id::XDP_OUTPUT,
        ],
        mt::RINGBUF => &[
            id::RINGBUF_OUTPUT,
            id::RINGBUF_RESERVE,
            id::RINGBUF_QUERY,
            id::RINGBUF_RESERVE_DYNPTR,
        ],
        mt::STACK_TRACE => &[id::GET_STACKID],
        _ => return None,
    })
}

fn hname(hid: u32) -> String {
    format!("bpf_{}#{hid}", helper_name(hid).unwrap_or("unknown"))
}

impl Walk<'_> {
    /// A helper call at `pc`. Returns the slot to continue at (a
    /// callback's first instruction, or `pc + 1`).
    pub(super) fn helper(&mut self, st: &mut State, pc: usize, hid: u32) -> Result<usize, Fail> {
        let known = hid > 0 && (hid as usize) < bpfbox_progtype::helpers::HELPER_COUNT as usize;
        if !known {
            return Err(self.fail(
                pc,
                Code::HelperUnavailable,
                format!("invalid func unknown#{hid}"),
            ));
        }
        if !helper_available(self, hid) {
            return Err(self
                .fail(pc, Code::HelperUnavailable, format!("program of this type cannot use helper {}", hname(hid)))
                .help(format!(
                    "`{}` is not available to {} programs; see `bpfbox describe` for the helpers this type may call",
                    hname(hid),
                    self.spec.map_or("these", |s| s.short)
                )));
        }
        if let Some(next) = self.ringbuf_dynptr(st, pc, hid)? {
            return Ok(next);
        }
        let Some(p) = proto(hid) else {
            // No prototype in the data: arguments unchecked. Every helper
            // the built-in availability offers has one (progtype's
            // `every_offered_helper_is_declared`); only a helper a
            // measured profile offers beyond the model, or a walk without
            // a program type, can get here.
            self.clobber(st, pc);
            *st.reg_mut(0) = Reg::unknown();
            return Ok(pc + 1);
        };
        if p.gpl_only && !self.opts.gpl {
            return Err(self
                .fail(pc, Code::GplOnly, "cannot call GPL-restricted function from non-GPL compatible program".to_string())
                .help(format!("`{}` is GPL-only: declare a GPL-compatible license, e.g. `char LICENSE[] SEC(\"license\") = \"GPL\";`", hname(hid))));
        }
        let mut map: Option<u32> = None;
        let mut callback: Option<usize> = None;
        // The map whose value holds the timer argument.
        let mut timer_map: Option<u32> = None;
        let mut release: Option<u32> = None;
        let mut cast_ref = 0;
        let mut alloc_size = 0u32;
        // The key of a map argument, when the stack holds it as a known
        // number (`get_constant_map_key`).
        let mut const_key: Option<i64> = None;
        // The largest size a size argument allows (`msize_max_value`).
        let mut msize_max: u64 = 0;
        let nargs = p.nargs();
        for i in 0..nargs {
            let regno = i as u8 + 1;
            let arg = p.args[i];
            let r = *st.reg(regno);
            if r.ty == Ty::NotInit {
                return Err(self
                    .fail(pc, Code::UninitReg, format!("R{regno} !read_ok"))
                    .reg(regno));
            }
            let bad = |w: &Self, expected: &str| {
                let got = if r.null {
                    format!("{}_or_null", r.ty.kernel_name())
                } else {
                    r.ty.kernel_name().to_string()
                };
                Err(w
                    .fail(
                        pc,
                        Code::HelperArg,
                        format!("R{regno} type={got} expected={expected}"),
                    )
                    .reg(regno)
                    .help(format!(
                        "argument {regno} of `{}` must be {}",
                        hname(hid),
                        arg.kernel_name()
                    )))
            };
            match arg {
                ArgType::DontCare => {}
                ArgType::Anything => {}
                ArgType::ConstMapPtr => {
                    let Ty::MapPtr(m) = r.ty else {
                        return bad(self, "map_ptr");
                    };
                    if r.null {
                        return bad(self, "map_ptr");
                    }
                    let mtype = self.map(m).map_type;
                    let ok_h = helper_map_types(hid).map_or(true, |t| t.contains(&mtype));
                    let ok_m = map_helpers(mtype).map_or(true, |h| h.contains(&hid));
                    if !ok_h || !ok_m {
                        return Err(self
                            .fail(
                                pc,
                                Code::HelperArg,
                                format!("cannot pass map_type {mtype} into func {}", hname(hid)),
                            )
                            .reg(regno));
                    }
                    map = Some(m);
                }
                ArgType::PtrToMapValueOrNull if r.is_zero() => {}
                ArgType::PtrToMapKey
                | ArgType::PtrToMapValue
                | ArgType::PtrToMapValueOrNull
                | ArgType::PtrToUninitMapValue => {
                    let Some(m) = map else {
                        return bad(self, "map_ptr");
                    };
                    let info = self.map(m);
                    let size = if arg == ArgType::PtrToMapKey {
                        info.key_size
                    } else {
                        info.value_size
                    };
                    let write = arg == ArgType::PtrToUninitMapValue;
                    self.mem_arg(st, pc, regno, size, write, false)?;
                    if arg == ArgType::PtrToMapKey && self.may_elide_null(m) {
                        const_key = constant_map_key(st, &r, size);
                        // A known key decides whether the value may be
                        // NULL: it must stay known (an unknown one makes
                        // it maybe NULL, which covers both).
                        if let (Some(_), Ty::Stack(f)) = (const_key, r.ty) {
                            self.need_slot(f as usize, r.off as i64 + r.s.var.value as i64);
                        }
                    }
                }
                ArgType::PtrToMem
                | ArgType::PtrToMemRdonly
                | ArgType::PtrToMemOrNull
                | ArgType::PtrToMemRdonlyOrNull
                | ArgType::PtrToUninitMem => {
                    if r.is_zero()
                        && matches!(arg, ArgType::PtrToMemOrNull | ArgType::PtrToMemRdonlyOrNull)
                    {
                        continue;
                    }
                    if !matches!(
                        r.ty,
                        Ty::Stack(_)
                            | Ty::Packet
                            | Ty::PacketMeta
                            | Ty::MapKey(_)
                            | Ty::MapValue(_)
                            | Ty::Mem { .. }
                            | Ty::BtfId
                    ) || r.null
                    {
                        return bad(self, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
                    }
                    let next = p.args.get(i + 1).copied();
                    if !next.is_some_and(|a| a.is_size()) {
                        continue;
                    }
                    let sz = *st.reg(regno + 1);
                    msize_max = sz.s.umax;
                    let zero_ok = next == Some(ArgType::ConstSizeOrZero);
                    let sreg = regno + 1;
                    if sz.ty != Ty::Scalar {
                        return Err(self
                            .fail(
                                pc,
                                Code::HelperArg,
                                format!("R{sreg} type={} expected=scalar", sz.ty.kernel_name()),
                            )
                            .reg(sreg));
                    }
                    if sz.s.smin < 0 {
                        return Err(self
                            .fail(pc, Code::HelperArg, format!("R{sreg} min value is negative, either use unsigned or 'var &= const'"))
                            .reg(sreg));
                    }
                    if sz.s.umin == 0 && !zero_ok {
                        return Err(self
                            .fail(
                                pc,
                                Code::HelperArg,
                                format!(
                                    "R{sreg} invalid zero-sized read: u64=[{},{}]",
                                    sz.s.umin, sz.s.umax
                                ),
                            )
                            .reg(sreg));
                    }
                    if sz.s.umax >= 1 << 29 {
                        return Err(self
                            .fail(pc, Code::HelperArg, format!("R{sreg} unbounded memory access, use 'var &= const' or 'if (var < const)'"))
                            .reg(sreg));
                    }
                    let write = matches!(
                        arg,
                        ArgType::PtrToMem | ArgType::PtrToMemOrNull | ArgType::PtrToUninitMem
                    );
                    if sz.s.umax > 0 {
                        self.mem_arg(st, pc, regno, sz.s.umax as u32, write, true)?;
                    }
                }
                ArgType::ConstSize | ArgType::ConstSizeOrZero => {}
                ArgType::ConstAllocSizeOrZero => match r.s.value() {
                    Some(v) if r.ty == Ty::Scalar => alloc_size = v as u32,
                    _ => {
                        return Err(self
                            .fail(
                                pc,
                                Code::HelperArg,
                                format!("R{regno} is not a known constant'"),
                            )
                            .reg(regno));
                    }
                },
                ArgType::PtrToCtx => {
                    if r.ty != Ty::Ctx {
                        return bad(self, "ctx");
                    }
                    if r.off != 0 || r.s.value() != Some(0) {
                        return Err(self
                            .fail(
                                pc,
                                Code::HelperArg,
                                format!(
                                    "dereference of modified ctx ptr R{regno} off={} disallowed",
                                    r.off
                                ),
                            )
                            .reg(regno));
                    }
                }
                ArgType::PtrToSockCommon
                | ArgType::PtrToBtfIdSockCommon
                | ArgType::ReleaseSockCommon => {
                    let ok = matches!(r.ty, Ty::Socket | Ty::SockCommon | Ty::TcpSock)
                        || (arg != ArgType::PtrToSockCommon && r.ty == Ty::BtfId);
                    if !ok || r.null {
                        return bad(self, "sock_common, sock, tcp_sock, xdp_sock, ptr_");
                    }
                    if arg == ArgType::ReleaseSockCommon {
                        if r.ref_id == 0 {
                            return Err(self
                                .fail(pc, Code::RefRelease, format!("R{regno} must be referenced when passed to release function"))
                                .reg(regno));
                        }
                        release = Some(r.ref_id);
                    } else {
                        cast_ref = r.ref_id;
                    }
                }
                ArgType::PtrToSocketOrNull => {
                    if !(r.is_zero() || r.ty == Ty::Socket) {
                        return bad(self, "sock");
                    }
                }
                ArgType::PtrToLong => self.mem_arg(st, pc, regno, 8, true, false)?,
                ArgType::PtrToFunc => {
                    let Ty::Func(t) = r.ty else {
                        return bad(self, "func");
                    };
                    callback = Some(t as usize);
                }
                ArgType::PtrToStackOrNull => {
                    if !(r.is_zero() || matches!(r.ty, Ty::Stack(_))) {
                        return bad(self, "fp");
                    }
                }
                ArgType::ReleaseRingbufMem => {
                    if !matches!(r.ty, Ty::Mem { ringbuf: true, .. }) || r.null {
                        return bad(self, "ringbuf_mem");
                    }
                    if r.off != 0 || r.s.value() != Some(0) {
                        return Err(self
                            .fail(
                                pc,
                                Code::HelperArg,
                                format!(
                                    "R{regno} must have zero offset when passed to release func"
                                ),
                            )
                            .reg(regno));
                    }
                    release = Some(r.ref_id);
                }
                ArgType::PtrToSpinLock if matches!(r.ty, Ty::MapValue(_)) && !r.null => {
                    self.spin_lock(st, pc, regno, &r, hid == id::SPIN_UNLOCK)?;
                }
                ArgType::PtrToTimer if matches!(r.ty, Ty::MapValue(_)) && !r.null => {
                    if let Ty::MapValue(m) = r.ty {
                        timer_map = Some(m);
                    }
                }
                ArgType::PtrToConstStr
                | ArgType::PtrToSpinLock
                | ArgType::PtrToTimer
                | ArgType::PtrToKptr => {
                    if !matches!(r.ty, Ty::MapValue(_)) || r.null {
                        return bad(self, "map_value");
                    }
                }
                ArgType::PtrToDynptr => self.dynptr_arg(st, pc, hid, regno)?,
                ArgType::PtrToFixedMem(size) => self.mem_arg(st, pc, regno, size, false, false)?,
                ArgType::PtrToPercpuBtfId => {
                    if !r.ty.is_ptr() || r.null {
                        return bad(self, "percpu_ptr_");
                    }
                }
                ArgType::PtrToBtfId | ArgType::PtrToBtfIdOrNull => {
                    if !(r.ty.is_ptr() || (arg == ArgType::PtrToBtfIdOrNull && r.is_zero())) {
                        return bad(self, "ptr_");
                    }
                }
            }
        }
        if let Some(rid) = release {
            if !st.refs.iter().any(|x| x.id == rid) {
                return Err(self
                    .fail(pc, Code::RefRelease, format!("invalid ref_obj_id={rid}"))
                    .reg(1));
            }
            st.refs.retain(|x| x.id != rid);
            st.for_each_reg(|r| {
                if r.ref_id == rid {
                    *r = Reg::unknown();
                }
            });
        }
        if p.changes_pkt_data {
            st.for_each_reg(|r| {
                if matches!(r.ty, Ty::Packet | Ty::PacketMeta | Ty::PacketEnd) {
                    *r = Reg::unknown();
                }
            });
        }
        let mut ret = match p.ret {
            RetType::Integer => Reg::scalar(self.ret_range(hid, msize_max)),
            RetType::Void => Reg::NOT_INIT,
            RetType::PtrToMapValueOrNull => {
                let m = map.unwrap_or(0);
                let info = self.map(m);
                match info.map_type {
                    mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS => match info.inner {
                        Some(inner) => Reg::ptr(Ty::MapPtr(inner)),
                        None => Reg::ptr(Ty::BtfId),
                    },
                    mt::SOCKMAP | mt::SOCKHASH => Reg::ptr(Ty::Socket),
                    mt::XSKMAP => Reg::ptr(Ty::BtfId),
                    _ => Reg::ptr(Ty::MapValue(m)),
                }
            }
            RetType::PtrToSocketOrNull => Reg::ptr(Ty::Socket),
            RetType::PtrToTcpSockOrNull => Reg::ptr(Ty::TcpSock),
            RetType::PtrToSockCommonOrNull => Reg::ptr(Ty::SockCommon),
            RetType::PtrToRingbufMemOrNull => Reg::ptr(Ty::Mem {
                size: alloc_size,
                ringbuf: true,
            }),
            RetType::PtrToBtfIdOrNull
            | RetType::PtrToMemOrBtfId
            | RetType::PtrToDynptrMemOrNull => Reg::ptr(Ty::BtfId),
            RetType::PtrToBtfIdTrusted | RetType::PtrToMemOrBtfIdNonNull => Reg::ptr(Ty::BtfId),
        };
        // bpf_get_local_storage returns the storage itself, never NULL
        // (RET_PTR_TO_MAP_VALUE; the prototype table says "or NULL").
        // A lookup in an array with a known key below `max_entries`
        // cannot fail (the kernel's nullness elision, since 6.14).
        let key_in_bounds = hid == id::MAP_LOOKUP_ELEM
            && map.is_some_and(|m| {
                self.may_elide_null(m)
                    && const_key.is_some_and(|k| k >= 0 && k < self.map(m).max_entries as i64)
            });
        let never_null = matches!(
            p.ret,
            RetType::PtrToBtfIdTrusted | RetType::PtrToMemOrBtfIdNonNull
        ) || hid == id::GET_LOCAL_STORAGE
            || key_in_bounds;
        if ret.ty.is_ptr() && !never_null {
            ret.null = true;
            ret.id = self.new_id();
        } else if key_in_bounds && map.is_some_and(|m| self.map(m).lock_off.is_some()) {
            // A value with a spin lock has an identity even when it cannot
            // be NULL: the lock state names it.
            ret.id = self.new_id();
        }
        let sockmap_lookup = p.ret == RetType::PtrToMapValueOrNull && ret.ty == Ty::Socket;
        if p.acquires_reference || sockmap_lookup {
            // The new reference names the pointer too (the kernel's
            // `id == ref_obj_id` for acquired pointers): its NULL branch
            // releases the reference, a cast's NULL branch does not.
            let rid = self.new_id();
            ret.ref_id = rid;
            if ret.null {
                ret.id = rid;
            }
            st.refs.push(RefState {
                id: rid,
                insn: pc,
                ringbuf: hid == id::RINGBUF_RESERVE,
            });
        } else if p.casts_reference {
            ret.ref_id = cast_ref;
        }
        if hid == id::TIMER_INIT && timer_map.is_some() && map.is_some() && timer_map != map {
            return Err(self
                .fail(
                    pc,
                    Code::HelperArg,
                    "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0"
                        .to_string(),
                )
                .reg(2)
                .help("pass the map that holds the timer's value".to_string()));
        }
        if let Some(target) = callback {
            let map = match (hid, timer_map) {
                (id::TIMER_SET_CALLBACK, Some(m)) => Some(m),
                _ => map,
            };
            return self.enter_callback(st, pc, hid, target, map);
        }
        self.clobber(st, pc);
        *st.reg_mut(0) = ret;
        Ok(pc + 1)
    }

    /// The range of an integer a helper returns (`do_refine_retval_range`):
    /// string and stack readers return at most the size they were given
    /// or an error code; CPU ids are below `nr_cpu_ids` (the profile's, or
    /// the widest a u32 id allows when it was not measured).
    fn ret_range(&self, hid: u32, msize_max: u64) -> Scalar {
        const MAX_ERRNO: i64 = 4095;
        let mut s = Scalar::UNKNOWN;
        match hid {
            id::GET_STACK
            | id::GET_TASK_STACK
            | id::PROBE_READ_STR
            | id::PROBE_READ_KERNEL_STR
            | id::PROBE_READ_USER_STR => {
                s.smin = -MAX_ERRNO;
                s.smax = msize_max as i64;
                s.s32min = -MAX_ERRNO as i32;
                s.s32max = msize_max as i32;
            }
            id::GET_SMP_PROCESSOR_ID => {
                let last = self
                    .opts
                    .kernel
                    .and_then(|k| k.facts.nr_cpu_ids)
                    .map_or(u32::MAX as u64, |n| u64::from(n.max(1) - 1));
                s = Scalar::urange(0, last);
            }
            _ => return s,
        }
        s.sync();
        s
    }

    /// Whether a lookup in map `m` may return a value pointer that needs
    /// no NULL check (`can_elide_value_nullness`): arrays, but not a
    /// template of the inner maps of a map of maps (the real inner map
    /// may be smaller; kernels with the `BPF_F_INNER_MAP` fix refuse it,
    /// older ones allow it: bpfbox keeps the check either way).
    fn may_elide_null(&self, m: u32) -> bool {
        matches!(self.map(m).map_type, mt::ARRAY | mt::PERCPU_ARRAY)
            && !self.opts.maps.iter().any(|o| o.inner == Some(m))
    }

    /// `r1`-`r5` are unreadable after a call.
    pub(super) fn clobber(&mut self, st: &mut State, pc: usize) {
        for r in 1..=5 {
            *st.reg_mut(r) = Reg::NOT_INIT;
            self.set_def(st, r, pc);
        }
        self.set_def(st, 0, pc);
    }

    /// A pointer argument to `size` bytes of memory (`check_helper_mem_access`).
    pub(super) fn mem_arg(
        &mut self,
        st: &mut State,
        pc: usize,
        regno: u8,
        size: u32,
        write: bool,
        sized: bool,
    ) -> Result<(), Fail> {
        let r = *st.reg(regno);
        match r.ty {
            Ty::Stack(frame) => {
                let base = r.off as i64;
                let low = base + r.s.smin.max(-(1 << 29));
                self.note_escape(st, frame as usize, low);
                let (lo, hi) = match r.s.value() {
                    Some(v) => (base + v as i64, base + v as i64),
                    None => (base + r.s.smin, base + r.s.smax),
                };
                if lo < -512
                    || hi + size as i64 > 0
                    || r.s.smin <= -(1 << 29)
                    || r.s.smax >= 1 << 29
                {
                    let m = if r.s.value().is_some() {
                        format!("invalid indirect access to stack R{regno} off={lo} size={size}")
                    } else {
                        format!("invalid variable-offset indirect access to stack R{regno} var_off={:?} size={size}", r.s.var)
                    };
                    return Err(self.fail(pc, Code::StackAccess, m).reg(regno));
                }
                self.grow_stack(st, frame as usize, -lo);
                if write {
                    let fr = &mut st.frames[frame as usize];
                    for o in lo..hi + size as i64 {
                        let s = fr.slot_mut(o);
                        if s.bytes.contains(&Byte::Spill) {
                            s.bytes
                                .iter_mut()
                                .filter(|b| **b == Byte::Spill)
                                .for_each(|b| *b = Byte::Misc);
                            s.spill = Reg::NOT_INIT;
                        }
                        s.bytes[o.rem_euclid(8) as usize] = Byte::Misc;
                    }
                }
                Ok(())
            }
            Ty::Packet | Ty::PacketMeta | Ty::MapValue(_) | Ty::MapKey(_) | Ty::Mem { .. } => {
                let _ = sized;
                self.mem(
                    st,
                    pc,
                    Access {
                        reg: regno,
                        off: 0,
                        size,
                        write,
                        value: None,
                    },
                )
                .map(|_| ())
            }
            Ty::BtfId => Ok(()),
            _ => {
                let got = if r.null {
                    format!("{}_or_null", r.ty.kernel_name())
                } else {
                    r.ty.kernel_name().to_string()
                };
                Err(self
                    .fail(
                        pc,
                        Code::HelperArg,
                        format!(
                            "R{regno} type={got} expected=fp, pkt, pkt_meta, map_key, map_value"
                        ),
                    )
                    .reg(regno))
            }
        }
    }

    fn enter_callback(
        &mut self,
        st: &mut State,
        pc: usize,
        hid: u32,
        target: usize,
        map: Option<u32>,
    ) -> Result<usize, Fail> {
        let Some(func) = self.cfg.func_at(target) else {
            return Err(self.fail(
                pc,
                Code::HelperArg,
                "callback is not a function".to_string(),
            ));
        };
        if st.frames.len() >= crate::cfg::MAX_CALL_FRAMES {
            return Err(self.fail(
                pc,
                Code::CallDepth,
                format!(
                    "the call stack of {} frames is too deep",
                    st.frames.len() + 1
                ),
            ));
        }
        let caller = st.cur().regs;
        let frameno = st.frames.len() as u8;
        let mut f = Frame::new(frameno, pc, func);
        f.callback = true;
        let mv = |m: Option<u32>, t: fn(u32) -> Ty| m.map_or(Reg::unknown(), |m| Reg::ptr(t(m)));
        match hid {
            id::LOOP => {
                f.regs[1] = Reg::unknown();
                f.regs[2] = caller[3];
            }
            id::FOR_EACH_MAP_ELEM => {
                f.regs[1] = caller[1];
                f.regs[2] = mv(map, Ty::MapKey);
                f.regs[3] = mv(map, Ty::MapValue);
                f.regs[4] = caller[3];
            }
            id::TIMER_SET_CALLBACK => {
                f.regs[1] = mv(map, Ty::MapPtr);
                f.regs[2] = mv(map, Ty::MapKey);
                f.regs[3] = mv(map, Ty::MapValue);
            }
            _ => {
                for r in 1..=5 {
                    f.regs[r] = Reg::unknown();
                }
            }
        }
        st.frames.push(f);
        Ok(target)
    }
}

/// The key `key` points to, when the stack proves it a number
/// (`get_constant_map_key`): `key_size` zeroed bytes from the key's
/// first byte to the end of its slot, or a scalar spilled at the slot's
/// base whose spilled bytes from the key's first byte on are exactly
/// `key_size` and whose value (the whole register's) is known.
fn constant_map_key(st: &State, key: &Reg, key_size: u32) -> Option<i64> {
    let Ty::Stack(frame) = key.ty else {
        return None;
    };
    if key.s.var.mask != 0 {
        return None;
    }
    let at = key.off as i64 + key.s.var.value as i64;
    let slot = st.frames.get(frame as usize)?.slot(at)?;
    let first = at.rem_euclid(8) as usize;
    let run = |kind: Byte| {
        slot.bytes[first..]
            .iter()
            .take_while(|b| **b == kind)
            .count()
    };
    if run(Byte::Zero) >= key_size as usize {
        return Some(0);
    }
    let spilled_scalar = slot.bytes[0] == Byte::Spill && slot.spill.ty == Ty::Scalar;
    if !spilled_scalar || run(Byte::Spill) != key_size as usize || slot.spill.s.var.mask != 0 {
        return None;
    }
    Some(slot.spill.s.var.value as i64)
}

#[cfg(test)]
mod tests {
    use crate::{verify, Code, Options, ProgInfo};
    use bpfbox_progtype::Profile;

    /// A socket filter reading uninitialized `r7` where the CPU id is above
    /// 8191, under a profile that says `nr_cpu_ids` (or none).
    fn cpu_id_above_8191(nr_cpu_ids: Option<u32>) -> Result<(), Code> {
        let text = "call 8; if r0 > 8191 goto +2; r0 = 0; exit; r0 = r7; exit";
        let raw = bpfbox_asm::assemble(&text.replace(';', "\n")).expect("assemble");
        let insns = bpfbox_isa::decode(&raw).expect("decode");
        let mut profile = Profile::builtin().clone();
        profile.facts.nr_cpu_ids = nr_cpu_ids;
        let mut opts = Options::kernel();
        opts.prog = Some(ProgInfo {
            prog_type: 1,
            expected_attach_type: 0,
        });
        opts.kernel = Some(&profile);
        verify(&insns, &opts).map(|_| ()).map_err(|d| d[0].code)
    }

    #[test]
    fn cpu_ids_are_below_the_profiles_nr_cpu_ids() {
        assert_eq!(cpu_id_above_8191(Some(4)), Ok(()));
        assert_eq!(cpu_id_above_8191(Some(8192)), Ok(()));
        // 8193 CPUs, or a count nobody measured: id 8192 may come back.
        assert_eq!(cpu_id_above_8191(Some(8193)), Err(Code::UninitReg));
        assert_eq!(cpu_id_above_8191(None), Err(Code::UninitReg));
    }
}
