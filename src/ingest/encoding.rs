//! Text encodings of export files (docs/inputs.md 2.1).
//!
//! - A byte-order mark always decides: UTF-8 (`EF BB BF`), UTF-16 LE (`FF FE`) or UTF-16 BE
//!   (`FE FF`), whatever `--encoding` says.
//! - Otherwise the file is read in the encoding `--encoding` gives its kind (`KIND=ENC`),
//!   else the one given for every kind (`ENC`), else UTF-8. The kind comes from the header,
//!   which is plain ASCII in every export, so it reads the same in UTF-8 and Windows-1252;
//!   a UTF-16 file without a byte-order mark is recognised only when `--encoding` names
//!   UTF-16 for it.
//! - UTF-8 is checked row by row by the CSV reader (a row that is not valid UTF-8 is an
//!   error, or a counted skip under `--lenient`); any other encoding is decoded to UTF-8
//!   here, before either reader sees the bytes, with encoding_rs (the WHATWG decoders:
//!   Windows-1252 maps every byte; a malformed UTF-16 sequence becomes U+FFFD).

use std::io::{self, Read};

use encoding_rs::{CoderResult, Decoder, Encoding};

use super::detect::{detect_kind, Header};
use super::Kind;

/// An encoding `--encoding` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextEncoding {
    /// UTF-8 (the default).
    Utf8,
    /// Windows-1252, what Excel on Windows saves as "CSV" in Western European locales
    /// (`latin-1` and `iso-8859-1` are the same decoder, as the WHATWG standard defines).
    Windows1252,
    /// UTF-16, little-endian (`utf-16` without a byte-order mark, as WHATWG defines it).
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

impl TextEncoding {
    /// Parses a name: `utf-8`, `windows-1252` (`cp1252`, `latin-1`, `latin1`,
    /// `iso-8859-1`), `utf-16` (`utf-16le`), `utf-16be`; any letter case.
    pub fn parse(name: &str) -> Result<TextEncoding, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
                Ok(TextEncoding::Windows1252)
            }
            "utf-16" | "utf16" | "utf-16le" => Ok(TextEncoding::Utf16Le),
            "utf-16be" => Ok(TextEncoding::Utf16Be),
            _ => Err(format!(
                "unknown encoding '{}' in --encoding; use utf-8, windows-1252 (latin-1 is the \
                 same), utf-16 or utf-16be",
                name.trim()
            )),
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
        }
    }

    fn coder(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }

    /// The encoding a byte-order mark at the start of `bytes` names.
    pub fn from_bom(bytes: &[u8]) -> Option<TextEncoding> {
        match Encoding::for_bom(bytes)?.0 {
            e if e == encoding_rs::UTF_8 => Some(TextEncoding::Utf8),
            e if e == encoding_rs::UTF_16LE => Some(TextEncoding::Utf16Le),
            e if e == encoding_rs::UTF_16BE => Some(TextEncoding::Utf16Be),
            _ => None,
        }
    }

    /// True when ASCII text reads the same (every export's header is ASCII).
    fn ascii_compatible(self) -> bool {
        matches!(self, TextEncoding::Utf8 | TextEncoding::Windows1252)
    }
}

/// `--encoding` per export kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEncoding {
    kinds: [TextEncoding; Kind::ALL.len()],
    /// The last value given for every kind (UTF-8 when none was), for files whose kind
    /// the header does not tell.
    all: TextEncoding,
}

impl Default for InputEncoding {
    fn default() -> Self {
        InputEncoding {
            kinds: [TextEncoding::Utf8; Kind::ALL.len()],
            all: TextEncoding::Utf8,
        }
    }
}

