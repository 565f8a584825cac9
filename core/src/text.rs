//! Remote text made printable.

/// Remote text made safe to print: control characters (C0, DEL and C1 — ANSI escape sequences
/// start with one) removed, so an issuer, a log or a certificate cannot move the cursor, recolour
/// the terminal or forge a line (`[GNUPG:]` status lines included).
pub fn sanitize(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sanitize_strips_c0_del_and_c1_but_keeps_other_text() {
        assert_eq!(super::sanitize("a\u{1b}[31mb\u{7f}c\u{9b}2Jd\ne\tf é ✓"), "a[31mbc2Jdef é ✓");
    }
}
