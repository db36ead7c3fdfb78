//! A thin, bounds-checked view of a 64-bit little-endian eBPF ELF
//! relocatable object, built on the `object` crate's low-level ELF reader.

use object::elf::{FileHeader64, EM_BPF, SHT_SYMTAB};
use object::read::elf::{FileHeader, SectionHeader as _, Sym as _};
use object::Endianness;

use crate::error::{err, Error, ErrorKind};

/// `R_BPF_64_64`: the 64-bit immediate of a `lddw`.
pub(crate) const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_ABS64`: a 64-bit data word (pointers in `.maps`).
pub(crate) const R_BPF_64_ABS64: u32 = 2;
/// `R_BPF_64_32`: the 32-bit immediate of a `call`.
pub(crate) const R_BPF_64_32: u32 = 10;

pub(crate) const SHT_PROGBITS: u32 = 1;
pub(crate) const SHT_NOBITS: u32 = 8;
pub(crate) const SHT_REL: u32 = 9;
pub(crate) const SHF_EXECINSTR: u64 = 4;
pub(crate) const STT_OBJECT: u8 = 1;
pub(crate) const STT_FUNC: u8 = 2;
pub(crate) const STT_SECTION: u8 = 3;
pub(crate) const STB_LOCAL: u8 = 0;
pub(crate) const STB_GLOBAL: u8 = 1;
pub(crate) const STB_WEAK: u8 = 2;
pub(crate) const STV_INTERNAL: u8 = 1;
pub(crate) const STV_HIDDEN: u8 = 2;
pub(crate) const SHN_LORESERVE: u32 = 0xff00;

/// One section header with its name and contents.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub size: u64,
    pub info: u32,
    /// Contents; empty for `SHT_NOBITS`.
    pub data: &'a [u8],
}

impl Section<'_> {
    pub fn is_exec(&self) -> bool {
        self.sh_type == SHT_PROGBITS && self.flags & SHF_EXECINSTR != 0
    }
}

/// One symbol table entry.
#[derive(Debug, Clone)]
pub(crate) struct Symbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    pub shndx: u32,
    pub kind: u8,
    pub bind: u8,
    pub visibility: u8,
}

/// One `Elf64_Rel`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rel {
    pub offset: u64,
    pub sym: u32,
    pub rtype: u32,
}

/// The parsed file: sections by index (index 0 is the null section).
pub(crate) struct Elf<'a> {
    pub sections: Vec<Section<'a>>,
    pub symbols: Vec<Symbol>,
}

fn elf_err(e: object::read::Error) -> Error {
    Error::new(ErrorKind::Elf, format!("malformed ELF: {e}"))
}

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, Error> {
        if data.len() < 4 || &data[..4] != b"\x7fELF" {
            return err(ErrorKind::Elf, "not an ELF file");
        }
        if data.get(4) != Some(&2) {
            return err(
                ErrorKind::Elf,
                "not a 64-bit ELF file (eBPF objects are ELF64)",
            );
        }
        let hdr = FileHeader64::<Endianness>::parse(data).map_err(elf_err)?;
        let endian = hdr.endian().map_err(elf_err)?;
        let machine = hdr.e_machine(endian);
        if machine != EM_BPF {
            return err(
                ErrorKind::Elf,
                format!("not an eBPF object (e_machine {machine}, eBPF is {EM_BPF})"),
            );
        }
        if endian != Endianness::Little {
            return err(ErrorKind::Elf, "big-endian eBPF objects are not supported");
        }
        let table = hdr.sections(endian, data).map_err(elf_err)?;
        let mut sections = Vec::with_capacity(table.len());
        for (_, sh) in table.enumerate() {
            let name = table.section_name(endian, sh).map_err(elf_err)?;
            let sh_type = sh.sh_type(endian);
            let section_data = if sh_type == SHT_NOBITS {
                &[][..]
            } else {
                sh.data(endian, data).map_err(elf_err)?
            };
            sections.push(Section {
                name: String::from_utf8_lossy(name).into_owned(),
                sh_type,
                flags: sh.sh_flags(endian),
                size: sh.sh_size(endian),
                info: sh.sh_info(endian),
                data: section_data,
            });
        }
        let symtab = table.symbols(endian, data, SHT_SYMTAB).map_err(elf_err)?;
        if symtab.is_empty() {
            return err(ErrorKind::Elf, "no symbol table (stripped object file?)");
        }
        let mut symbols = Vec::with_capacity(symtab.len());
        for (_, s) in symtab.enumerate() {
            let name = symtab.symbol_name(endian, s).map_err(elf_err)?;
            symbols.push(Symbol {
                name: String::from_utf8_lossy(name).into_owned(),
                value: s.st_value(endian),
                size: s.st_size(endian),
                shndx: u32::from(s.st_shndx(endian)),
                kind: s.st_type(),
                bind: s.st_bind(),
                visibility: s.st_visibility(),
            });
        }
        Ok(Elf { sections, symbols })
    }

    /// The relocations of `SHT_REL` section `idx`.
    pub fn rels(&self, idx: usize) -> Result<Vec<Rel>, Error> {
        let sec = &self.sections[idx];
        if sec.data.len() % 16 != 0 {
            return err(
                ErrorKind::Elf,
                format!("relocation section {} has a partial entry", sec.name),
            );
        }
        Ok(sec
            .data
            .chunks_exact(16)
            .map(|c| {
                let w = |i: usize| {
                    u64::from_le_bytes([
                        c[i],
                        c[i + 1],
                        c[i + 2],
                        c[i + 3],
                        c[i + 4],
                        c[i + 5],
                        c[i + 6],
                        c[i + 7],
                    ])
                };
                let info = w(8);
                Rel {
                    offset: w(0),
                    sym: (info >> 32) as u32,
                    rtype: info as u32,
                }
            })
            .collect())
    }

    /// Section name or `"<section N>"`.
    pub fn sec_name(&self, idx: u32) -> &str {
        self.sections
            .get(idx as usize)
            .map(|s| s.name.as_str())
            .unwrap_or("<none>")
    }

    /// A symbol's display name: its own name, or its section's name for a
    /// section symbol.
    pub fn sym_display(&self, s: &Symbol) -> String {
        if s.kind == STT_SECTION || s.name.is_empty() {
            self.sec_name(s.shndx).to_string()
        } else {
            s.name.clone()
        }
    }
}
