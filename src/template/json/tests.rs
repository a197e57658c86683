//! Unit tests of the spanned JSON parser: values equal serde_json's, spans by pointer, and the
//! message of each syntax error.

use super::*;

fn parse(text: &str) -> Result<(Value, Origins), Diagnostic> {
    parse_spanned(text, FileId(0)).map_err(|mut ds| ds.remove(0))
}

#[test]
fn values_equal_serde_json() {
    let cases = [
        r#"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
        r#"[0, -0, 1.5, -2.25e3, 1E-7, 18446744073709551615, 18446744073709551616, -9223372036854775808]"#,
        r#"["\"\\\/\b\f\n\r\t", "\u00e9\u4e2d\ud83d\ude00", "plain é 中"]"#,
        r#"{"z": 1, "a": 2, "m": {"y": [], "b": {}}}"#,
        "  \n\t\r 42 \n",
        r#"0.1"#,
        r#"123456789012345678901234567890"#,
        r#"2.2250738585072011e-308"#,
    ];
    for text in cases {
        let (value, _) = parse(text).unwrap_or_else(|d| panic!("{text}: {d}"));
        let want: Value = serde_json::from_str(text).unwrap();
        assert_eq!(value, want, "{text}");
        // Same key order and number representation, not only equality.
        assert_eq!(value.to_string(), want.to_string(), "{text}");
    }
}

#[test]
fn spans_by_pointer() {
    let text =
        r#"{"timeline": {"tracks": [{"clips": [1, {"asset": {"src": "a.mp4"}}]}]}, "a/b~c": "x"}"#;
    let (_, origins) = parse(text).unwrap();
    let at = |p: &str| &text[origins.get(p).unwrap_or_else(|| panic!("{p}")).span.range()];
    assert_eq!(at(""), text);
    assert_eq!(at("/timeline/tracks/0/clips/0"), "1");
    assert_eq!(at("/timeline/tracks/0/clips/1/asset/src"), "\"a.mp4\"");
    assert_eq!(
        at("/timeline/tracks/0/clips/1"),
        r#"{"asset": {"src": "a.mp4"}}"#
    );
    assert_eq!(at("/a~1b~0c"), "\"x\"");
    assert_eq!(origins.len(), 10);
}

#[test]
fn leading_bom_is_skipped() {
    let (value, origins) = parse("\u{feff}{\"a\": 1}").unwrap();
    assert_eq!(value, serde_json::json!({"a": 1}));
    assert_eq!(origins.get("/a").unwrap().span.range(), 9..10);
}

#[test]
fn syntax_errors_have_plain_messages_and_spans() {
    // (input, message, primary label's text)
    let cases = [
        ("{\"a\": 1,}", "trailing comma", ","),
        ("[1, 2,]", "trailing comma", ","),
        (
            "{\"a\": 1 \"b\": 2}",
            "expected `,` or `}` after this value",
            "1",
        ),
        ("[1 2]", "expected `,` or `]` after this value", "1"),
        ("{\"a\" 1}", "expected `:` after the key `a`", "\"a\""),
        (
            "{a: 1}",
            "object keys must be strings in double quotes",
            "a",
        ),
        (
            "{'a': 1}",
            "object keys must be strings in double quotes",
            "'a'",
        ),
        (
            "{\"a\": 1",
            "unexpected end of file: this object is never closed",
            "{",
        ),
        (
            "[1, [2]",
            "unexpected end of file: this array is never closed",
            "[",
        ),
        ("\"abc", "unexpected end of file: unclosed string", "\""),
        ("", "unexpected end of file: expected a value", ""),
        ("[True]", "expected a value, found `True`", "True"),
        ("[NaN]", "expected a value, found `NaN`", "NaN"),
        ("[.5]", "expected a value, found `.5`", ".5"),
        ("[01]", "numbers cannot start with a leading zero", "01"),
        ("[1.]", "malformed number: expected a digit after `.`", "1."),
        ("[-]", "malformed number: expected a digit after `-`", "-"),
        ("[1e400]", "number out of range", "1e400"),
        ("\"a\\qb\"", "unknown escape in a string", "\\q"),
        (
            "\"\\ud83d\"",
            "invalid `\\u` escape: a lone UTF-16 surrogate",
            "\\ud83d",
        ),
        (
            "\"\\u12\"",
            "`\\u` must be followed by four hex digits",
            "\\u",
        ),
        ("\"a\nb\"", "a string cannot span lines", "\""),
        ("\"a\tb\"", "control character U+0009 in a string", "\t"),
        ("{} {}", "unexpected text after the JSON value", "{"),
        (
            "{\"a\": 1, \"a\": 2}",
            "duplicate key `a` in one object",
            "\"a\"",
        ),
        ("// c\n{}", "JSON does not allow comments", "//"),
        ("[1, /* c */ 2]", "JSON does not allow comments", "/*"),
    ];
    for (text, message, label) in cases {
        let d = parse(text)
            .err()
            .unwrap_or_else(|| panic!("{text:?} parsed"));
        assert_eq!(d.message, message, "{text:?}");
        let span = d.span().unwrap_or_else(|| panic!("{text:?}: no span"));
        assert_eq!(&text[span.range()], label, "{text:?}");
    }
}

