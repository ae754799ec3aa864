//! Byte-level view of the source text: line starts, position conversion and
//! the small scanners the document layer needs to repair parser spans.

/// Line starts of a source text (or of a part of it), in bytes. Line 1
/// starts after a UTF-8 BOM because the parser does not count the BOM as a
/// column.
#[derive(Debug)]
pub(crate) struct Lines {
    starts: Vec<u32>,
    ascii: bool,
}

pub(crate) const BOM: &str = "\u{feff}";

impl Lines {
    pub(crate) fn new(src: &str) -> Lines {
        let first = if src.starts_with(BOM) { BOM.len() } else { 0 };
        Lines::of_range(src, first, src.len())
    }

    /// The lines of `src[start..end]` (`start` at a line start), numbered
    /// from 1 at `start`, with offsets into the whole of `src`.
    pub(crate) fn of_range(src: &str, start: usize, end: usize) -> Lines {
        let part = &src[start..end];
        let mut starts = Vec::with_capacity(part.len() / 24 + 2);
        starts.push(start as u32);
        let mut pos = 0;
        while let Some(i) = part[pos..].find('\n') {
            pos += i + 1;
            starts.push((start + pos) as u32);
        }
        Lines {
            starts,
            ascii: part.is_ascii(),
        }
    }

    /// Byte offset of a parser position (1-based line, 0-based column in chars).
    pub(crate) fn offset(&self, src: &str, line: usize, col: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return src.len();
        };
        let start = start as usize;
        if self.ascii {
            return (start + col).min(src.len());
        }
        match src[start..].char_indices().nth(col) {
            Some((i, _)) => start + i,
            None => src.len(),
        }
    }

    /// 1-based line and column (in chars) of a byte offset.
    pub(crate) fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self
            .starts
            .partition_point(|&s| s as usize <= offset)
            .max(1);
        let start = self.starts[line - 1] as usize;
        let col = src
            .get(start..offset.min(src.len()))
            .map_or(0, |s| s.chars().count());
        (line, col + 1)
    }

    pub(crate) fn count(&self) -> usize {
        self.starts.len()
    }
}

/// Start of the line holding `pos`.
pub(crate) fn line_start(src: &str, pos: usize) -> usize {
    memrchr_nl(&src.as_bytes()[..pos]).map_or(0, |i| i + 1)
}

/// Position of the line break ending the line holding `pos` (`\r` of a CRLF),
/// or the end of the text.
pub(crate) fn line_end(src: &str, pos: usize) -> usize {
    let bytes = src.as_bytes();
    let nl = memchr_nl(&bytes[pos..]).map_or(bytes.len(), |i| pos + i);
    if nl > pos && nl < bytes.len() && bytes[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

/// `end` moved back over one line break (`\n` or `\r\n`) that ends just
/// before it, if any.
pub(crate) fn before_line_break(src: &str, end: usize) -> usize {
    let bytes = &src.as_bytes()[..end];
    if bytes.ends_with(b"\r\n") {
        end - 2
    } else if bytes.ends_with(b"\n") {
        end - 1
    } else {
        end
    }
}

/// Start of the line after the one holding `pos`, or the end of the text.
pub(crate) fn next_line_start(src: &str, pos: usize) -> usize {
    memchr_nl(&src.as_bytes()[pos..]).map_or(src.len(), |i| pos + i + 1)
}

/// Position of the first `\n` in `bytes`, a word at a time (the scans
/// run over whole inputs).
pub(crate) fn memchr_nl(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let found = newline_bits(u64::from_le_bytes(word_at(bytes, i)));
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| b == b'\n').map(|j| i + j)
}

/// Position of the last `\n` in `bytes`.
pub(crate) fn memrchr_nl(bytes: &[u8]) -> Option<usize> {
    let mut end = bytes.len();
    while end >= 8 {
        // Big-endian: the last byte in memory is the lowest.
        let found = newline_bits(u64::from_be_bytes(word_at(bytes, end - 8)));
        if found != 0 {
            return Some(end - 1 - (found.trailing_zeros() / 8) as usize);
        }
        end -= 8;
    }
    bytes[..end].iter().rposition(|&b| b == b'\n')
}

fn word_at(bytes: &[u8], i: usize) -> [u8; 8] {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[i..i + 8]);
    word
}

/// The high bit of each byte of `word` that is `\n`; exact for the lowest
/// such byte (borrows only run towards higher bytes).
fn newline_bits(word: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (LO * u64::from(b'\n'));
    x.wrapping_sub(LO) & !x & HI
}

/// Number of leading spaces of the line starting at `start`.
pub(crate) fn indent_of(src: &str, start: usize) -> usize {
    src.as_bytes()[start..]
        .iter()
        .take_while(|&&b| b == b' ')
        .count()
}

/// What a whole line holds, ignoring its indentation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineKind {
    Blank,
    Comment,
    Content,
}

pub(crate) fn line_kind(src: &str, start: usize) -> LineKind {
    let end = line_end(src, start);
    match src[start..end]
        .trim_start_matches([' ', '\t'])
        .as_bytes()
        .first()
    {
        None => LineKind::Blank,
        Some(b'#') => LineKind::Comment,
        Some(_) => LineKind::Content,
    }
}

/// Skips spaces, tabs, line breaks and comments from `pos`; returns the first
/// other position.
pub(crate) fn skip_space_and_comments(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => pos = next_line_start(src, pos),
            _ => break,
        }
    }
    pos
}

/// Skips spaces and tabs only.
pub(crate) fn skip_blanks(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t') {
        pos += 1;
    }
    pos
}

/// Skips node properties (`&anchor`, `!tag`) and the space after them.
pub(crate) fn skip_properties(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b'&' | b'!') {
        while pos < bytes.len() && !matches!(bytes[pos], b' ' | b'\t' | b'\r' | b'\n') {
            pos += 1;
        }
        pos = skip_space_and_comments(src, pos);
    }
    pos
}

/// End (exclusive) of a quoted scalar whose opening quote is at `start`.
pub(crate) fn quoted_end(src: &str, start: usize) -> usize {
    let bytes = src.as_bytes();
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The line break convention of a text: CRLF when its first line ends so.
pub(crate) fn newline_of(src: &str) -> &'static str {
    match src.find('\n') {
        Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// True when the text holds a carriage return that is not part of a CRLF;
/// the parser would count it as a line break where we do not.
pub(crate) fn has_bare_cr(src: &str) -> Option<usize> {
    let bytes = src.as_bytes();
    if !bytes.contains(&b'\r') {
        return None;
    }
    bytes
        .iter()
        .enumerate()
        .find(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .map(|(i, _)| i)
}
