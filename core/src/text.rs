//! Remote text made printable.

/// Remote text made safe to print: control characters (C0, DEL and C1 — ANSI escape sequences
/// start with one) removed, so an issuer, a log or a certificate cannot move the cursor, recolour
/// the terminal or forge a line (`[GNUPG:]` status lines included), and Unicode format characters
/// removed, so it cannot reorder or hide what is shown.
pub fn sanitize(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() && !is_format(*c)).collect()
}

/// Whether `c` is a Unicode format character (general category Cf: bidirectional overrides and
/// isolates, zero-width characters, tag characters...), which can reorder or hide what a terminal
/// shows (an identity that reads as another). The list is Unicode 16's Cf, written out: a few
/// ranges that change rarely, where a general-category table would be a dependency for one check.
pub fn is_format(c: char) -> bool {
    matches!(u32::from(c),
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD
        | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sanitize_strips_c0_del_and_c1_but_keeps_other_text() {
        assert_eq!(super::sanitize("a\u{1b}[31mb\u{7f}c\u{9b}2Jd\ne\tf é ✓"), "a[31mbc2Jdef é ✓");
    }

    #[test]
    fn sanitize_strips_bidi_overrides_and_other_format_characters() {
        // "alice\u{202E}moc.live" shows as "aliceevil.com" where the override is honoured.
        let text = "alice\u{202E}moc.live\u{2066}x\u{2069}\u{200B}y\u{FEFF}\u{E0041}z\u{AD}";
        assert_eq!(super::sanitize(text), "alicemoc.livexyz");
    }
}
