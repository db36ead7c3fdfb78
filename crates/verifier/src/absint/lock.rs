//! `bpf_spin_lock`: a lock in a map value (its offset from the map's BTF)
//! taken with `bpf_spin_lock` and given back with `bpf_spin_unlock` on
//! every path; while it is held no function may be called and the main
//! program may not exit; the lock word (and a `bpf_timer`) is never
//! loaded or stored directly (`process_spin_lock`, `check_map_access`).

use super::state::{Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use bpfbox_progtype::helpers::id;

impl Walk<'_> {
    /// A call while a lock is held: only `bpf_spin_unlock` is allowed.
    pub(super) fn call_while_locked(
        &self,
        st: &State,
        pc: usize,
        helper: Option<u32>,
    ) -> Result<(), Fail> {
        if st.lock.is_none() || helper == Some(id::SPIN_UNLOCK) {
            return Ok(());
        }
        Err(self
            .fail(
                pc,
                Code::SpinLock,
                "function calls are not allowed while holding a lock".to_string(),
            )
            .help("release the lock with bpf_spin_unlock before calling anything".to_string()))
    }

    /// `bpf_spin_lock(r1)` / `bpf_spin_unlock(r1)`.
    pub(super) fn spin_lock(
        &self,
        st: &mut State,
        pc: usize,
        regno: u8,
        r: &Reg,
        unlock: bool,
    ) -> Result<(), Fail> {
        let Ty::MapValue(m) = r.ty else {
            return Ok(());
        };
        let Some(var) = r.s.value() else {
            return Err(self
                .fail(
                    pc,
                    Code::SpinLock,
                    format!("R{regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset"),
                )
                .reg(regno));
        };
        let off = r.off as i64 + var as i64;
        let Some(lock_off) = self.map(m).lock_off else {
            return Err(self
                .fail(
                    pc,
                    Code::SpinLock,
                    "map has no valid bpf_spin_lock".to_string(),
                )
                .reg(regno));
        };
        if off != lock_off as i64 {
            return Err(self
                .fail(
                    pc,
                    Code::SpinLock,
                    format!(
                        "off {off} doesn't point to 'struct bpf_spin_lock' that is at {lock_off}"
                    ),
                )
                .reg(regno));
        }
        let this = (m, off, r.id);
        match (unlock, st.lock) {
            (false, Some(_)) => Err(self.fail(
                pc,
                Code::SpinLock,
                "Locking two bpf_spin_locks are not allowed".to_string(),
            )),
            (false, None) => {
                st.lock = Some(this);
                Ok(())
            }
            (true, None) => Err(self
                .fail(
                    pc,
                    Code::SpinLock,
                    "bpf_spin_unlock without taking a lock".to_string(),
                )
                .reg(regno)),
            (true, Some(held)) if held != this => Err(self
                .fail(
                    pc,
                    Code::SpinLock,
                    "bpf_spin_unlock of different lock".to_string(),
                )
                .reg(regno)),
            (true, Some(_)) => {
                st.lock = None;
                Ok(())
            }
        }
    }

    /// A load, store or helper access of bytes `lo..hi` of a value of map
    /// `m` must not touch its lock or timer.
    pub(super) fn special_fields(
        &self,
        pc: usize,
        m: u32,
        lo: i64,
        hi: i64,
        regno: u8,
    ) -> Result<(), Fail> {
        let info = self.map(m);
        let fields = [
            (info.lock_off, 4, "bpf_spin_lock"),
            (info.timer_off, 16, "bpf_timer"),
        ];
        for (off, size, name) in fields {
            let Some(off) = off else { continue };
            let off = off as i64;
            if hi > off && lo < off + size {
                return Err(self
                    .fail(
                        pc,
                        Code::SpinLock,
                        format!("{name} cannot be accessed directly by load/store"),
                    )
                    .reg(regno)
                    .help(format!(
                        "use the {name} helpers; read and write the value's other fields only"
                    )));
            }
        }
        Ok(())
    }
}
