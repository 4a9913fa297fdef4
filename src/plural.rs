//! Counts in log lines a person reads: "1 byte", "12 bytes", "1 client".

/// `n` and `noun`, with an `s` unless `n` is 1.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(plural(1, "byte"), "1 byte");
        assert_eq!(plural(0, "client"), "0 clients");
        assert_eq!(plural(12, "byte"), "12 bytes");
    }
}
