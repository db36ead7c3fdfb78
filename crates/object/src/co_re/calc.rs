//! CO-RE relocation values (libbpf `bpf_core_calc_relo`) and instruction
//! patching (`bpf_core_patch_insn`).

use bpfbox_isa::RawInsn;

use super::spec::{members, size, Spec, R};
use super::{is_field, relo_kind_name, rk, POISON_CALL_IMM};
use crate::btf::{kind, Btf, Extra};

/// A computed relocation (libbpf `bpf_core_relo_res`).
#[derive(Debug, Clone, Default)]
pub(super) struct Res {
    pub(super) orig: u64,
    pub(super) new: u64,
    pub(super) poison: bool,
    pub(super) validate: bool,
    pub(super) orig_sz: u64,
    pub(super) new_sz: u64,
    pub(super) orig_type: u32,
    pub(super) new_type: u32,
    pub(super) fail_memsz: bool,
}

/// Value of a field relocation: (value, field size, field type, validate).
pub(super) fn field_value(btf: &Btf, spec: &Spec, relo_kind: u32) -> R<(u64, u64, u32, bool)> {
    if relo_kind == rk::FIELD_EXISTS {
        return Ok((1, 0, 0, true));
    }
    let acc = spec.access.last().ok_or("empty access")?;
    let Some(_) = &acc.name else {
        return match relo_kind {
            rk::FIELD_BYTE_OFFSET => Ok((
                spec.bit_offset / 8,
                size(btf, acc.type_id)?,
                acc.type_id,
                true,
            )),
            rk::FIELD_BYTE_SIZE => Ok((size(btf, acc.type_id)?, 0, 0, true)),
            _ => Err(format!(
                "{} relocation on an array element or root",
                relo_kind_name(relo_kind)
            )),
        };
    };
    let m = members(btf, acc.type_id)
        .and_then(|m| m.get(acc.idx as usize))
        .ok_or("bad member access")?;
    let ftype = btf.skip_mods_and_typedefs(m.type_id);
    let bit_off = spec.bit_offset;
    if bit_off > u64::MAX / 4 {
        return Err("field offset too large".into());
    }
    let mut bit_sz = u64::from(m.bitfield_size);
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz) = if bitfield {
        let mut byte_sz = size(btf, ftype)?.max(1);
        let mut byte_off = bit_off / 8 / byte_sz * byte_sz;
        while bit_off + bit_sz - byte_off * 8 > byte_sz * 8 {
            if byte_sz >= 8 {
                return Err("bitfield does not fit in 8 bytes".into());
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
        (byte_off, byte_sz)
    } else {
        let s = size(btf, ftype)?;
        bit_sz = s * 8;
        (bit_off / 8, s)
    };
    let mut validate = !bitfield;
    let (mut fsz, mut ftid) = (byte_sz, ftype);
    let val = match relo_kind {
        rk::FIELD_BYTE_OFFSET => {
            if bitfield {
                (fsz, ftid) = (0, 0);
            }
            byte_off
        }
        rk::FIELD_BYTE_SIZE => byte_sz,
        rk::FIELD_SIGNED => {
            validate = true;
            let t = btf.type_by_id(ftype);
            match t.map(|t| (&t.extra, t.kind_flag)) {
                Some((Extra::Enumerators(_), kf)) => u64::from(kf),
                Some((Extra::Int(e), _)) => u64::from((e >> 24) & 1 != 0),
                _ => 0,
            }
        }
        rk::FIELD_LSHIFT_U64 => (64u64)
            .checked_sub(bit_off + bit_sz - byte_off * 8)
            .ok_or("field too large for a shift relocation")?,
        rk::FIELD_RSHIFT_U64 => {
            validate = true;
            (64u64)
                .checked_sub(bit_sz)
                .ok_or("field too large for a shift relocation")?
        }
        _ => return Err("not a field relocation".into()),
    };
    Ok((val, fsz, ftid, validate))
}

/// Value of a relocation from one spec (libbpf `bpf_core_calc_relo`, one
/// side): (value, field size, field type, validate).
pub(super) fn spec_value(btf: &Btf, spec: &Spec, relo_kind: u32) -> R<(u64, u64, u32, bool)> {
    if is_field(relo_kind) {
        return field_value(btf, spec, relo_kind);
    }
    let mut validate = true;
    let v = match relo_kind {
        rk::TYPE_ID_LOCAL => u64::from(spec.root_id),
        rk::TYPE_ID_TARGET => {
            // ids may change when objects are linked: libbpf never checks
            validate = false;
            u64::from(spec.root_id)
        }
        rk::TYPE_EXISTS | rk::TYPE_MATCHES | rk::ENUMVAL_EXISTS => 1,
        rk::TYPE_SIZE => size(btf, spec.root_id)?,
        rk::ENUMVAL_VALUE => {
            let a = &spec.access[0];
            match btf.type_by_id(a.type_id).map(|t| (t.kind, &t.extra)) {
                Some((k, Extra::Enumerators(e))) => {
                    let v = e.get(a.idx as usize).ok_or("bad enumerator")?.1;
                    // libbpf reads a 32-bit enumerator as signed whatever
                    // the enum's signedness
                    if k == kind::ENUM {
                        i64::from(v as i32) as u64
                    } else {
                        v as u64
                    }
                }
                _ => return Err("not an enum".into()),
            }
        }
        k => return Err(format!("unknown relocation kind {k}")),
    };
    Ok((v, 0, 0, validate))
}

pub(super) fn calc(l: &Btf, local: &Spec, t: &Btf, targ: Option<&Spec>, relo_kind: u32) -> R<Res> {
    let (orig, orig_sz, orig_type, validate) = spec_value(l, local, relo_kind)?;
    let mut res = Res {
        orig,
        orig_sz,
        orig_type,
        validate,
        ..Res::default()
    };
    match targ {
        Some(ts) => {
            let (new, new_sz, new_type, v2) = spec_value(t, ts, relo_kind)?;
            res.new = new;
            res.new_sz = new_sz;
            res.new_type = new_type;
            res.validate &= v2;
        }
        // type-based kinds and the *_EXISTS ones become 0; the rest poison
        None => match relo_kind {
            rk::FIELD_EXISTS | rk::ENUMVAL_EXISTS => res.new = 0,
            k if !is_field(k) && k != rk::ENUMVAL_VALUE => res.new = 0,
            _ => {
                res.poison = true;
                res.new_sz = res.orig_sz;
            }
        },
    }
    if relo_kind == rk::FIELD_BYTE_OFFSET && targ.is_some() && res.orig_sz != res.new_sz {
        let (ot, nt) = (l.type_by_id(res.orig_type), t.type_by_id(res.new_type));
        // only pointers and unsigned ints keep their value when the access
        // size changes (libbpf `bpf_core_calc_relo`)
        let ok = match (ot, nt) {
            (Some(a), Some(b)) => match (&a.extra, &b.extra) {
                (Extra::Int(x), Extra::Int(y)) => x >> 24 != 1 && y >> 24 != 1,
                _ => a.kind == kind::PTR && b.kind == kind::PTR,
            },
            _ => false,
        };
        res.fail_memsz = !ok;
    }
    Ok(res)
}

pub(super) fn bytes_of_size(code: u8) -> u64 {
    match code & 0x18 {
        0x00 => 4,
        0x08 => 2,
        0x10 => 1,
        _ => 8,
    }
}

pub(super) fn poison(insn: &mut RawInsn) {
    *insn = RawInsn {
        code: 0x85,
        dst: 0,
        src: 0,
        off: 0,
        imm: POISON_CALL_IMM,
    };
}

/// libbpf `bpf_core_patch_insn`.
pub(super) fn patch(insns: &mut [RawInsn], i: usize, res: &Res) -> R<()> {
    let code = insns[i].code;
    let is_lddw = code == 0x18;
    if res.poison {
        if is_lddw && i + 1 < insns.len() {
            poison(&mut insns[i + 1]);
        }
        poison(&mut insns[i]);
        return Ok(());
    }
    let insn = &mut insns[i];
    match code & 7 {
        4 | 7 => {
            if code & 0x08 != 0 {
                return Err("ALU instruction with a register source".into());
            }
            if res.validate && insn.imm as i64 as u64 != res.orig {
                return Err(format!(
                    "unexpected imm {} (expected {})",
                    insn.imm, res.orig
                ));
            }
            // truncated to 32 bits, as libbpf does
            insn.imm = res.new as u32 as i32;
        }
        1..=3 => {
            if res.validate && i64::from(insn.off) as u64 != res.orig {
                return Err(format!(
                    "unexpected off {} (expected {})",
                    insn.off, res.orig
                ));
            }
            let off = i16::try_from(res.new)
                .map_err(|_| format!("offset {} does not fit 16 bits", res.new))?;
            if res.fail_memsz {
                // a size change that would alter the value: poisoned
                poison(insn);
                return Ok(());
            }
            insn.off = off;
            if res.new_sz != res.orig_sz {
                if bytes_of_size(code) != res.orig_sz {
                    return Err(format!(
                        "unexpected memory access size {} (field is {})",
                        bytes_of_size(code),
                        res.orig_sz
                    ));
                }
                let sz = match res.new_sz {
                    1 => 0x10,
                    2 => 0x08,
                    4 => 0x00,
                    8 => 0x18,
                    n => return Err(format!("no memory access of size {n}")),
                };
                insn.code = (code & !0x18) | sz;
            }
        }
        0 if is_lddw && i + 1 < insns.len() => {
            let (a, b) = (insns[i], insns[i + 1]);
            if a.src != 0 || a.off != 0 || b.code != 0 || b.dst != 0 || b.src != 0 || b.off != 0 {
                return Err("lddw of an unexpected form".into());
            }
            let cur = u64::from(insns[i].imm as u32) | (u64::from(insns[i + 1].imm as u32) << 32);
            if res.validate && cur != res.orig {
                return Err(format!("unexpected imm64 {cur} (expected {})", res.orig));
            }
            insns[i].imm = res.new as u32 as i32;
            insns[i + 1].imm = (res.new >> 32) as u32 as i32;
        }
        _ => return Err(format!("instruction {code:#04x} cannot be relocated")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_checks_and_rewrites() {
        let ldx = RawInsn {
            code: 0x61,
            dst: 1,
            src: 2,
            off: 4,
            imm: 0,
        };
        let mut v = vec![ldx];
        let res = Res {
            orig: 4,
            new: 12,
            validate: true,
            orig_sz: 4,
            new_sz: 2,
            ..Res::default()
        };
        patch(&mut v, 0, &res).unwrap();
        assert_eq!((v[0].off, v[0].code), (12, 0x69));
        // the instruction no longer holds the expected original value
        assert!(patch(&mut v, 0, &res).is_err());
        let mut v = vec![ldx];
        let big = Res {
            orig: 4,
            new: 40000,
            validate: true,
            ..Res::default()
        };
        assert!(patch(&mut v, 0, &big).unwrap_err().contains("16 bits"));
        let mut v = vec![ldx];
        let p = Res {
            poison: true,
            ..Res::default()
        };
        patch(&mut v, 0, &p).unwrap();
        assert_eq!((v[0].code, v[0].imm), (0x85, 0x0bad_2310));
    }

    #[test]
    fn alu_and_lddw_patching() {
        let mov = RawInsn {
            code: 0xb7,
            dst: 1,
            src: 0,
            off: 0,
            imm: -1,
        };
        // imm -1 is the sign-extended original (a negative enumerator)
        let res = Res {
            orig: u64::MAX,
            new: 2,
            validate: true,
            ..Res::default()
        };
        let mut v = vec![mov];
        patch(&mut v, 0, &res).unwrap();
        assert_eq!(v[0].imm, 2);
        let lddw = |imm| RawInsn {
            code: 0x18,
            dst: 1,
            src: 0,
            off: 0,
            imm,
        };
        let hi = RawInsn {
            code: 0,
            dst: 0,
            src: 0,
            off: 0,
            imm: 0,
        };
        let res = Res {
            orig: 200,
            new: 0x1_0000_0002,
            validate: true,
            ..Res::default()
        };
        let mut v = vec![lddw(200), hi];
        patch(&mut v, 0, &res).unwrap();
        assert_eq!((v[0].imm, v[1].imm), (2, 1));
        // a map lddw (src 1) is not a CO-RE constant
        let mut v = vec![
            RawInsn {
                src: 1,
                ..lddw(200)
            },
            hi,
        ];
        assert!(patch(&mut v, 0, &res)
            .unwrap_err()
            .contains("unexpected form"));
        // register-source ALU cannot carry a relocated constant
        let mut v = vec![RawInsn { code: 0xbf, ..mov }];
        assert!(patch(&mut v, 0, &res).is_err());
    }
}
