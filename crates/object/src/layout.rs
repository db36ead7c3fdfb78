//! Where a struct's members are, by name or by byte offset: what a model
//! of kernel memory laid out by BTF needs (field values → bytes at their
//! offsets), and what a BTF-typed pointer load needs (the kernel's
//! `btf_struct_access`: which member a load at offset `off` of `size`
//! bytes reads, and whether it yields a number or another typed pointer).

use crate::btf::{kind, Btf, Extra};

/// One member found in a struct, with its byte offset from the start of
/// the outermost struct searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Byte offset from the start of the struct searched.
    pub offset: u32,
    /// The member's type id, typedefs and modifiers skipped.
    pub type_id: u32,
    /// Size in bytes of the member's type.
    pub size: u32,
    /// A bitfield (not addressable as whole bytes).
    pub bitfield: bool,
}

/// What a load through a BTF-typed pointer gives (`btf_struct_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// A number (`SCALAR_VALUE`): integers, enums, pointers to anything
    /// but a struct, parts of arrays and structs.
    Scalar,
    /// A pointer to this struct (`PTR_TO_BTF_ID` of the pointee).
    Ptr(u32),
}

/// Why a load through a BTF-typed pointer is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRefused(pub String);

impl Btf {
    /// The id of the struct named `name` (a complete STRUCT, not a FWD).
    pub fn struct_by_name(&self, name: &str) -> Option<u32> {
        self.find(name, kind::STRUCT)
    }

    /// The member `name` of struct or union `id`, looked for in anonymous
    /// struct and union members too (as C lets `xdp->data` name a member
    /// of an unnamed union).
    pub fn member_by_name(&self, id: u32, name: &str) -> Option<Field> {
        self.member_by_name_depth(id, name, 0)
    }

    fn member_by_name_depth(&self, id: u32, name: &str, depth: u32) -> Option<Field> {
        if depth > 16 {
            return None;
        }
        let t = self.type_by_id(self.skip_mods_and_typedefs(id))?;
        let Extra::Members(members) = &t.extra else {
            return None;
        };
        for m in members {
            let ty = self.skip_mods_and_typedefs(m.type_id);
            let mname = self.str_at(m.name_off).unwrap_or("");
            if mname == name {
                return Some(self.field(m.bit_offset, ty, m.bitfield_size));
            }
            let anonymous_aggregate = mname.is_empty()
                && self
                    .type_by_id(ty)
                    .is_some_and(|mt| matches!(mt.kind, kind::STRUCT | kind::UNION));
            if anonymous_aggregate {
                if let Some(f) = self.member_by_name_depth(ty, name, depth + 1) {
                    return Some(Field {
                        offset: f.offset + m.bit_offset / 8,
                        ..f
                    });
                }
            }
        }
        None
    }

    fn field(&self, bit_offset: u32, ty: u32, bitfield_size: u32) -> Field {
        Field {
            offset: bit_offset / 8,
            type_id: ty,
            size: self.resolve_size(ty).unwrap_or(0),
            bitfield: bitfield_size != 0 || bit_offset % 8 != 0,
        }
    }

    /// What loading `size` bytes at byte `off` of struct `id` gives, by the
    /// kernel's rules for BTF-typed pointers: a load of a whole pointer
    /// member to a struct gives a pointer to that struct; a load inside an
    /// integer, enum, array or nested struct gives a number; a load that
    /// leaves the struct or takes part of a pointer is refused.
    pub fn load_at(&self, id: u32, off: i64, size: u32) -> Result<Loaded, AccessRefused> {
        let sid = self.skip_mods_and_typedefs(id);
        let name = self.type_name(sid).to_string();
        let total = self.resolve_size(sid).unwrap_or(0);
        if off < 0 || off as u64 + u64::from(size) > u64::from(total) {
            return Err(AccessRefused(format!(
                "access beyond struct {name} at off {off} size {size}"
            )));
        }
        self.load_in(sid, off as u32, size, &name, 0)
    }

