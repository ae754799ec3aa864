//! Byte-level view of the source text: line starts, position conversion and
//! the small scanners the document layer needs to repair parser spans.

/// Line starts of a source text, in bytes. Line 1 starts after a UTF-8 BOM
/// because the parser does not count the BOM as a column.
#[derive(Debug)]
pub(crate) struct Lines {
    starts: Vec<u32>,
    ascii: bool,
}

pub(crate) const BOM: &str = "\u{feff}";

impl Lines {
    pub(crate) fn new(src: &str) -> Lines {
        let first = if src.starts_with(BOM) { BOM.len() } else { 0 };
        let mut starts = Vec::with_capacity(src.len() / 24 + 1);
        starts.push(first as u32);
        starts.extend(memchr_newlines(src.as_bytes()).map(|i| (i + 1) as u32));
        Lines {
            starts,
            ascii: src.is_ascii(),
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

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

/// Start of the line holding `pos`.
pub(crate) fn line_start(src: &str, pos: usize) -> usize {
    src.as_bytes()[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Position of the line break ending the line holding `pos` (`\r` of a CRLF),
/// or the end of the text.
pub(crate) fn line_end(src: &str, pos: usize) -> usize {
    let bytes = src.as_bytes();
    let nl = bytes[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| pos + i);
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
    src.as_bytes()[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(src.len(), |i| pos + i + 1)
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
    bytes
        .iter()
        .enumerate()
        .find(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .map(|(i, _)| i)
}
