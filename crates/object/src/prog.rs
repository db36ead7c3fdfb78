//! Programs: splitting executable sections into functions, recording
//! relocations (libbpf `bpf_program__record_reloc`) and building each entry
//! program with its sub-programs appended (libbpf `bpf_object__reloc_code`).

use bpfbox_isa::raw::op;
use bpfbox_isa::RawInsn;

use crate::btf::{Btf, BtfExt};
use crate::elf::{
    Elf, Symbol, R_BPF_64_32, R_BPF_64_64, SHN_LORESERVE, STB_GLOBAL, STB_LOCAL, STB_WEAK,
    STT_FUNC, STT_SECTION,
};
use crate::error::{err, Error, ErrorKind};
use crate::externs::Extern;
use crate::maps::{data_kind, MapSpec};
use crate::{FuncInfo, LineInfo, MapRef};

const CALL: u8 = 0x85;
const LDDW: u8 = 0x18;

/// What a relocated instruction refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reloc {
    /// bpf-to-bpf call to the `.text` function starting at this slot.
    Call(usize),
    /// `lddw` of a `.text` function's address (callbacks).
    SubprogAddr(usize),
    /// `lddw` of a map.
    Map(usize),
    /// `lddw` of an address inside a data map's value.
    Data { map: usize, sym_off: u32 },
    /// `lddw` or `call` of an extern (index into the object's externs).
    Extern(usize),
}

/// One function of an executable section.
#[derive(Debug)]
pub(crate) struct Func {
    pub sec_idx: usize,
    pub name: String,
    /// First slot inside the section.
    pub start: usize,
    /// Number of slots.
    pub len: usize,
    /// Relocations by slot index relative to `start`.
    pub relos: Vec<(usize, Reloc)>,
    /// A global symbol with hidden/internal visibility (libbpf
    /// `mark_btf_static`).
    pub hidden_global: bool,
}

/// All functions of the object plus each exec section's slots.
pub(crate) struct Code {
    pub funcs: Vec<Func>,
    pub text_idx: Option<usize>,
    /// Slots of each section, by section index (empty for non-code).
    pub slots: Vec<Vec<RawInsn>>,
}

fn rel_err<T>(msg: impl Into<String>) -> Result<T, Error> {
    err(ErrorKind::Relocation, msg)
}

/// Splits every executable section into functions (one per `STT_FUNC`
/// symbol, sized by `st_size`).
pub(crate) fn collect_code(elf: &Elf) -> Result<Code, Error> {
    let mut slots = vec![Vec::new(); elf.sections.len()];
    let mut funcs = Vec::new();
    let text_idx = elf
        .sections
        .iter()
        .position(|s| s.name == ".text" && s.is_exec() && !s.data.is_empty());
    for (idx, sec) in elf.sections.iter().enumerate() {
        if !sec.is_exec() || sec.data.is_empty() {
            continue;
        }
        let Some(s) = bpfbox_isa::slots_from_bytes(sec.data) else {
            return err(
                ErrorKind::Section,
                format!(
                    "section '{}': size {} is not a multiple of 8",
                    sec.name,
                    sec.data.len()
                ),
            );
        };
        let mut syms: Vec<&Symbol> = elf
            .symbols
            .iter()
            .filter(|y| y.shndx as usize == idx && y.kind == STT_FUNC)
            .collect();
        syms.sort_by_key(|y| y.value);
        for y in syms {
            if y.value % 8 != 0
                || y.size % 8 != 0
                || y.size == 0
                || y.value.saturating_add(y.size) > sec.data.len() as u64
            {
                return err(
                    ErrorKind::Section,
                    format!(
                        "section '{}': function '{}' has a bad offset or size",
                        sec.name, y.name
                    ),
                );
            }
            if Some(idx) != text_idx && y.bind == STB_LOCAL {
                return err(
                    ErrorKind::Unsupported,
                    format!(
                        "section '{}': program '{}' is static, which libbpf does not support",
                        sec.name, y.name
                    ),
                );
            }
            funcs.push(Func {
                sec_idx: idx,
                name: y.name.clone(),
                start: (y.value / 8) as usize,
                len: (y.size / 8) as usize,
                relos: Vec::new(),
                hidden_global: y.bind != STB_LOCAL
                    && (y.visibility == crate::elf::STV_HIDDEN
                        || y.visibility == crate::elf::STV_INTERNAL),
            });
        }
        slots[idx] = s;
    }
    Ok(Code {
        funcs,
        text_idx,
        slots,
    })
}

