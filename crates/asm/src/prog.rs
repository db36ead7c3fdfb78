//! The output program under construction: raw slots, label definitions and
//! the jumps waiting for a label to be resolved. Both syntaxes emit through
//! this, so label rules (and their errors) are the same for both.

use crate::error::{Error, ErrorKind, KResult};
use bpfbox_isa::RawInsn;
use std::collections::HashMap;

/// Where a jump goes, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A displacement relative to the next slot (`+2`, `-3`).
    Rel(i64),
    /// A label name.
    Label(String),
}

/// Which field of the slot holds the displacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// The 16-bit `off` (conditional jumps, `goto`, `may_goto`).
    Off,
    /// The 32-bit `imm` (`gotol`/`ja32`, local calls, `ld_pseudo` func).
    Imm,
}

#[derive(Debug)]
struct Fixup {
    slot: usize,
    line: usize,
    label: String,
    field: Field,
}

/// Collects slots and resolves labels at the end.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    slots: Vec<RawInsn>,
    labels: HashMap<String, usize>,
    fixups: Vec<Fixup>,
    first_exit: Option<usize>,
}

fn set_field(slot: &mut RawInsn, field: Field, disp: i64, shown: &str) -> KResult<()> {
    match field {
        Field::Off => {
            slot.off =
                i16::try_from(disp).map_err(|_| ErrorKind::OffsetOutOfRange(shown.to_string()))?
        }
        Field::Imm => {
            slot.imm =
                i32::try_from(disp).map_err(|_| ErrorKind::OffsetOutOfRange(shown.to_string()))?
        }
    }
    Ok(())
}

impl Builder {
    /// Index the next slot will get.
    pub(crate) fn pc(&self) -> usize {
        self.slots.len()
    }

    /// Defines `name` at the next slot.
    pub(crate) fn label(&mut self, name: &str, line: usize) -> Result<(), Error> {
        if self.labels.insert(name.to_string(), self.pc()).is_some() {
            return Err(Error::new(
                line,
                ErrorKind::DuplicateLabel(name.to_string()),
            ));
        }
        Ok(())
    }

    /// Appends slots that need no fixup.
    pub(crate) fn push(&mut self, slots: &[RawInsn]) {
        if self.first_exit.is_none() && slots.first().is_some_and(|s| s.code == 0x95) {
            self.first_exit = Some(self.pc());
        }
        self.slots.extend_from_slice(slots);
    }

    /// Appends `slot` (first of `rest`) whose `field` holds the displacement
    /// to `target`; a label is resolved in [`Builder::finish`].
    pub(crate) fn push_jump(
        &mut self,
        mut slot: RawInsn,
        rest: &[RawInsn],
        target: Target,
        field: Field,
        line: usize,
    ) -> KResult<()> {
        match target {
            Target::Rel(d) => set_field(&mut slot, field, d, &format!("{d:+}"))?,
            Target::Label(label) => self.fixups.push(Fixup {
                slot: self.pc(),
                line,
                label,
                field,
            }),
        }
        self.slots.push(slot);
        self.slots.extend_from_slice(rest);
        Ok(())
    }

    /// Resolves labels. With `exit_alias`, the name `exit` (when no label
    /// of that name exists) means the first `exit` instruction, as in the
    /// bpf_conformance assembler.
    pub(crate) fn finish(mut self, exit_alias: bool) -> Result<Vec<RawInsn>, Error> {
        for f in &self.fixups {
            let at = match self.labels.get(&f.label) {
                Some(&at) => Some(at),
                None if exit_alias && f.label == "exit" => self.first_exit,
                None => None,
            };
            let Some(at) = at else {
                return Err(Error::new(f.line, ErrorKind::UnknownLabel(f.label.clone())));
            };
            let disp = at as i64 - f.slot as i64 - 1;
            set_field(&mut self.slots[f.slot], f.field, disp, &f.label)
                .map_err(|k| Error::new(f.line, k))?;
        }
        Ok(self.slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_resolve_both_ways() {
        let mut b = Builder::default();
        b.label("top", 1).unwrap();
        b.push(&[RawInsn::new(0xb7, 0, 0, 0, 0)]);
        b.push_jump(
            RawInsn::new(0x05, 0, 0, 0, 0),
            &[],
            Target::Label("end".into()),
            Field::Off,
            2,
        )
        .unwrap();
        b.push_jump(
            RawInsn::new(0x05, 0, 0, 0, 0),
            &[],
            Target::Label("top".into()),
            Field::Off,
            3,
        )
        .unwrap();
        b.label("end", 4).unwrap();
        b.push(&[RawInsn::new(0x95, 0, 0, 0, 0)]);
        let p = b.finish(false).unwrap();
        assert_eq!(p[1].off, 1);
        assert_eq!(p[2].off, -3);
    }

    #[test]
    fn unknown_and_duplicate_labels() {
        let mut b = Builder::default();
        b.label("a", 1).unwrap();
        assert_eq!(
            b.label("a", 2).unwrap_err().kind(),
            &ErrorKind::DuplicateLabel("a".into())
        );
        b.push_jump(
            RawInsn::new(0x05, 0, 0, 0, 0),
            &[],
            Target::Label("nowhere".into()),
            Field::Off,
            7,
        )
        .unwrap();
        let e = b.finish(false).unwrap_err();
        assert_eq!(e.line(), 7);
        assert_eq!(e.kind(), &ErrorKind::UnknownLabel("nowhere".into()));
    }

    #[test]
    fn exit_alias_is_first_exit() {
        let mut b = Builder::default();
        b.push_jump(
            RawInsn::new(0x05, 0, 0, 0, 0),
            &[],
            Target::Label("exit".into()),
            Field::Off,
            1,
        )
        .unwrap();
        b.push(&[RawInsn::new(0x95, 0, 0, 0, 0)]);
        b.push(&[RawInsn::new(0x95, 0, 0, 0, 0)]);
        assert_eq!(b.finish(true).unwrap()[0].off, 0);
    }

    #[test]
    fn rel_range_checked() {
        let mut b = Builder::default();
        let r = b.push_jump(
            RawInsn::new(0x05, 0, 0, 0, 0),
            &[],
            Target::Rel(40000),
            Field::Off,
            1,
        );
        assert!(matches!(r, Err(ErrorKind::OffsetOutOfRange(_))));
    }
}
