//! Return values: what the verifier enforces at the main program's exit
//! (`check_return_code` in kernel/bpf/verifier.c) and what the hook makes
//! of the value (`XDP_DROP`, `TC_ACT_SHOT`, "keep 54 bytes", "deny: EPERM").

use serde::Serialize;

use crate::attach::AttachType;
use crate::spec::{AttachFilter, Evidence};

/// A named return value and what the hook does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NamedValue {
    /// The value as the program returns it (sign-extended).
    pub value: i64,
    /// Its name (`XDP_PASS`).
    pub name: &'static str,
    /// What happens.
    pub meaning: &'static str,
    /// The hook drops the packet (`XDP_DROP`, `TC_ACT_SHOT`, cgroup `drop`).
    pub drops: bool,
}

impl NamedValue {
    /// Shorthand constructor for tables.
    pub const fn new(value: i64, name: &'static str, meaning: &'static str) -> NamedValue {
        NamedValue {
            value,
            name,
            meaning,
            drops: false,
        }
    }

    /// A value on which the hook drops the packet.
    pub const fn dropping(value: i64, name: &'static str, meaning: &'static str) -> NamedValue {
        NamedValue {
            value,
            name,
            meaning,
            drops: true,
        }
    }
}

/// How the hook reads R0 beyond the named values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Interp {
    /// Only the named values mean something; see [`ReturnRule::other`].
    Named,
    /// Unsigned number of bytes to keep, 0 = drop (socket filters).
    KeepBytes,
    /// Length of the next message; 0 = need more data; negative = error
    /// (sk_skb stream parser).
    MsgLength,
    /// 0 = allow, negative = deny with that errno (LSM).
    Errno,
    /// Index into the reuseport socket group (classic SO_ATTACH_REUSEPORT).
    Index,
    /// The value is ignored.
    Ignored,
}

/// The verifier's range check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RangeRule {
    /// No check: any scalar (even a pointer for a privileged loader).
    Unchecked,
    /// R0 must be a known scalar with min/max inside `[min, max]`.
    Range {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// Decided by the BTF type of the attach target (LSM hook, struct_ops
    /// member, replaced function); described in words.
    FromTarget(&'static str),
}

/// One return rule, applying to some expected attach types.
#[derive(Debug, Clone, Copy)]
pub struct ReturnRule {
    /// Attach types it applies to.
    pub when: AttachFilter,
    /// Verifier check.
    pub range: RangeRule,
    /// Named values with meaning.
    pub values: &'static [NamedValue],
    /// How other values are read.
    pub interp: Interp,
    /// What the hook does with values not listed (for [`Interp::Named`]).
    pub other: &'static str,
    /// How this was established.
    pub evidence: Evidence,
}

/// All return rules of a type; the first matching rule applies.
#[derive(Debug)]
pub struct ReturnSpec {
    /// Rules, most specific first; the last one should be `Any`.
    pub rules: &'static [ReturnRule],
}

/// Why R0 failed the exit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("At program exit the register R0 has smin={smin} smax={smax} should have been in [{min}, {max}]")]
pub struct RetRangeError {
    /// Tracked minimum of R0.
    pub smin: i64,
    /// Tracked maximum of R0.
    pub smax: i64,
    /// Allowed minimum.
    pub min: i64,
    /// Allowed maximum.
    pub max: i64,
}

impl ReturnSpec {
    /// The rule for `attach` (None if no rule matches, which the registry
    /// tests forbid).
    pub fn rule(&self, attach: Option<AttachType>) -> Option<&'static ReturnRule> {
        self.rules.iter().find(|r| r.when.matches(attach))
    }

    /// The enforced range, if any.
    pub fn range(&self, attach: Option<AttachType>) -> Option<(i64, i64)> {
        match self.rule(attach)?.range {
            RangeRule::Range { min, max } => Some((min, max)),
            _ => None,
        }
    }

    /// The verifier's check for a scalar R0 whose tracked signed bounds are
    /// `[smin, smax]`.
    pub fn check(
        &self,
        attach: Option<AttachType>,
        smin: i64,
        smax: i64,
    ) -> Result<(), RetRangeError> {
        match self.range(attach) {
            Some((min, max)) if smin < min || smax > max => Err(RetRangeError {
                smin,
                smax,
                min,
                max,
            }),
            _ => Ok(()),
        }
    }

    /// The named value the hook sees for `retval` (compared as the 32-bit
    /// value `bpf_prog_run` returns, so -1 and 0xffffffff are the same).
    pub fn named(&self, attach: Option<AttachType>, retval: u64) -> Option<&'static NamedValue> {
        let v32 = retval as u32;
        self.rule(attach)?
            .values
            .iter()
            .find(|n| n.value as u32 == v32)
    }

    /// Short description of a return value: `XDP_DROP`, `keep 54 bytes`,
    /// `deny: EPERM`, `7 (other: dropped)`.
    pub fn describe(&self, attach: Option<AttachType>, retval: u64) -> String {
        let Some(rule) = self.rule(attach) else {
            return format!("{}", retval as u32 as i32);
        };
        if let Some(n) = self.named(attach, retval) {
            return n.name.to_string();
        }
        let u = retval as u32;
        let s = u as i32;
        match rule.interp {
            Interp::Named if rule.other.is_empty() => s.to_string(),
            Interp::Named => format!("{s} ({})", rule.other),
            Interp::KeepBytes if u == u32::MAX => "keep all bytes".to_string(),
            Interp::KeepBytes => format!("keep {u} bytes"),
            Interp::MsgLength if s < 0 => format!("error: {}", errno_name(-s)),
            Interp::MsgLength => format!("message of {u} bytes"),
            Interp::Errno if s < 0 => format!("deny: {}", errno_name(-s)),
            Interp::Errno => format!("{s} (not an errno)"),
            Interp::Index => format!("socket index {u}"),
            Interp::Ignored => format!("{s} (ignored)"),
        }
    }
}