/// Records the relocations of every `.rel<exec section>`.
pub(crate) fn collect_relocs(
    elf: &Elf,
    code: &mut Code,
    maps: &[MapSpec],
    maps_secs: &[usize],
    externs: &[Extern],
) -> Result<(), Error> {
    for (ridx, rsec) in elf.sections.iter().enumerate() {
        if rsec.sh_type != crate::elf::SHT_REL {
            continue;
        }
        let target = rsec.info as usize;
        if !elf.sections.get(target).is_some_and(|s| s.is_exec()) {
            continue;
        }
        let sec_name = elf.sections[target].name.clone();
        for rel in elf.rels(ridx)? {
            if rel.rtype == 0 {
                continue;
            }
            if rel.rtype != R_BPF_64_64 && rel.rtype != R_BPF_64_32 {
                return rel_err(format!(
                    "section '{sec_name}': unknown relocation type {} at offset {:#x}",
                    rel.rtype, rel.offset
                ));
            }
            let Some(sym) = elf.symbols.get(rel.sym as usize) else {
                return rel_err(format!(
                    "section '{sec_name}': relocation refers to missing symbol #{}",
                    rel.sym
                ));
            };
            if rel.offset % 8 != 0 {
                return rel_err(format!(
                    "section '{sec_name}': misaligned relocation at offset {:#x}",
                    rel.offset
                ));
            }
            let slot = (rel.offset / 8) as usize;
            let Some(fi) = code
                .funcs
                .iter()
                .position(|f| f.sec_idx == target && (f.start..f.start + f.len).contains(&slot))
            else {
                return rel_err(format!(
                    "section '{sec_name}': relocation at insn {slot} is outside every function"
                ));
            };
            let r = record(elf, code, maps, maps_secs, externs, target, slot, sym)?;
            let f = &mut code.funcs[fi];
            let is_call = code.slots[target][slot].code == CALL;
            if !is_call && slot + 1 >= f.start + f.len {
                return rel_err(format!(
                    "section '{sec_name}': lddw at insn {slot} runs past the end of '{}'",
                    f.name
                ));
            }
            f.relos.push((slot - f.start, r));
        }
    }
    for f in &mut code.funcs {
        f.relos.sort_by_key(|&(s, _)| s);
        if let Some(w) = f.relos.windows(2).find(|w| w[0].0 == w[1].0) {
            return rel_err(format!(
                "function '{}': two relocations at insn {}",
                f.name, w[0].0
            ));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record(
    elf: &Elf,
    code: &Code,
    maps: &[MapSpec],
    maps_secs: &[usize],
    externs: &[Extern],
    sec: usize,
    slot: usize,
    sym: &Symbol,
) -> Result<Reloc, Error> {
    let insns = &code.slots[sec];
    let insn = insns[slot];
    let sec_name = &elf.sections[sec].name;
    let sym_name = elf.sym_display(sym);
    let is_ld = insn.code == LDDW && slot + 1 < insns.len();
    if insn.code != CALL && !is_ld {
        return rel_err(format!(
            "section '{sec_name}': relocation against '{sym_name}' at insn {slot} (code {:#04x}) is neither a call nor lddw",
            insn.code
        ));
    }
    if sym.shndx == 0 && (sym.bind == STB_GLOBAL || sym.bind == STB_WEAK) {
        return match externs.iter().position(|e| e.name == sym.name) {
            Some(i) => Ok(Reloc::Extern(i)),
            None => rel_err(format!(
                "section '{sec_name}': relocation against unknown extern '{sym_name}'"
            )),
        };
    }
    if insn.code == CALL {
        if insn.src != op::PSEUDO_CALL {
            return rel_err(format!(
                "section '{sec_name}': relocation against '{sym_name}' on a non bpf-to-bpf call"
            ));
        }
        if Some(sym.shndx as usize) != code.text_idx || sym.value % 8 != 0 {
            return rel_err(format!(
                "section '{sec_name}': call to '{sym_name}' in section '{}' (sub-programs must be in .text)",
                elf.sec_name(sym.shndx)
            ));
        }
        let t = (sym.value / 8) as i64 + i64::from(insn.imm) + 1;
        return usize::try_from(t)
            .map(Reloc::Call)
            .or_else(|_| rel_err(format!("section '{sec_name}': call before .text")));
    }
    if sym.shndx == 0 || sym.shndx >= SHN_LORESERVE {
        return rel_err(format!(
            "section '{sec_name}': relocation against '{sym_name}' in a special section (uninitialized global variable?)"
        ));
    }
    let is_subprog = Some(sym.shndx as usize) == code.text_idx
        && ((sym.bind == STB_LOCAL && sym.kind == STT_SECTION)
            || ((sym.bind == STB_GLOBAL || sym.bind == STB_WEAK) && sym.kind == STT_FUNC));
    if is_subprog {
        let off = (sym.value as i64).saturating_add(i64::from(insn.imm));
        if off % 8 != 0 || off < 0 {
            return rel_err(format!(
                "section '{sec_name}': bad sub-program address relocation against '{sym_name}'"
            ));
        }
        return Ok(Reloc::SubprogAddr((off / 8) as usize));
    }
    let shndx = sym.shndx as usize;
    if maps_secs.contains(&shndx) {
        return match maps
            .iter()
            .position(|m| m.sec_idx == shndx && m.sec_offset == sym.value)
        {
            Some(i) => Ok(Reloc::Map(i)),
            None => rel_err(format!(
                "section '{sec_name}': no map at offset {} of section '{}' (symbol '{sym_name}')",
                sym.value,
                elf.sec_name(sym.shndx)
            )),
        };
    }
    let Some(tsec) = elf.sections.get(shndx) else {
        return rel_err(format!(
            "section '{sec_name}': symbol '{sym_name}' is in missing section {shndx}"
        ));
    };
    if data_kind(&tsec.name, tsec.sh_type, tsec.is_exec()).is_some() {
        if let Some(i) = maps
            .iter()
            .position(|m| m.sec_idx == shndx && matches!(m.kind, crate::MapKind::Data(_)))
        {
            let sym_off =
                u32::try_from(sym.value).or_else(|_| rel_err("data symbol offset too large"))?;
            return Ok(Reloc::Data { map: i, sym_off });
        }
    }
    rel_err(format!(
        "section '{sec_name}': bad relocation against '{sym_name}' in section '{}'",
        elf.sec_name(sym.shndx)
    ))
}

/// The result of linking one entry program.
pub(crate) struct Linked {
    pub insns: Vec<RawInsn>,
    pub map_refs: Vec<(usize, MapRef)>,
    /// (function index, slot where it was placed), main first.
    pub placed: Vec<(usize, usize)>,
}

/// Builds entry program `main`: its slots, then each reachable `.text`
/// function appended in libbpf's depth-first order, calls and callback
/// addresses re-pointed, map references turned into placeholders
/// (`PSEUDO_MAP_IDX` / `PSEUDO_MAP_IDX_VALUE` with the map index in `imm`).
pub(crate) fn link_entry(
    code: &Code,
    main: usize,
    externs: &[Extern],
    kconfig_map: Option<usize>,
) -> Result<Linked, Error> {
    let f = &code.funcs[main];
    let mut insns = code.slots[f.sec_idx][f.start..f.start + f.len].to_vec();
    let mut placed = vec![(main, 0usize)];
    let mut map_refs = Vec::new();
    // explicit stack of (function, base, next slot) instead of recursion
    let mut stack = vec![(main, 0usize, 0usize)];
    while let Some((fid, base, mut i)) = stack.pop() {
        let func = &code.funcs[fid];
        while i < func.len {
            let at = base + i;
            let insn = insns[at];
            let relo = func
                .relos
                .binary_search_by_key(&i, |&(s, _)| s)
                .ok()
                .map(|k| func.relos[k].1);
            let target = match relo {
                Some(Reloc::Call(t)) | Some(Reloc::SubprogAddr(t)) => Some(t),
                None if insn.code == CALL && insn.src == op::PSEUDO_CALL => {
                    if Some(func.sec_idx) != code.text_idx {
                        return rel_err(format!(
                            "'{}': bpf-to-bpf call at insn {i} has no relocation",
                            func.name
                        ));
                    }
                    let t = (func.start + i) as i64 + i64::from(insn.imm) + 1;
                    Some(
                        usize::try_from(t)
                            .or_else(|_| rel_err(format!("'{}': call before .text", func.name)))?,
                    )
                }
                Some(Reloc::Map(m)) => {
                    insns[at].src = op::PSEUDO_MAP_IDX;
                    insns[at].imm = m as i32;
                    insns[at + 1].imm = 0;
                    map_refs.push((at, MapRef::Map(m)));
                    None
                }
                Some(Reloc::Extern(e)) => {
                    if let Some(r) =
                        crate::externs::patch(&mut insns, at, &externs[e], e, kconfig_map)
                    {
                        map_refs.push((at, r));
                    }
                    None
                }
                Some(Reloc::Data { map, sym_off }) => {
                    let off = (insn.imm as u32).wrapping_add(sym_off);
                    insns[at].src = op::PSEUDO_MAP_IDX_VALUE;
                    insns[at].imm = map as i32;
                    insns[at + 1].imm = off as i32;
                    map_refs.push((at, MapRef::MapValue { map, off }));
                    None
                }
                None => None,
            };
            if let Some(t) = target {
                let Some(sub) = code
                    .funcs
                    .iter()
                    .position(|g| Some(g.sec_idx) == code.text_idx && g.start == t)
                else {
                    return rel_err(format!(
                        "'{}': call at insn {i} targets .text insn {t}, which starts no function",
                        func.name
                    ));
                };
                match placed.iter().find(|(g, _)| *g == sub) {
                    Some(&(_, sub_base)) => {
                        insns[at].imm = (sub_base as i64 - at as i64 - 1) as i32;
                        if matches!(relo, Some(Reloc::SubprogAddr(_))) {
                            insns[at].src = op::PSEUDO_FUNC;
                        }
                    }
                    None => {
                        let g = &code.funcs[sub];
                        let sub_base = insns.len();
                        insns.extend_from_slice(&code.slots[g.sec_idx][g.start..g.start + g.len]);
                        placed.push((sub, sub_base));
                        // revisit this slot once the callee is done
                        stack.push((fid, base, i));
                        stack.push((sub, sub_base, 0));
                        break;
                    }
                }
            }
            i += if insn.code == LDDW { 2 } else { 1 };
        }
    }
    map_refs.sort_by_key(|&(slot, _)| slot);
    Ok(Linked {
        insns,
        map_refs,
        placed,
    })
}

/// func_info and line_info of a linked program, re-based the way libbpf's
/// `reloc_prog_func_and_line_info` does.
pub(crate) fn ext_info(
    elf: &Elf,
    code: &Code,
    btf: Option<&Btf>,
    ext: Option<&BtfExt>,
    placed: &[(usize, usize)],
) -> (Vec<FuncInfo>, Vec<LineInfo>) {
    let (Some(btf), Some(ext)) = (btf, ext) else {
        return (Vec::new(), Vec::new());
    };
    let mut funcs = Vec::new();
    let mut lines = Vec::new();
    for &(fid, base) in placed {
        let f = &code.funcs[fid];
        let sec = &elf.sections[f.sec_idx].name;
        let range = f.start..f.start + f.len;
        let rebase = |off: u32| {
            let slot = (off / 8) as usize;
            (off % 8 == 0 && range.contains(&slot)).then(|| (base + slot - f.start) as u32)
        };
        for (_, recs) in ext.func_info.iter().filter(|(s, _)| s == sec) {
            for r in recs {
                if let Some(insn) = rebase(r.insn_off) {
                    let name = btf.type_name(r.type_id).to_string();
                    funcs.push(FuncInfo {
                        insn,
                        type_id: r.type_id,
                        name,
                    });
                }
            }
        }
        for (_, recs) in ext.line_info.iter().filter(|(s, _)| s == sec) {
            for r in recs {
                if let Some(insn) = rebase(r.insn_off) {
                    lines.push(LineInfo {
                        insn,
                        file_name_off: r.file_name_off,
                        line_off: r.line_off,
                        line_col: r.line_col,
                        file: btf.str_at(r.file_name_off).unwrap_or("").to_string(),
                        line: r.line_col >> 10,
                        col: r.line_col & 0x3ff,
                        text: btf.str_at(r.line_off).unwrap_or("").to_string(),
                    });
                }
            }
        }
    }
    funcs.sort_by_key(|f| f.insn);
    lines.sort_by_key(|l| l.insn);
    (funcs, lines)
}
