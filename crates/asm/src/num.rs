//! Number and register parsing shared by both syntaxes.

use crate::error::{ErrorKind, KResult};

/// Parses an optionally signed decimal or `0x` hex integer into an i128 (so
/// that every range check happens in one place).
pub(crate) fn parse_int(text: &str) -> KResult<i128> {
    let bad = || ErrorKind::BadNumber(text.to_string());
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, t[1..].trim_start()),
        Some(b'+') => (false, t[1..].trim_start()),
        _ => (false, t),
    };
    let (digits, radix) = match body.get(..2) {
        Some("0x") | Some("0X") => (&body[2..], 16),
        _ => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(bad());
    }
    // 34 hex digits would overflow i128; nothing valid is that long.
    if digits.len() > 30 {
        return Err(ErrorKind::ImmOutOfRange(text.to_string()));
    }
    let v = i128::from_str_radix(digits, radix).map_err(|_| bad())?;
    Ok(if neg { -v } else { v })
}

fn is_hex(text: &str) -> bool {
    let t = text.trim().trim_start_matches(['-', '+']).trim_start();
    t.starts_with("0x") || t.starts_with("0X")
}

/// A 32-bit immediate: decimal in `i32` range, or hex up to `0xffffffff`
/// (taken as the bit pattern) and down to `-0x80000000`.
pub(crate) fn imm32(text: &str) -> KResult<i32> {
    let v = parse_int(text)?;
    let max = if is_hex(text) {
        u32::MAX as i128
    } else {
        i32::MAX as i128
    };
    if v < i32::MIN as i128 || v > max {
        return Err(ErrorKind::ImmOutOfRange(text.to_string()));
    }
    Ok(v as u32 as i32)
}

/// A 64-bit immediate (`lddw`): `i64` range, or up to `u64::MAX` taken as
/// the bit pattern.
pub(crate) fn imm64(text: &str) -> KResult<u64> {
    let v = parse_int(text)?;
    if v < i64::MIN as i128 || v > u64::MAX as i128 {
        return Err(ErrorKind::ImmOutOfRange(text.to_string()));
    }
    // Truncating a negative i128 keeps its two's-complement low bits.
    Ok(v as u64)
}

/// A 16-bit signed offset.
pub(crate) fn off16(text: &str) -> KResult<i16> {
    let v = parse_int(text)?;
    i16::try_from(v).map_err(|_| ErrorKind::OffsetOutOfRange(text.to_string()))
}

/// A register number from the digits after `r`/`w`/`%r`; `None` when the
/// text is not register-shaped at all.
pub(crate) fn reg_digits(digits: &str, full: &str) -> Option<KResult<u8>> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(match digits.parse::<u32>() {
        Ok(n) if n <= 10 => Ok(n as u8),
        _ => Err(ErrorKind::BadRegister(full.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imm32_ranges() {
        assert_eq!(imm32("2147483647"), Ok(i32::MAX));
        assert_eq!(imm32("-2147483648"), Ok(i32::MIN));
        assert!(matches!(
            imm32("2147483648"),
            Err(ErrorKind::ImmOutOfRange(_))
        ));
        assert!(matches!(
            imm32("-2147483649"),
            Err(ErrorKind::ImmOutOfRange(_))
        ));
        assert_eq!(imm32("0xffffffff"), Ok(-1));
        assert_eq!(imm32("-0x80000000"), Ok(i32::MIN));
        assert!(matches!(
            imm32("0x100000000"),
            Err(ErrorKind::ImmOutOfRange(_))
        ));
        assert!(matches!(
            imm32("-0x80000001"),
            Err(ErrorKind::ImmOutOfRange(_))
        ));
        assert!(matches!(imm32("12a"), Err(ErrorKind::BadNumber(_))));
        assert!(matches!(imm32("0x"), Err(ErrorKind::BadNumber(_))));
        assert!(matches!(imm32(""), Err(ErrorKind::BadNumber(_))));
    }

    #[test]
    fn imm64_ranges() {
        assert_eq!(imm64("0xFFFFFFFFFFFFFFFF"), Ok(u64::MAX));
        assert_eq!(imm64("-1"), Ok(u64::MAX));
        assert_eq!(imm64("-9223372036854775808"), Ok(1 << 63));
        assert_eq!(imm64("18446744073709551615"), Ok(u64::MAX));
        assert!(imm64("0x10000000000000000").is_err());
        assert!(imm64("-9223372036854775809").is_err());
    }

    #[test]
    fn offsets() {
        assert_eq!(off16("-0x8000"), Ok(i16::MIN));
        assert_eq!(off16("+32767"), Ok(i16::MAX));
        assert!(matches!(
            off16("0x8000"),
            Err(ErrorKind::OffsetOutOfRange(_))
        ));
        assert!(matches!(
            off16("+0x10000"),
            Err(ErrorKind::OffsetOutOfRange(_))
        ));
    }
}