impl ReturnSpec {
    /// Whether the hook drops the packet for this return value: a socket
    /// filter keeping 0 bytes, or a named value marked
    /// [`NamedValue::dropping`] in the type's module. Used to leave dropped
    /// packets out of `--pcap-out`.
    pub fn drops(&self, attach: Option<AttachType>, retval: u64) -> bool {
        let Some(rule) = self.rule(attach) else {
            return false;
        };
        if rule.interp == Interp::KeepBytes && retval as u32 == 0 {
            return true;
        }
        self.named(attach, retval).is_some_and(|n| n.drops)
    }
}

/// Name of a Linux errno (`EPERM`), or the number.
pub fn errno_name(e: i32) -> String {
    const NAMES: [&str; 41] = [
        "0",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
    ];
    match e {
        0..=40 => NAMES[e as usize].to_string(),
        71 => "EPROTO".to_string(),
        95 => "EOPNOTSUPP".to_string(),
        97 => "EAFNOSUPPORT".to_string(),
        105 => "ENOBUFS".to_string(),
        111 => "ECONNREFUSED".to_string(),
        524 => "ENOTSUPP".to_string(),
        _ => format!("errno {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: ReturnSpec = ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(&[AttachType::CgroupInetEgress]),
                range: RangeRule::Range { min: 0, max: 3 },
                values: &[NamedValue::new(0, "DROP", "")],
                interp: Interp::Named,
                other: "x",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Unchecked,
                values: &[NamedValue::new(-1, "UNSPEC", "")],
                interp: Interp::Errno,
                other: "",
                evidence: Evidence::Empirical,
            },
        ],
    };

    #[test]
    fn rules_and_describe() {
        let eg = Some(AttachType::CgroupInetEgress);
        assert_eq!(SPEC.range(eg), Some((0, 3)));
        assert!(SPEC.check(eg, 0, 3).is_ok());
        let e = SPEC.check(eg, 0, 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "At program exit the register R0 has smin=0 smax=4 should have been in [0, 3]"
        );
        assert_eq!(SPEC.range(None), None);
        assert_eq!(SPEC.describe(eg, 0), "DROP");
        assert_eq!(SPEC.describe(eg, 7), "7 (x)");
        assert_eq!(SPEC.describe(None, u64::MAX), "UNSPEC");
        assert_eq!(SPEC.describe(None, (-13i64) as u64), "deny: EACCES");
        assert_eq!(errno_name(111), "ECONNREFUSED");
    }
}

#[cfg(test)]
mod drop_tests {
    use crate::ProgType;

    #[test]
    fn drops_follow_the_named_values() {
        let xdp = &ProgType::Xdp.spec().ret;
        assert!(xdp.drops(None, 0) && xdp.drops(None, 1));
        assert!(!xdp.drops(None, 2) && !xdp.drops(None, 3));
        let tc = &ProgType::SchedCls.spec().ret;
        assert!(tc.drops(None, 2) && !tc.drops(None, 0));
        let sf = &ProgType::SocketFilter.spec().ret;
        assert!(sf.drops(None, 0) && !sf.drops(None, 54));
    }
}

/// Declares a return-value table (`&[NamedValue]`, the check-side data)
/// and the Rust enum of the same values with a catch-all `Other(u32)`, from
/// one list, so the numbers and names are written once (the library's
/// typed programs return the enum):
///
/// ```ignore
/// named_values! {
///     /// What an XDP program tells the driver.
///     pub enum XdpAction, table XDP_ACTIONS {
///         Drop = 1, "XDP_DROP", dropping, "drop the packet";
///         Pass = 2, "XDP_PASS", new, "continue into the network stack";
///     }
/// }
/// ```
///
/// The value is compared sign-extended from 32 bits (tc's
/// `TC_ACT_UNSPEC` is -1).
#[macro_export]
macro_rules! named_values {
    (
        $(#[$meta:meta])*
        $vis:vis enum $enum:ident, table $table:ident {
            $( $variant:ident = $value:literal, $name:literal, $kind:ident, $meaning:literal; )*
        }
    ) => {
        pub(crate) static $table: &[$crate::ret::NamedValue] = &[
            $( $crate::ret::NamedValue::$kind($value, $name, $meaning), )*
        ];

        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $enum {
            $(
                #[doc = concat!("`", $name, "`: ", $meaning, ".")]
                $variant,
            )*
            /// Any other value.
            Other(u32),
        }

        impl $enum {
            /// The action for `retval` (r0 as the program returned it, low
            /// 32 bits, compared sign-extended).
            pub fn from_retval(retval: u32) -> Self {
                match i64::from(retval as i32) {
                    $( $value => $enum::$variant, )*
                    _ => $enum::Other(retval),
                }
            }

            /// The kernel's name of the value (`None` for [`Self::Other`]).
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $enum::$variant => Some($name), )*
                    $enum::Other(_) => None,
                }
            }
        }

    };
}
