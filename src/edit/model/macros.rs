//! `str_enum!`: string enums spelled exactly as in the schema.

/// Declares a `Copy` enum that (de)serialises as the given strings, with `ALL` (every spelling,
/// schema order), `as_str()` and `Display`.
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $s, "`")]
                #[serde(rename = $s)]
                $variant,
            )+
        }

        impl $name {
            /// Every value as written in JSON, in schema order.
            pub const ALL: &'static [&'static str] = &[$($s),+];

            /// The JSON spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $s,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
