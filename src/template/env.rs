//! The minijinja environment every `{{ expr }}` is evaluated in, with reel's own filters.
//!
//! [`environment`] builds it: minijinja's builtins (`upper`, `title`, `default`, `round`,
//! `replace`, `split`, `join`, `length`, …) plus `slug`, `seconds`, `basename`, `money` and
//! `file_exists` (also callable as a function). Undefined variables are errors except where they
//! are tested (`{% if missing %}`, `missing is defined`) or given a `default(…)`. The
//! environment itself escapes nothing: expansion escapes values written into markup fields
//! (`html`, `css`, `js`, svg `src`) with [`escape_markup`], unless marked `| safe`. The filters
//! themselves are plain functions over strings and numbers, unit-tested here; this module owns
//! no template text and no rows.

use std::path::{Path, PathBuf};

use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior, Value};

use super::numfmt;

/// The environment reel evaluates expressions in: builtins plus reel's filters, no autoescape.
///
/// Undefined behaviour is minijinja's `SemiStrict`: printing, iterating, reading an attribute of,
/// or passing an undefined value to a filter is an error, but testing it for truth
/// (`{% if missing %}`) is allowed, as DESIGN §2.4 asks ("except under `default(…)` or `if`").
/// `Strict` would also fail `if missing`.
pub fn environment() -> Environment<'static> {
    build(None)
}

/// Like [`environment`], but `file_exists` resolves relative paths against `dir` (the
/// template's folder, where its media paths are relative to) instead of the current directory.
pub fn environment_relative_to(dir: &Path) -> Environment<'static> {
    build(Some(dir.to_path_buf()))
}

fn build(base: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.add_filter("slug", |s: &str| slug(s));
    env.add_filter("seconds", |v: Value| seconds_value(&v));
    env.add_filter("basename", |s: &str| basename(s).to_string());
    // Keyword arguments are read first (minijinja strips a trailing `Kwargs`), so
    // `money("CHF", locale="fr")` and `number(decimals=2)` work as well as positional ones.
    env.add_filter(
        "money",
        |v: Value,
         currency: Option<&str>,
         decimals: Option<Value>,
         locale: Option<&str>,
         kw: Kwargs| {
            let currency = keyword("money", &kw, "currency", currency)?;
            let decimals = keyword("money", &kw, "decimals", decimals)?;
            let locale = keyword("money", &kw, "locale", locale)?;
            kw.assert_all_used()?;
            let currency = currency.ok_or_else(|| {
                invalid("money: needs a currency, as in money(\"EUR\")".to_string())
            })?;
            money_value(&v, currency, decimals.as_ref(), locale)
        },
    );
    env.add_filter(
        "number",
        |v: Value, decimals: Option<Value>, locale: Option<&str>, kw: Kwargs| {
            let decimals = keyword("number", &kw, "decimals", decimals)?;
            let locale = keyword("number", &kw, "locale", locale)?;
            kw.assert_all_used()?;
            number_value(&v, decimals.as_ref(), locale)
        },
    );
    let base2 = base.clone();
    env.add_filter("file_exists", move |s: &str| {
        file_exists_in(base.as_deref(), s)
    });
    env.add_function("file_exists", move |s: &str| {
        file_exists_in(base2.as_deref(), s)
    });
    env
}

/// Whether the asset field `key` of an asset of type `asset` holds markup (HTML, CSS, script or
/// SVG), where values from expressions and data are escaped by default: `html`, `css` and `js`
/// of `html`/`html5` assets, and `src` of `svg` assets.
pub fn is_markup_field(asset: &str, key: &str) -> bool {
    match asset {
        "html" | "html5" => matches!(key, "html" | "css" | "js"),
        "svg" => key == "src",
        _ => false,
    }
}