impl InputEncoding {
    /// Parses `--encoding` values: `ENC` (every kind) or `KIND=ENC`; later values
    /// override earlier ones. Commas separate several values in one string.
    pub fn parse(specs: &[String]) -> Result<InputEncoding, String> {
        let mut enc = InputEncoding::default();
        for spec in specs.iter().flat_map(|s| s.split(',')) {
            let spec = spec.trim();
            if spec.is_empty() {
                continue;
            }
            match spec.split_once('=') {
                Some((kind, name)) => {
                    let kind = Kind::from_cli_name(kind.trim()).ok_or_else(|| {
                        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.cli_name()).collect();
                        format!(
                            "unknown export kind '{}' in --encoding; use one of {} (e.g. \
                             content=windows-1252)",
                            kind.trim(),
                            names.join(", ")
                        )
                    })?;
                    enc.kinds[kind.index()] = TextEncoding::parse(name)?;
                }
                None => {
                    let e = TextEncoding::parse(spec)?;
                    enc.kinds = [e; Kind::ALL.len()];
                    enc.all = e;
                }
            }
        }
        Ok(enc)
    }

    /// The encoding of files of `kind` without a byte-order mark.
    pub fn for_kind(&self, kind: Kind) -> TextEncoding {
        self.kinds[kind.index()]
    }

    /// The encoding of a file that starts with `prefix` (its first line at least): its
    /// byte-order mark, else the encoding of the kind its header shows, else the one
    /// given for every kind.
    pub fn choose(&self, prefix: &[u8]) -> TextEncoding {
        if let Some(e) = TextEncoding::from_bom(prefix) {
            return e;
        }
        if self.kinds.iter().all(|&e| e == self.kinds[0]) {
            return self.kinds[0];
        }
        // Read the header in each family of encodings the options name; the first that
        // shows a kind whose own encoding is of that family wins.
        let mut families: Vec<TextEncoding> = self.kinds.to_vec();
        families.push(self.all);
        families.sort_unstable();
        families.dedup();
        for family in families {
            let Some(kind) = header_kind(prefix, family) else {
                continue;
            };
            let own = self.for_kind(kind);
            let same = own == family || own.ascii_compatible() && family.ascii_compatible();
            if same {
                return own;
            }
        }
        self.all
    }
}

/// The kind the first line of `prefix` shows when decoded as `enc`.
fn header_kind(prefix: &[u8], enc: TextEncoding) -> Option<Kind> {
    let (text, _) = enc.coder().decode_without_bom_handling(prefix);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let first = reader.records().next()?.ok()?;
    detect_kind(&Header::new(first.iter()))
}

/// Reads up to the first line end of `input` after any blank lines (at most 64 KiB): the
/// bytes to choose the encoding from, and the input to read on (the same bytes again,
/// then the rest).
pub fn peek_first_line<R: Read>(mut input: R) -> io::Result<(Vec<u8>, Peeked<R>)> {
    const MAX: usize = 64 * 1024;
    let mut prefix = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    // Blank lines before the header are skipped by the CSV reader: read past them.
    let has_line = |p: &[u8]| {
        let start = p.iter().position(|b| !matches!(b, b'\r' | b'\n'));
        start.is_some_and(|s| p[s..].contains(&b'\n'))
    };
    while prefix.len() < MAX && !has_line(&prefix) {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        prefix.extend_from_slice(&chunk[..n]);
    }
    let again = io::Cursor::new(prefix.clone()).chain(input);
    Ok((prefix, again))
}

/// An input after [`peek_first_line`]: the peeked bytes, then the rest.
pub type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// `input` as UTF-8: unchanged for UTF-8 (checked later, row by row), else decoded.
pub fn to_utf8<R: Read>(input: R, enc: TextEncoding) -> Utf8Reader<R> {
    match enc {
        TextEncoding::Utf8 => Utf8Reader::Plain(input),
        other => Utf8Reader::Decoded(Box::new(Decoded::new(input, other))),
    }
}

/// What [`to_utf8`] returns.
pub enum Utf8Reader<R> {
    /// UTF-8 already (or meant to be).
    Plain(R),
    /// Decoded from another encoding.
    Decoded(Box<Decoded<R>>),
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Utf8Reader::Plain(r) => r.read(buf),
            Utf8Reader::Decoded(r) => r.read(buf),
        }
    }
}

/// A reader that decodes its input to UTF-8 (a byte-order mark of the encoding removed).
pub struct Decoded<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    /// Undecoded input is `input[in_start..in_end]`.
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    /// Decoded bytes not yet handed out are `output[out_start..out_end]`.
    out_start: usize,
    out_end: usize,
    eof: bool,
    /// The input ended and the decoder has flushed everything.
    done: bool,
}

impl<R: Read> Decoded<R> {
    /// Decodes `inner` from `enc`.
    pub fn new(inner: R, enc: TextEncoding) -> Self {
        const SIZE: usize = 64 * 1024;
        Decoded {
            inner,
            decoder: enc.coder().new_decoder_with_bom_removal(),
            input: vec![0; SIZE],
            in_start: 0,
            in_end: 0,
            // Room for the worst case (3 UTF-8 bytes per input byte) and then some.
            output: vec![0; 3 * SIZE + 16],
            out_start: 0,
            out_end: 0,
            eof: false,
            done: false,
        }
    }

