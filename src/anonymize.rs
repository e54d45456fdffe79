//! `--anonymize` (docs/metrics.md section 7): user names, e-mails and GUIDs replaced by stable
//! pseudonyms before the model runs, so every output (terminal, Markdown, HTML, JSON,
//! compare, trend, history snapshots) only ever sees pseudonyms, including GUIDs the model
//! quotes in free text.
//!
//! What is replaced: every content GUID and user GUID (the interners of [`Dataset`], so
//! owners too), and in the users export the username, e-mail, first and last name. Content
//! titles, content names and file paths stay: they are what makes a report readable.
//!
//! A pseudonym is a pure function of the original text: the 64-bit FNV-1a hash (written out
//! here with its fixed constants, so it never changes with the Rust version) of a fixed tag
//! for the kind followed by the text, mixed by MurmurHash3's 64-bit finaliser, printed as
//! 12 hex digits:
//!
//! | original | tag | pseudonym |
//! |---|---|---|
//! | content GUID | `connect-capacity content` + NUL | `content-` + 12 hex |
//! | user GUID, username | `connect-capacity user` + NUL | `user-` + 12 hex |
//! | e-mail | `connect-capacity email` + NUL | `user-` + 12 hex + `@example.invalid` |
//! | first name, last name | (none) | [`ANON_NAME`] |
//!
//! So the same original gets the same pseudonym in every run and every report, and trend,
//! compare and history line up. (A user GUID and a username share one tag: a text that is
//! both gets one pseudonym, so `--exclude-users` matches exactly what it matched before.)
//! Two originals of one kind whose 12 digits collide in one dataset both get all 16 digits;
//! if those collide too, the originals in sorted order get `-2`, `-3` ... after the second
//! and later ones. Pseudonyms hide names from a report's readers; anyone holding the list of
//! originals can recompute them, so they are not encryption.
//!
//! Options that name users or content (`--exclude-users`, per-content settings) are mapped
//! through the same pseudonyms ([`Pseudonyms::options`]), so they match what they matched
//! before; a warning that quotes such a value then shows its pseudonym. Ingest notes and
//! row problems are rewritten: every whole-word occurrence of a known original becomes its
//! pseudonym ([`Pseudonyms::rewrite`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::ingest::Dataset;
use crate::model::Options;

/// The word that replaces every first and last name.
pub const ANON_NAME: &str = "Anon";

/// Hex digits of a pseudonym's hash, and of a widened one after a collision.
const NARROW: usize = 12;
const WIDE: usize = 16;

/// What a pseudonym stands for: the tag hashed before the text, and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A content GUID.
    Content,
    /// A user GUID or a username.
    User,
    /// An e-mail address.
    Email,
}

impl Kind {
    /// The fixed text hashed before the original.
    fn tag(self) -> &'static str {
        match self {
            Kind::Content => "connect-capacity content\0",
            Kind::User => "connect-capacity user\0",
            Kind::Email => "connect-capacity email\0",
        }
    }

    /// The pseudonym for hash digits `hex`; `dup` > 0 for the later originals of a full
    /// 64-bit collision.
    fn write(self, hex: &str, dup: usize) -> String {
        let tail = if dup > 0 {
            format!("-{}", dup + 1)
        } else {
            String::new()
        };
        match self {
            Kind::Content => format!("content-{hex}{tail}"),
            Kind::User => format!("user-{hex}{tail}"),
            Kind::Email => format!("user-{hex}{tail}@example.invalid"),
        }
    }
}

pub use crate::model::over_time::trend::fnv1a64;

/// The hash behind a pseudonym: FNV-1a of the kind's tag, then the text, through
/// MurmurHash3's 64-bit finaliser, so texts that differ in one character (`user1`,
/// `user2`) get unrelated pseudonyms (FNV-1a alone changes one or two hex digits).
pub fn hash(kind: Kind, text: &str) -> u64 {
    mix(fnv1a64(kind.tag().bytes().chain(text.bytes())))
}