/// Escapes text for HTML and XML (text and quoted attribute values): `&`, `<`, `>`, `"` and `'`
/// become character references, so data shows as text and cannot open a tag or attribute.
pub fn escape_markup(s: &str) -> String {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A URL- and filename-safe slug: ASCII lowercase letters and digits joined by single `-`.
///
/// Accents are folded (`é` → `e`), a few letters are spelled out (`ß` → `ss`, `æ` → `ae`),
/// apostrophes vanish (`O'Brien` → `obrien`), and letters with no ASCII form are dropped.
pub fn slug(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(s.len());
    let mut pending_dash = false;
    for c in s.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) || matches!(c, '\'' | '’' | '`') {
            continue;
        }
        if let Some(spelled) = fold_letter(c) {
            for p in spelled.chars() {
                push_slug_char(&mut out, &mut pending_dash, p);
            }
        } else if c.is_ascii_alphanumeric() {
            push_slug_char(&mut out, &mut pending_dash, c.to_ascii_lowercase());
        } else if !c.is_alphanumeric() {
            pending_dash = true;
        }
        // Any other letter (no ASCII form) is dropped.
    }
    out
}

fn push_slug_char(out: &mut String, pending_dash: &mut bool, c: char) {
    if *pending_dash && !out.is_empty() {
        out.push('-');
    }
    *pending_dash = false;
    out.push(c);
}

/// Letters that do not decompose into ASCII plus marks.
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// `seconds` over a minijinja value: numbers pass through, strings are parsed.
fn seconds_value(v: &Value) -> Result<f64, Error> {
    if v.is_number() {
        let n = f64::try_from(v.clone())?;
        return if n.is_finite() {
            Ok(n)
        } else {
            Err(invalid(format!("seconds: {n} is not a duration")))
        };
    }
    match v.as_str() {
        Some(s) => parse_seconds(s).map_err(invalid),
        None => Err(invalid(format!(
            "seconds: expected a number or a string like \"1:30\", got {}",
            v.kind()
        ))),
    }
}

/// Parses a duration to seconds: `"90"`, `"1.5"`, `"1:30"`, `"01:02:03"`, `"90s"`, `"1.5m"`,
/// `"500ms"`, `"2h"` and sums of those (`"1m30s"`).
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let bad = || {
        format!(
            "seconds: cannot read {text:?} as a duration \
             (write it like \"1:30\", \"01:02:03\", \"90s\", \"1.5m\" or \"500ms\")"
        )
    };
    if s.is_empty() {
        return Err(bad());
    }
    if s.contains(':') {
        return parse_clock(s).ok_or_else(bad)?;
    }
    if let Ok(n) = s.parse::<f64>() {
        return if n.is_finite() && !s.starts_with('+') {
            Ok(n)
        } else {
            Err(bad())
        };
    }
    parse_units(s).ok_or_else(bad)
}

/// `[[h:]m:]s[.frac]`; `None` when malformed, `Some(Err)` when a part is out of range.
fn parse_clock(s: &str) -> Option<Result<f64, String>> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return None;
    }
    let (last, init) = parts.split_last()?;
    let secs = unsigned_number(last)?;
    let mut total = 0.0;
    for p in init {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        total = total * 60.0 + p.parse::<f64>().ok()?;
    }
    if secs >= 60.0 {
        return Some(Err(format!(
            "seconds: in {s:?} the seconds part must be under 60"
        )));
    }
    if parts.len() == 3 && parts[1].parse::<f64>().ok()? >= 60.0 {
        return Some(Err(format!(
            "seconds: in {s:?} the minutes part must be under 60"
        )));
    }
    Some(Ok(total * 60.0 + secs))
}

/// Digits with an optional fraction, no sign or exponent.
fn unsigned_number(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
        && s.bytes().any(|b| b.is_ascii_digit());
    if ok { s.parse().ok() } else { None }
}

/// A sum of `<number><unit>` terms: `h`, `m`, `s`, `ms` (spaces allowed between terms).
fn parse_units(s: &str) -> Option<f64> {
    let mut rest = s;
    let mut total = 0.0;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n = unsigned_number(&rest[..n_end])?;
        rest = rest[n_end..].trim_start();
        let u_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let scale = match &rest[..u_end] {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = rest[u_end..].trim_start();
    }
    Some(total)
}

/// The last path segment of a path or URL (`"media/intro.mp4"` → `"intro.mp4"`); a URL's query
/// and fragment are dropped first, and so are trailing slashes.
pub fn basename(path: &str) -> &str {
    let mut p = path;
    if p.contains("://") {
        p = p.split(['?', '#']).next().unwrap_or(p);
    }
    let p = p.trim_end_matches(['/', '\\']);
    p.rsplit(['/', '\\']).next().unwrap_or(p)
}