    fn load_in(
        &self,
        id: u32,
        off: u32,
        size: u32,
        outer: &str,
        depth: u32,
    ) -> Result<Loaded, AccessRefused> {
        let t = self.type_by_id(id);
        let Some(Extra::Members(members)) = t.map(|t| &t.extra) else {
            return Ok(Loaded::Scalar);
        };
        if depth > 16 {
            return Ok(Loaded::Scalar);
        }
        let end = off + size;
        for m in members {
            let ty = self.skip_mods_and_typedefs(m.type_id);
            let f = self.field(m.bit_offset, ty, m.bitfield_size);
            if f.bitfield {
                // a load covering a bitfield's storage reads a number
                let start = m.bit_offset / 8;
                let stop = (m.bit_offset + m.bitfield_size.max(1)).div_ceil(8);
                if off < stop && end > start {
                    return Ok(Loaded::Scalar);
                }
                continue;
            }
            if off >= f.offset + f.size || end <= f.offset {
                continue;
            }
            let mk = self.type_by_id(ty).map(|mt| mt.kind);
            match mk {
                Some(kind::STRUCT | kind::UNION) if off >= f.offset && end <= f.offset + f.size => {
                    return self.load_in(ty, off - f.offset, size, outer, depth + 1);
                }
                Some(kind::PTR) => {
                    if off != f.offset || size != 8 {
                        return Err(AccessRefused(format!(
                            "access partial pointer in struct {outer} at off {off} size {size}"
                        )));
                    }
                    let pointee = self.type_by_id(ty).map_or(0, |p| p.size_or_type);
                    let target = self.skip_mods_and_typedefs(pointee);
                    let is_struct = self
                        .type_by_id(target)
                        .is_some_and(|pt| pt.kind == kind::STRUCT);
                    return Ok(if is_struct {
                        Loaded::Ptr(target)
                    } else {
                        Loaded::Scalar
                    });
                }
                _ => return Ok(Loaded::Scalar),
            }
        }
        // padding or a flexible array's tail
        Ok(Loaded::Scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct n { int ifindex; }`,
    /// `struct q { struct n *dev; union { int a; long b; }; unsigned c:3; }`.
    fn blob() -> Vec<u8> {
        let strings = b"\0int\0n\0ifindex\0q\0dev\0a\0b\0c\0long\0".to_vec();
        let mut types = Vec::new();
        let mut push = |w: &[u32]| {
            w.iter()
                .for_each(|x| types.extend_from_slice(&x.to_le_bytes()))
        };
        push(&[1, (kind::INT as u32) << 24, 4, 32]); // [1] int
        push(&[5, (kind::STRUCT as u32) << 24 | 1, 4, 7, 1, 0]); // [2] struct n
        push(&[0, (kind::PTR as u32) << 24, 2]); // [3] struct n *
        push(&[27, (kind::INT as u32) << 24, 8, 64]); // [4] long
        push(&[0, (kind::UNION as u32) << 24 | 2, 8, 21, 1, 0, 23, 4, 0]); // [5] union
        push(&[
            15,
            (kind::STRUCT as u32) << 24 | 1 << 31 | 3,
            24,
            17,
            3,
            0,
            0,
            5,
            64,
            25,
            1,
            3 << 24 | 128,
        ]); // [6] struct q
        crate::btf::tests::blob(&types, &strings)
    }

    #[test]
    fn members_by_name_reach_into_anonymous_unions() {
        let btf = Btf::parse(&blob()).unwrap();
        let q = btf.struct_by_name("q").unwrap();
        assert_eq!(btf.member_by_name(q, "dev").unwrap().offset, 0);
        let b = btf.member_by_name(q, "b").unwrap();
        assert_eq!((b.offset, b.size), (8, 8));
        assert!(btf.member_by_name(q, "c").unwrap().bitfield);
        assert_eq!(btf.member_by_name(q, "nope"), None);
    }

    #[test]
    fn loads_follow_btf_struct_access() {
        let btf = Btf::parse(&blob()).unwrap();
        let q = btf.struct_by_name("q").unwrap();
        let n = btf.struct_by_name("n").unwrap();
        assert_eq!(btf.load_at(q, 0, 8), Ok(Loaded::Ptr(n)));
        assert!(btf.load_at(q, 4, 4).is_err(), "part of a pointer");
        assert_eq!(btf.load_at(q, 8, 4), Ok(Loaded::Scalar));
        assert_eq!(btf.load_at(q, 16, 1), Ok(Loaded::Scalar));
        assert!(btf.load_at(q, 20, 8).is_err(), "beyond the struct");
        assert!(btf.load_at(q, -1, 1).is_err());
    }
}
