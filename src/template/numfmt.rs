//! Locale-aware number and money formatting for the `number` and `money` filters.
//!
//! A small table, not CLDR: the separators and currency placement of `en`, `de`, `fr`, `de-CH`
//! and `ja` (plus `it`, `es`, `nl`, `pt` which share `de`'s separators). Rounding is half away
//! from zero, as people round money (`format!` rounds half to even).

/// How a locale writes numbers and amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    /// Between groups of three digits.
    group: &'static str,
    /// Before the fraction.
    decimal: &'static str,
    /// Whether the currency comes after the amount (`1.234,50 €`).
    currency_after: bool,
    /// Yen sign this locale uses (`¥`, or `￥` in Japanese).
    yen: &'static str,
}

/// The locales [`locale`] knows, for messages.
pub const LOCALES: &str = "en, de, fr, de-CH, ja, it, es, nl, pt";

/// The formatting rules of `tag` (`en`, `de-CH`, `fr_FR`; case-insensitive), or `None`.
pub fn locale(tag: &str) -> Option<Locale> {
    let t = tag.trim().replace('_', "-").to_ascii_lowercase();
    let en = Locale {
        group: ",",
        decimal: ".",
        currency_after: false,
        yen: "¥",
    };
    let de = Locale {
        group: ".",
        decimal: ",",
        currency_after: true,
        yen: "¥",
    };
    let l = match t.as_str() {
        "de-ch" | "de-li" => Locale {
            group: "’",
            decimal: ".",
            currency_after: false,
            yen: "¥",
        },
        "fr-ch" => Locale {
            group: "\u{202f}",
            decimal: ",",
            currency_after: true,
            yen: "¥",
        },
        "ja" | "ja-jp" => Locale { yen: "￥", ..en },
        _ => match t.split('-').next().unwrap_or("") {
            "en" => en,
            "de" | "it" | "es" | "nl" | "pt" => de,
            "fr" => Locale {
                group: "\u{202f}",
                ..de
            },
            _ => return None,
        },
    };
    Some(l)
}

/// `amount` rounded to `decimals` (half away from zero) and grouped: `1234.5` → `1,234.50`.
/// `None` decimals keep the fraction as written by Rust's shortest form. No sign.
fn digits(amount: f64, decimals: Option<usize>, l: Locale) -> String {
    let fixed = match decimals {
        Some(d) => {
            let scale = 10f64.powi(d as i32);
            format!("{:.*}", d, (amount.abs() * scale).round() / scale)
        }
        None => {
            let s = amount.abs().to_string();
            if s.contains('e') {
                format!("{:.6}", amount.abs())
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string()
            } else {
                s
            }
        }
    };
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut out = String::with_capacity(fixed.len() + fixed.len() / 2);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push_str(l.group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push_str(l.decimal);
        out.push_str(frac);
    }
    out
}

/// Whether `text` (digits and separators) is all zeros: `-0.00` is written `0.00`.
fn is_zero(text: &str) -> bool {
    !text.chars().any(|c| c.is_ascii_digit() && c != '0')
}

/// `number(decimals, locale)`: `1234567.891 | number(2, "de")` → `1.234.567,89`.
pub fn number(amount: f64, decimals: Option<usize>, l: Locale) -> String {
    let d = digits(amount, decimals, l);
    let sign = if amount < 0.0 && !is_zero(&d) {
        "-"
    } else {
        ""
    };
    format!("{sign}{d}")
}

/// A currency's symbol (or its code) and usual number of decimals.
fn currency(code: &str, l: Locale) -> (String, usize) {
    let (sym, decimals) = match code {
        "USD" => ("$", 2),
        "EUR" => ("€", 2),
        "GBP" => ("£", 2),
        "JPY" => (l.yen, 0),
        "KRW" => ("₩", 0),
        "INR" => ("₹", 2),
        other => (other, 2),
    };
    (sym.to_string(), decimals)
}

/// `money(currency, decimals, locale)`: `3890000 | money("CHF", 0, "de-CH")` → `CHF 3’890’000`,
/// `1234.5 | money("EUR", locale="de")` → `1.234,50 €`.
pub fn money(amount: f64, code: &str, decimals: Option<usize>, l: Locale) -> String {
    let code = code.trim().to_ascii_uppercase();
    let (sym, usual) = currency(&code, l);
    let d = digits(amount, Some(decimals.unwrap_or(usual)), l);
    let sign = if amount < 0.0 && !is_zero(&d) {
        "-"
    } else {
        ""
    };
    let word = sym.chars().all(|c| c.is_ascii_alphabetic());
    if l.currency_after {
        format!("{sign}{d}\u{a0}{sym}")
    } else if word {
        format!("{sign}{sym}\u{a0}{d}")
    } else {
        format!("{sign}{sym}{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(tag: &str) -> Locale {
        locale(tag).unwrap()
    }

    #[test]
    fn numbers_per_locale() {
        assert_eq!(number(1234567.891, Some(2), l("en")), "1,234,567.89");
        assert_eq!(number(1234567.891, Some(2), l("de")), "1.234.567,89");
        assert_eq!(
            number(1234567.891, Some(2), l("fr")),
            "1\u{202f}234\u{202f}567,89"
        );
        assert_eq!(number(1234567.891, Some(2), l("de-CH")), "1’234’567.89");
        assert_eq!(number(1234567.891, Some(0), l("ja")), "1,234,568");
        assert_eq!(number(1234.5, None, l("en")), "1,234.5");
        assert_eq!(number(-0.001, Some(2), l("en")), "0.00");
        assert_eq!(number(-1234.0, None, l("de_DE")), "-1.234");
        assert_eq!(number(0.125, Some(2), l("en")), "0.13");
        assert!(locale("xx").is_none());
    }

    #[test]
    fn money_per_locale() {
        let nb = '\u{a0}';
        assert_eq!(
            money(3890000.0, "CHF", Some(0), l("de-CH")),
            format!("CHF{nb}3’890’000")
        );
        assert_eq!(
            money(1234.5, "EUR", None, l("de")),
            format!("1.234,50{nb}€")
        );
        assert_eq!(
            money(1234.5, "EUR", None, l("fr")),
            format!("1\u{202f}234,50{nb}€")
        );
        assert_eq!(money(1234.5, "USD", None, l("en")), "$1,234.50");
        assert_eq!(money(1234.5, "JPY", None, l("ja")), "￥1,235");
        assert_eq!(money(-5.0, "GBP", Some(1), l("en")), "-£5.0");
        assert_eq!(
            money(99.999, "chf", None, l("en")),
            format!("CHF{nb}100.00")
        );
    }
}
