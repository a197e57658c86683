//! Which rows a batch renders: `--rows 1-10,42` (1-based, as a spreadsheet counts) and
//! `--shard K/N` (0-based rows where `index % N == K`).
//!
//! Pure parsing and membership tests; the errors are plain messages the CLI turns into usage
//! errors (exit 2).

use std::fmt;

/// A `--rows` list: inclusive 1-based ranges, kept sorted and merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSet {
    /// Inclusive ranges of 1-based row numbers, sorted, non-overlapping.
    ranges: Vec<(usize, usize)>,
}

/// A `--shard K/N`: this worker renders rows whose 0-based index is `K` modulo `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This worker's number, `0..count`.
    pub index: usize,
    /// How many workers share the rows.
    pub count: usize,
}

/// The rows a batch renders: the intersection of `--rows` and `--shard`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--rows`, or every row.
    pub rows: Option<RowSet>,
    /// `--shard`, or no sharding.
    pub shard: Option<Shard>,
}

impl RowSet {
    /// Parses `1-10,42,50-` style lists. An open end (`50-`) means "to the last row".
    pub fn parse(text: &str) -> Result<RowSet, String> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(format!("empty item in row list `{text}`"));
            }
            ranges.push(parse_range(part)?);
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Ok(RowSet { ranges: merged })
    }

    /// Whether the 1-based row `number` is listed.
    pub fn contains(&self, number: usize) -> bool {
        let i = self.ranges.partition_point(|&(_, end)| end < number);
        self.ranges
            .get(i)
            .is_some_and(|&(start, _)| start <= number)
    }

    /// The largest listed row number (`usize::MAX` for an open end).
    pub fn last(&self) -> usize {
        self.ranges.last().map_or(0, |r| r.1)
    }
}

fn parse_range(part: &str) -> Result<(usize, usize), String> {
    let number = |s: &str| -> Result<usize, String> {
        let s = s.trim();
        match s.parse::<usize>() {
            Ok(0) => Err(format!(
                "row numbers start at 1 (as in a spreadsheet), found `{part}`"
            )),
            Ok(n) => Ok(n),
            Err(_) => Err(format!(
                "`{part}` is not a row number or range (expected e.g. `1-10,42`)"
            )),
        }
    };
    let (start, end) = match part.split_once('-') {
        None => {
            let n = number(part)?;
            (n, n)
        }
        Some((a, "")) => (number(a)?, usize::MAX),
        Some((a, b)) => (number(a)?, number(b)?),
    };
    if start > end {
        return Err(format!(
            "range `{part}` runs backwards (write `{end}-{start}`)"
        ));
    }
    Ok((start, end))
}

impl Shard {
    /// Parses `K/N` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: expected `K/N` with 0 <= K < N, e.g. `0/4`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the 0-based row `index` belongs to this shard.
    pub fn contains(&self, index: usize) -> bool {
        index % self.count == self.index
    }

    /// `K-of-N`, used in per-shard file names (`summary-0-of-4.json`).
    pub fn tag(&self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Selection {
    /// Whether the row with this 0-based index is selected.
    pub fn contains(&self, index: usize) -> bool {
        self.rows.as_ref().is_none_or(|r| r.contains(index + 1))
            && self.shard.is_none_or(|s| s.contains(index))
    }

    /// Whether no row at or after this 0-based index can be selected (stop reading early).
    pub fn exhausted(&self, index: usize) -> bool {
        self.rows.as_ref().is_some_and(|r| index + 1 > r.last())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_lists_are_one_based_merged_and_sorted() {
        let set = RowSet::parse("42, 1-10,5-12").unwrap();
        assert_eq!(set.ranges, vec![(1, 12), (42, 42)]);
        assert!(set.contains(1) && set.contains(12) && set.contains(42));
        assert!(!set.contains(0) && !set.contains(13) && !set.contains(43));
        assert_eq!(set.last(), 42);
        let open = RowSet::parse("50-").unwrap();
        assert!(open.contains(50) && open.contains(1_000_000) && !open.contains(49));
    }

    #[test]
    fn row_list_errors_say_what_is_wrong() {
        let cases = [
            ("", "empty item"),
            ("1,,2", "empty item"),
            ("0", "start at 1"),
            ("0-3", "start at 1"),
            ("abc", "`abc` is not a row number"),
            ("1-x", "`1-x` is not a row number"),
            ("10-2", "runs backwards (write `2-10`)"),
            ("-3", "`-3` is not a row number"),
        ];
        for (input, want) in cases {
            let err = RowSet::parse(input).unwrap_err();
            assert!(err.contains(want), "{input:?}: {err}");
        }
    }

    #[test]
    fn shards_partition_the_rows() {
        let shards: Vec<Shard> = (0..3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for index in 0..100 {
            let owners = shards.iter().filter(|s| s.contains(index)).count();
            assert_eq!(owners, 1, "row index {index}");
        }
        assert!(shards[1].contains(4) && !shards[1].contains(3));
        assert_eq!(shards[2].tag(), "2-of-3");
        for bad in ["3/3", "1/0", "a/2", "1", "-1/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn selection_intersects_rows_and_shard() {
        let sel = Selection {
            rows: Some(RowSet::parse("1-6").unwrap()),
            shard: Some(Shard::parse("1/2").unwrap()),
        };
        let picked: Vec<usize> = (0..10).filter(|&i| sel.contains(i)).collect();
        assert_eq!(picked, vec![1, 3, 5]);
        assert!(sel.exhausted(6) && !sel.exhausted(5));
        assert!(!Selection::default().exhausted(usize::MAX - 1));
        assert!(Selection::default().contains(123));
    }
}