#[test]
fn duplicate_key_names_both_places() {
    let text = "{\"a\": 1, \"b\": 2, \"a\": 3}";
    let d = parse(text).unwrap_err();
    assert_eq!(d.labels.len(), 2);
    assert_eq!(d.labels[1].span.range(), 1..4);
    assert_eq!(d.labels[0].span.range(), 17..20);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    let d = parse(&deep).unwrap_err();
    assert!(d.message.contains("nested too deeply"), "{}", d.message);
    let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert!(parse(&ok).is_ok());
}

#[test]
fn never_panics_on_prefixes_of_a_document() {
    let text = r#"{"a": [1, -2.5e3, "x\u00e9\n", {"b": null}], "c": true, "é": "中"}"#;
    for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
        let _ = parse(&text[..end]);
    }
}

#[test]
fn spans_carry_the_base_offset() {
    let mut p = Parser::new("{\"k\": [1]}", FileId(3), 100);
    let mut rec = Recorder::new(1);
    p.document(&mut rec).unwrap();
    let o = rec.origins.get("/k").unwrap();
    assert_eq!(o.span.range(), 106..109);
    assert_eq!(o.span.file, FileId(3));
    assert!(rec.origins.get("/k/0").is_none(), "deeper than max_depth");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value (keys from a small alphabet so duplicates and escapes both occur).
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-zé\"\\\\/\n\t\u{0}\u{1F600} {}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-c/~é]{0,3}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Serialised values (compact and pretty) parse back identically, with a span for
        /// every value that holds exactly that value's text.
        #[test]
        fn round_trips_with_spans(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            let (parsed, origins) = parse(&text).map_err(|d| TestCaseError::fail(d.message))?;
            prop_assert_eq!(&parsed, &serde_json::from_str::<Value>(&text).unwrap());
            check_spans(&parsed, "", &origins, &text)?;
        }

        /// On arbitrary text the parser never panics and agrees with serde_json on what is
        /// JSON (except duplicate keys, which are errors here by design).
        #[test]
        fn agrees_with_serde_json_on_any_text(text in "[\\[\\]{}\":,0-9a-z.eE+\\- \\\\\t\n\u{feff}é]{0,32}") {
            let ours = parse(&text);
            match (ours, serde_json::from_str::<Value>(&text)) {
                (Ok((v, _)), Ok(w)) => prop_assert_eq!(v, w),
                (Err(_), Err(_)) => {}
                (Ok(_), Err(e)) => prop_assert!(text.starts_with('\u{feff}'), "accepted {:?}; serde_json: {}", text, e),
                (Err(d), Ok(_)) => prop_assert!(d.message.starts_with("duplicate key"), "rejected {:?}: {}", text, d.message),
            }
        }
    }

    fn check_spans(
        v: &Value,
        ptr: &str,
        origins: &Origins,
        text: &str,
    ) -> Result<(), TestCaseError> {
        let o = origins
            .get(ptr)
            .ok_or_else(|| TestCaseError::fail(format!("no span for {ptr:?}")))?;
        let slice = &text[o.span.range()];
        prop_assert_eq!(&serde_json::from_str::<Value>(slice).unwrap(), v, "{}", ptr);
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_spans(item, &format!("{ptr}/{i}"), origins, text)?;
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    check_spans(
                        item,
                        &format!("{ptr}/{}", pointer_segment(k)),
                        origins,
                        text,
                    )?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