/// MurmurHash3's `fmix64`: every input bit flips about half of the output bits.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The pseudonym of `text` when nothing in its dataset collides with it.
pub fn pseudonym(kind: Kind, text: &str) -> String {
    kind.write(&hex(hash(kind, text), NARROW), 0)
}

/// The first `digits` (at most 16) lower-case hex digits of `h`.
fn hex(h: u64, digits: usize) -> String {
    let full = format!("{h:016x}");
    full[..digits.min(WIDE)].to_string()
}

/// Distinct pseudonyms of distinct `originals`: `narrow` hex digits of `hash`, all 16 for
/// the members of a group that collides there, then `-2`, `-3` ... in sorted order for a
/// full collision. Narrow, wide and suffixed pseudonyms differ in length or shape, so no
/// two classes can meet.
fn assign(
    kind: Kind,
    originals: &BTreeSet<&str>,
    narrow: usize,
    hash: &dyn Fn(&str) -> u64,
) -> HashMap<String, String> {
    let mut by_narrow: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for o in originals {
        by_narrow.entry(hex(hash(o), narrow)).or_default().push(o);
    }
    let mut out = HashMap::with_capacity(originals.len());
    for (short, group) in by_narrow {
        if let [only] = group[..] {
            out.insert(only.to_string(), kind.write(&short, 0));
            continue;
        }
        let mut by_wide: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for o in group {
            by_wide.entry(hex(hash(o), WIDE)).or_default().push(o);
        }
        for (wide, same) in by_wide {
            for (dup, o) in same.into_iter().enumerate() {
                out.insert(o.to_string(), kind.write(&wide, dup));
            }
        }
    }
    out
}

/// The pseudonyms of one dataset (and the options run on it).
#[derive(Debug, Clone, Default)]
pub struct Pseudonyms {
    content: HashMap<String, String>,
    user: HashMap<String, String>,
    email: HashMap<String, String>,
    /// Every original (and first/last name) with its replacement, for [`Self::rewrite`].
    lookup: HashMap<String, String>,
    /// Length in bytes of the longest key of `lookup`.
    longest: usize,
}

impl Pseudonyms {
    /// Pseudonyms for every name in `data` and every user or content named in `opts`,
    /// distinct per kind.
    pub fn new(data: &Dataset, opts: &[&Options]) -> Self {
        Self::with_width(data, opts, NARROW, &|kind, text| hash(kind, text))
    }

    /// [`Self::new`] with another width and hash (tests force collisions with these).
    fn with_width(
        data: &Dataset,
        opts: &[&Options],
        narrow: usize,
        hash: &dyn Fn(Kind, &str) -> u64,
    ) -> Self {
        let mut content: BTreeSet<&str> = names(&data.content_ids).collect();
        let mut user: BTreeSet<&str> = names(&data.user_ids).collect();
        let mut email = BTreeSet::new();
        let mut people = BTreeSet::new();
        for u in &data.users {
            user.extend(u.username.as_deref());
            email.extend(u.email.as_deref());
            people.extend(u.first_name.as_deref());
            people.extend(u.last_name.as_deref());
        }
        for o in opts {
            user.extend(o.exclude_users.iter().map(String::as_str));
            let c = &o.capacity;
            content.extend(c.content.keys().map(String::as_str));
        }
        let table =
            |kind: Kind, set: &BTreeSet<&str>| assign(kind, set, narrow, &|t| hash(kind, t));
        let mut p = Pseudonyms {
            content: table(Kind::Content, &content),
            user: table(Kind::User, &user),
            email: table(Kind::Email, &email),
            ..Default::default()
        };
        p.index(&people);
        p
    }