    /// Decodes the next piece of input into `output`; nothing left only when done.
    fn refill(&mut self) -> io::Result<()> {
        self.out_start = 0;
        self.out_end = 0;
        while !self.done && self.out_end == 0 {
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = loop {
                    match self.inner.read(&mut self.input) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.eof = self.in_end == 0;
            }
            let src = &self.input[self.in_start..self.in_end];
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(src, &mut self.output, self.eof);
            self.in_start += read;
            self.out_end = written;
            self.done = self.eof && result == CoderResult::InputEmpty;
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_start == self.out_end {
            self.refill()?;
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], enc: TextEncoding, chunk: usize) -> String {
        let mut r = Decoded::new(bytes, enc);
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    /// "Café – Ventes" as Windows-1252 writes it: é = E9, en dash = 96.
    const CAFE_1252: &[u8] = b"Caf\xe9 \x96 Ventes";

    fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if le { &[0xff, 0xfe] } else { &[0xfe, 0xff] });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn decodes_windows_1252_and_utf16_whatever_the_read_size() {
        for chunk in [1, 2, 5, 7, 4096] {
            assert_eq!(
                decode_all(CAFE_1252, TextEncoding::Windows1252, chunk),
                "Café – Ventes"
            );
            for le in [true, false] {
                let enc = if le {
                    TextEncoding::Utf16Le
                } else {
                    TextEncoding::Utf16Be
                };
                let bytes = utf16("a,b\nCafé – Ventes 😀\n", le, true);
                assert_eq!(decode_all(&bytes, enc, chunk), "a,b\nCafé – Ventes 😀\n");
            }
        }
        // A lone surrogate becomes U+FFFD (WHATWG), never an error.
        let bad = [0x41, 0x00, 0x00, 0xd8, 0x42, 0x00];
        assert_eq!(decode_all(&bad, TextEncoding::Utf16Le, 64), "A\u{fffd}B");
    }

    #[test]
    fn names_and_aliases() {
        for (name, enc) in [
            ("utf-8", TextEncoding::Utf8),
            ("UTF8", TextEncoding::Utf8),
            ("windows-1252", TextEncoding::Windows1252),
            ("latin-1", TextEncoding::Windows1252),
            ("ISO-8859-1", TextEncoding::Windows1252),
            ("cp1252", TextEncoding::Windows1252),
            ("utf-16", TextEncoding::Utf16Le),
            ("utf-16be", TextEncoding::Utf16Be),
        ] {
            assert_eq!(TextEncoding::parse(name), Ok(enc), "{name}");
        }
        let err = TextEncoding::parse("ebcdic").unwrap_err();
        assert!(
            err.contains("'ebcdic'") && err.contains("windows-1252"),
            "{err}"
        );
    }

    #[test]
    fn per_kind_values_and_later_values_win() {
        let p =
            |v: &[&str]| InputEncoding::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let e = p(&["utf-8", "content=latin-1,users=windows-1252"]).unwrap();
        assert_eq!(e.for_kind(Kind::Content), TextEncoding::Windows1252);
        assert_eq!(e.for_kind(Kind::Users), TextEncoding::Windows1252);
        assert_eq!(e.for_kind(Kind::ShinyUsage), TextEncoding::Utf8);
        let e = p(&["content=utf-16", "windows-1252"]).unwrap();
        assert_eq!(e.for_kind(Kind::Content), TextEncoding::Windows1252);
        let err = p(&["things=utf-8"]).unwrap_err();
        assert!(err.contains("'things'") && err.contains("content"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_wins_and_the_header_picks_the_kind() {
        let e = InputEncoding::parse(&["content=windows-1252".to_string()]).unwrap();
        let content = b"guid,title,app_mode\n";
        let shiny = b"content_guid,started,ended\n";
        assert_eq!(e.choose(content), TextEncoding::Windows1252);
        assert_eq!(e.choose(shiny), TextEncoding::Utf8);
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(content);
        assert_eq!(e.choose(&bom), TextEncoding::Utf8);
        let le = utf16("guid,title,app_mode\n", true, true);
        assert_eq!(e.choose(&le), TextEncoding::Utf16Le);
        // UTF-16 without a mark: only when the options say so for that kind.
        let bare = utf16("guid,title,app_mode\n", false, false);
        let e = InputEncoding::parse(&["content=utf-16be".to_string()]).unwrap();
        assert_eq!(e.choose(&bare), TextEncoding::Utf16Be);
        assert_eq!(e.choose(shiny), TextEncoding::Utf8);
    }
}