/// `money` over a minijinja value: numbers, or strings holding a number. Without decimals
/// and locale it keeps its original form (`€1,234.50`, `1,234.50 XYZ`).
fn money_value(
    v: &Value,
    currency: &str,
    decimals: Option<&Value>,
    locale: Option<&str>,
) -> Result<String, Error> {
    let amount = amount_of("money", v)?;
    let decimals = decimals_of("money", decimals)?;
    match (decimals, locale) {
        (None, None) => Ok(money(amount, currency)),
        (d, l) => Ok(numfmt::money(amount, currency, d, locale_of("money", l)?)),
    }
}

/// `number(decimals, locale)`: thousands separators in the locale's style (`en` by default).
fn number_value(
    v: &Value,
    decimals: Option<&Value>,
    locale: Option<&str>,
) -> Result<String, Error> {
    let amount = amount_of("number", v)?;
    let decimals = decimals_of("number", decimals)?;
    Ok(numfmt::number(
        amount,
        decimals,
        locale_of("number", locale)?,
    ))
}

/// The number in `v` (a number, or text holding one as `1234.5`).
fn amount_of(filter: &str, v: &Value) -> Result<f64, Error> {
    let amount = if v.is_number() {
        f64::try_from(v.clone())?
    } else if let Some(s) = v.as_str() {
        s.trim().parse::<f64>().map_err(|_| {
            invalid(format!(
                "{filter}: {s:?} is not a number (write it like 1234.5, without separators)"
            ))
        })?
    } else {
        return Err(invalid(format!(
            "{filter}: expected a number, got {}",
            v.kind()
        )));
    };
    if !amount.is_finite() {
        return Err(invalid(format!("{filter}: {amount} is not a number")));
    }
    Ok(amount)
}

/// The `decimals` argument: none, or a whole number from 0 to 12.
/// A filter argument given by position or by name (`locale="fr"`), not both.
fn keyword<'a, T>(
    filter: &str,
    kw: &'a Kwargs,
    name: &'a str,
    positional: Option<T>,
) -> Result<Option<T>, Error>
where
    T: minijinja::value::ArgType<'a, Output = T>,
{
    let named: Option<T> = kw.get(name)?;
    match (positional, named) {
        (Some(_), Some(_)) => Err(invalid(format!(
            "{filter}: `{name}` is given twice, by position and by name"
        ))),
        (p, n) => Ok(p.or(n)),
    }
}

fn decimals_of(filter: &str, v: Option<&Value>) -> Result<Option<usize>, Error> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() || v.is_undefined() => Ok(None),
        Some(v) => match i64::try_from(v.clone()) {
            Ok(d @ 0..=12) => Ok(Some(d as usize)),
            _ => Err(invalid(format!(
                "{filter}: decimals must be a whole number from 0 to 12, got {v}"
            ))),
        },
    }
}

fn locale_of(filter: &str, tag: Option<&str>) -> Result<numfmt::Locale, Error> {
    let tag = tag.unwrap_or("en");
    numfmt::locale(tag).ok_or_else(|| {
        invalid(format!(
            "{filter}: unknown locale {tag:?} (known: {})",
            numfmt::LOCALES
        ))
    })
}

