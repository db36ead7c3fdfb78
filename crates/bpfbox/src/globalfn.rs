//! The global functions of a program and their signatures from BTF, as
//! the kernel prepares them (`btf_prepare_func_args`), for the verifier's
//! [`bpfbox_verifier::Options::globals`].

use bpfbox_object::btf::{kind, Btf, FUNC_GLOBAL};
use bpfbox_object::{Object, ProgramDef};
use bpfbox_verifier::{GlobalArg, GlobalFunc};

/// The UAPI context struct of a program type (`struct __sk_buff` for tc),
/// from the type's data: a global function's pointer argument to it is the
/// context.
fn ctx_struct(prog_type: u32) -> Option<&'static str> {
    bpfbox_progtype::by_id(prog_type)?.global_func_ctx
}

/// What the signature of global function `func` (a `BTF_KIND_FUNC` id)
/// declares: `None` when bpfbox cannot model it (the function is then
/// checked as a static one), `Some(Err)` with the kernel's message when
/// the kernel refuses it.
fn signature(btf: &Btf, func: u32, ctx: Option<&str>) -> Option<Result<Vec<GlobalArg>, String>> {
    let proto = btf.type_by_id(btf.type_by_id(func)?.size_or_type)?;
    let bpfbox_object::btf::Extra::Params(params) = &proto.extra else {
        return None;
    };
    // Decl tags on arguments (`arg:ctx`, `arg:nonnull`, ...) change the
    // rules; such functions are left to the static walk.
    let tagged = btf
        .types()
        .any(|(_, t)| t.kind == kind::DECL_TAG && t.size_or_type == func);
    if tagged || params.len() > 5 {
        return None;
    }
    let mut args = Vec::new();
    for (i, &(_, ty)) in params.iter().enumerate() {
        let t = btf.type_by_id(btf.skip_mods_and_typedefs(ty))?;
        match t.kind {
            kind::INT | kind::ENUM | kind::ENUM64 => args.push(GlobalArg::Scalar),
            kind::PTR => {
                let target = btf.skip_mods_and_typedefs(t.size_or_type);
                let pointee = btf.type_by_id(target);
                let is_struct = pointee.is_some_and(|p| p.kind == kind::STRUCT);
                let name = pointee.map_or("", |p| btf.str_at(p.name_off).unwrap_or(""));
                let ctx = ctx?;
                if is_struct && name == ctx {
                    args.push(GlobalArg::Ctx);
                    continue;
                }
                match btf.resolve_size(target) {
                    Ok(size) if target != 0 => args.push(GlobalArg::Mem {
                        size,
                        nullable: true,
                    }),
                    _ => {
                        let kname = pointee.map_or("UNKNOWN", |p| {
                            if p.kind == kind::STRUCT {
                                "struct"
                            } else {
                                "UNKNOWN"
                            }
                        });
                        return Some(Err(format!(
                            "arg#{i} reference type('{kname} {name}') size cannot be determined: -22"
                        )));
                    }
                }
            }
            _ => return None,
        }
    }
    Some(Ok(args))
}

/// The global functions of `def` other than its main function, with
/// their signatures (from the BTF the kernel would be given, where
/// libbpf has made hidden functions static).
pub fn global_funcs(obj: &Object, def: &ProgramDef) -> Vec<GlobalFunc> {
    let Some(btf) = obj.btf_for_kernel().and_then(|raw| Btf::parse(&raw).ok()) else {
        return Vec::new();
    };
    let ctx = ctx_struct(def.prog_type);
    def.func_info
        .iter()
        .filter(|f| f.insn != 0)
        .filter_map(|f| {
            let t = btf.type_by_id(f.type_id)?;
            if t.kind != kind::FUNC || t.vlen != FUNC_GLOBAL {
                return None;
            }
            Some(GlobalFunc {
                insn: f.insn as usize,
                name: f.name.clone(),
                args: signature(&btf, f.type_id, ctx)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globalfn() -> Object {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/progs/verifier/globalfn.o"
        );
        bpfbox_object::load_file(std::path::Path::new(path)).expect("globalfn.o")
    }

    #[test]
    fn signatures_from_btf() {
        let obj = globalfn();
        let sig = |prog: &str| {
            let def = obj.program(prog).expect("program");
            let g = global_funcs(&obj, def);
            assert_eq!(g.len(), 1, "{prog}: {g:?}");
            g[0].args.clone()
        };
        assert_eq!(sig("ok_ctx_arg"), Ok(vec![GlobalArg::Ctx]));
        assert_eq!(sig("ok_scalar_arg"), Ok(vec![GlobalArg::Scalar]));
        assert_eq!(
            sig("ok_sized_struct"),
            Ok(vec![GlobalArg::Mem {
                size: 8,
                nullable: true
            }])
        );
        let e = sig("bad_unsized_buffer").unwrap_err();
        assert!(e.contains("size cannot be determined"), "{e}");
    }
}