    /// Fills `lookup` and `longest`: content, then users, then e-mails, then names (a text
    /// of two kinds is rewritten as the first). Empty texts are never rewritten.
    fn index(&mut self, people: &BTreeSet<&str>) {
        let mut lookup = HashMap::new();
        for table in [&self.content, &self.user, &self.email] {
            for (k, v) in table {
                lookup.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        for n in people {
            lookup
                .entry(n.to_string())
                .or_insert_with(|| ANON_NAME.to_string());
        }
        lookup.remove("");
        self.longest = lookup.keys().map(String::len).max().unwrap_or(0);
        self.lookup = lookup;
    }

    /// The pseudonym of a content GUID.
    pub fn content(&self, guid: &str) -> String {
        lookup_or(&self.content, Kind::Content, guid)
    }

    /// The pseudonym of a user GUID or username.
    pub fn user(&self, name: &str) -> String {
        lookup_or(&self.user, Kind::User, name)
    }

    /// The pseudonym of an e-mail address.
    pub fn email(&self, address: &str) -> String {
        lookup_or(&self.email, Kind::Email, address)
    }

    /// Replaces every name in `data` by its pseudonym; ids and row order stay.
    pub fn apply(&self, data: &mut Dataset) {
        data.content_ids.rename(|g| self.content(g));
        data.user_ids.rename(|g| self.user(g));
        for u in &mut data.users {
            u.username = u.username.as_deref().map(|n| self.user(n).into());
            u.email = u.email.as_deref().map(|e| self.email(e).into());
            u.first_name = u.first_name.as_ref().map(|_| ANON_NAME.into());
            u.last_name = u.last_name.as_ref().map(|_| ANON_NAME.into());
        }
        let notes = &mut data.notes;
        for p in notes
            .skipped
            .iter_mut()
            .chain(&mut notes.local_time_problems)
        {
            p.message = self.rewrite(&p.message);
        }
        for w in &mut notes.warnings {
            *w = self.rewrite(w);
        }
    }

    /// `opts` with every user and content it names replaced by its pseudonym, so it
    /// matches the anonymised data exactly as the original matched the original data.
    pub fn options(&self, opts: &Options) -> Options {
        let mut o = opts.clone();
        o.exclude_users = opts.exclude_users.iter().map(|u| self.user(u)).collect();
        let c = &opts.capacity;
        o.capacity.content = c
            .content
            .iter()
            .map(|(g, v)| (self.content(g), v.clone()))
            .collect();
        o
    }

    /// `text` with every known original that stands as a whole word (no letter or digit
    /// right before or after it) replaced by its pseudonym, longest match first.
    pub fn rewrite(&self, text: &str) -> String {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let mut out = String::with_capacity(text.len());
        let mut k = 0;
        while k + 1 < bounds.len() {
            let i = bounds[k];
            if let Some((m, with)) = self.longest_match(text, &bounds, k) {
                out.push_str(with);
                k = m;
            } else {
                out.push_str(&text[i..bounds[k + 1]]);
                k += 1;
            }
        }
        out
    }

    /// The longest known original starting at `bounds[k]` and ending at a word end:
    /// the index of its end in `bounds`, and its replacement.
    fn longest_match(&self, text: &str, bounds: &[usize], k: usize) -> Option<(usize, &str)> {
        let i = bounds[k];
        if text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            return None;
        }
        let mut best = None;
        for (m, &j) in bounds.iter().enumerate().skip(k + 1) {
            if j - i > self.longest {
                break;
            }
            if text[j..].chars().next().is_some_and(char::is_alphanumeric) {
                continue;
            }
            if let Some(with) = self.lookup.get(&text[i..j]) {
                best = Some((m, with.as_str()));
            }
        }
        best
    }
}

/// The table's pseudonym, or the plain one for a text the table does not hold.
fn lookup_or(table: &HashMap<String, String>, kind: Kind, text: &str) -> String {
    table
        .get(text)
        .cloned()
        .unwrap_or_else(|| pseudonym(kind, text))
}

/// Every name of an interner.
fn names(ids: &crate::ingest::Interner) -> impl Iterator<Item = &str> {
    (0..ids.len() as u32).map(|id| ids.name(id))
}

/// Anonymises `data` in place and returns each of `opts` mapped the same way.
pub fn anonymize(data: &mut Dataset, opts: &[&Options]) -> Vec<Options> {
    let p = Pseudonyms::new(data, opts);
    p.apply(data);
    opts.iter().map(|o| p.options(o)).collect()
}

#[cfg(test)]
#[path = "anonymize_tests.rs"]
mod tests;