/// Formats an amount with thousands separators and the currency's symbol:
/// `money(1234.5, "EUR")` → `"€1,234.50"`. `JPY` and `KRW` have no decimals; an unknown code
/// follows the number (`"1,234.50 XYZ"`).
pub fn money(amount: f64, currency: &str) -> String {
    let code = currency.trim().to_ascii_uppercase();
    let (symbol, decimals) = match code.as_str() {
        "USD" => (Some("$"), 2),
        "EUR" => (Some("€"), 2),
        "GBP" => (Some("£"), 2),
        "JPY" => (Some("¥"), 0),
        "KRW" => (Some("₩"), 0),
        "INR" => (Some("₹"), 2),
        _ => (None, 2),
    };
    // Round half away from zero, as people do with money (`format!` rounds half to even).
    let scale = 10f64.powi(decimals as i32);
    let fixed = format!("{:.*}", decimals, (amount.abs() * scale).round() / scale);
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut grouped = String::with_capacity(fixed.len() + fixed.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if !frac.is_empty() {
        grouped.push('.');
        grouped.push_str(frac);
    }
    let is_zero = fixed.bytes().all(|b| b == b'0' || b == b'.');
    let sign = if amount < 0.0 && !is_zero { "-" } else { "" };
    match symbol {
        Some(sym) => format!("{sign}{sym}{grouped}"),
        None => format!("{sign}{grouped} {code}"),
    }
}

/// Whether a local file exists (relative paths are resolved against the current directory;
/// see [`environment_relative_to`]). This is the one filter that does IO: it reads the file
/// system when evaluated.
pub fn file_exists(path: &str) -> bool {
    file_exists_in(None, path)
}

/// [`file_exists`] with relative paths resolved against `base` when given.
fn file_exists_in(base: Option<&Path>, path: &str) -> bool {
    if path.is_empty() {
        return false;
    }
    match base {
        Some(dir) => dir.join(path).is_file(),
        None => Path::new(path).is_file(),
    }
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_escaping_table() {
        let cases = [
            ("plain", "plain"),
            ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
            ("a & b", "a &amp; b"),
            ("\"q\" 'q'", "&quot;q&quot; &#39;q&#39;"),
            ("&amp;", "&amp;amp;"),
            ("é→", "é→"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_markup(input), want, "{input}");
        }
        assert!(is_markup_field("html", "css") && is_markup_field("html5", "js"));
        assert!(is_markup_field("svg", "src") && !is_markup_field("image", "src"));
        assert!(!is_markup_field("html", "width"));
    }

    fn render(src: &str, ctx: Value) -> Result<String, String> {
        environment()
            .render_str(src, ctx)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn slug_table() {
        let cases = [
            ("Zoë O'Brien", "zoe-obrien"),
            ("  Hello,   World!  ", "hello-world"),
            ("Straße Æsir", "strasse-aesir"),
            ("Ça va? 100%", "ca-va-100"),
            ("Łódź — Øresund", "lodz-oresund"),
            ("already-a-slug", "already-a-slug"),
            ("北京 2024", "2024"),
            ("", ""),
            ("--", ""),
            ("ﬁle №5", "file-no5"),
        ];
        for (input, want) in cases {
            assert_eq!(slug(input), want, "slug({input:?})");
        }
    }

    #[test]
    fn seconds_table() {
        let ok: [(&str, f64); 14] = [
            ("90", 90.0),
            ("1.5", 1.5),
            ("1:30", 90.0),
            ("01:02:03", 3723.0),
            ("0:02.5", 2.5),
            ("90s", 90.0),
            ("1.5m", 90.0),
            ("500ms", 0.5),
            ("2h", 7200.0),
            ("1m30s", 90.0),
            ("1m 30s", 90.0),
            (" 45s ", 45.0),
            ("-2", -2.0),
            ("10 sec", 10.0),
        ];
        for (input, want) in ok {
            assert_eq!(parse_seconds(input), Ok(want), "seconds({input:?})");
        }
        for bad in [
            "",
            "abc",
            "1:75",
            "1:60:00",
            "1::2",
            "5 parsecs",
            "1:2:3:4",
            "inf",
            "1e9999",
        ] {
            let e = parse_seconds(bad).unwrap_err();
            assert!(e.starts_with("seconds: "), "{bad:?} → {e}");
        }
        assert!(parse_seconds("1:75").unwrap_err().contains("under 60"));
    }

    #[test]
    fn seconds_filter_takes_numbers_and_strings() {
        let ctx = minijinja::context! { a => 12, b => "1:30", c => 2.5 };
        assert_eq!(
            render("{{ a|seconds }} {{ b|seconds }} {{ c|seconds }}", ctx),
            Ok("12.0 90.0 2.5".into())
        );
        let e = render("{{ 'soon'|seconds }}", Value::UNDEFINED).unwrap_err();
        assert!(e.contains("cannot read \"soon\" as a duration"), "{e}");
    }

    #[test]
    fn basename_table() {
        let cases = [
            ("media/intro.mp4", "intro.mp4"),
            ("intro.mp4", "intro.mp4"),
            ("C:\\clips\\a b.mov", "a b.mov"),
            ("https://cdn.example.com/v/clip.mp4?sig=1#t=2", "clip.mp4"),
            ("dir/sub/", "sub"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(basename(input), want, "basename({input:?})");
        }
    }

    #[test]
    fn money_table() {
        let cases = [
            (1234.5, "EUR", "€1,234.50"),
            (1234.5, "usd", "$1,234.50"),
            (0.5, "GBP", "£0.50"),
            (1234.5, "JPY", "¥1,235"),
            (1234567.891, "USD", "$1,234,567.89"),
            (-42.0, "USD", "-$42.00"),
            (-0.001, "USD", "$0.00"),
            (999.999, "USD", "$1,000.00"),
            (1234.5, "XYZ", "1,234.50 XYZ"),
            (12.0, "INR", "₹12.00"),
        ];
        for (amount, code, want) in cases {
            assert_eq!(money(amount, code), want, "money({amount}, {code})");
        }
    }

    #[test]
    fn money_filter_reads_numeric_strings() {
        let ctx = minijinja::context! { price => "1234.5", n => 7 };
        assert_eq!(
            render("{{ price|money('EUR') }} {{ n|money('USD') }}", ctx),
            Ok("€1,234.50 $7.00".into())
        );
        let e = render("{{ 'cheap'|money('USD') }}", Value::UNDEFINED).unwrap_err();
        assert!(e.contains("money: \"cheap\" is not a number"), "{e}");
    }

    #[test]
    fn number_and_money_take_keyword_arguments() {
        let nb = '\u{a0}';
        let ctx = minijinja::context! { p => 1234.5, big => 3890000 };
        assert_eq!(
            render(
                "{{ p|money('EUR', locale='fr') }}|{{ big|money(currency='CHF', decimals=0, locale='de-CH') }}|{{ p|number(decimals=1, locale='de') }}|{{ p|number(2, locale='en') }}",
                ctx.clone()
            ),
            Ok(format!(
                "1\u{202f}234,50{nb}€|CHF{nb}3’890’000|1.234,5|1,234.50"
            ))
        );
        let e = render("{{ p|money('EUR', currency='USD') }}", ctx.clone()).unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        let e = render("{{ p|number(places=2) }}", ctx.clone()).unwrap_err();
        assert!(e.contains("places"), "{e}");
        let e = render("{{ p|money(locale='fr') }}", ctx).unwrap_err();
        assert!(e.contains("needs a currency"), "{e}");
    }

    #[test]
    fn file_exists_as_filter_and_function() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.png");
        std::fs::write(&f, b"x").unwrap();
        let ctx = minijinja::context! { p => f.to_str().unwrap(), q => "/no/such/file.png" };
        assert_eq!(
            render(
                "{{ p|file_exists }} {{ file_exists(q) }} {{ file_exists('') }}",
                ctx
            ),
            Ok("True False False".into())
        );
    }

    #[test]
    fn file_exists_relative_to_the_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("logo.png"), b"x").unwrap();
        let env = environment_relative_to(dir.path());
        let out = env.render_str(
            "{{ 'logo.png'|file_exists }} {{ file_exists('nope.png') }}",
            Value::UNDEFINED,
        );
        assert_eq!(out.map_err(|e| e.to_string()), Ok("True False".into()));
    }

    #[test]
    fn builtins_are_there() {
        let ctx = minijinja::context! { name => "jane doe", tags => "a,b,c", x => 2.567 };
        assert_eq!(
            render(
                "{{ name|upper }}|{{ name|title }}|{{ tags|split(',')|join('+') }}|\
                 {{ x|round(1) }}|{{ name|replace('jane', 'j.') }}|{{ tags|length }}|\
                 {{ missing|default('d') }}",
                ctx
            ),
            Ok("JANE DOE|Jane Doe|a+b+c|2.6|j. doe|5|d".into())
        );
    }

    #[test]
    fn undefined_is_an_error_except_when_tested_or_defaulted() {
        let e = render("{{ missing }}", Value::UNDEFINED).unwrap_err();
        assert!(e.contains("undefined"), "{e}");
        assert!(render("{{ missing|upper }}", Value::UNDEFINED).is_err());
        assert_eq!(
            render("{% if missing %}y{% else %}n{% endif %}", Value::UNDEFINED),
            Ok("n".into())
        );
        assert_eq!(
            render("{{ 'y' if missing is defined else 'n' }}", Value::UNDEFINED),
            Ok("n".into())
        );
    }

    #[test]
    fn no_autoescape() {
        let ctx = minijinja::context! { h => "<b>&\"x\"</b>" };
        assert_eq!(render("{{ h }}", ctx), Ok("<b>&\"x\"</b>".into()));
    }
}
