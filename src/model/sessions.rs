//! The session data every sub-domain reads: one compact row per normalised session (u32
//! ids, i64 times: 24 bytes), held in one canonical order (content, user with anonymous
//! first, start, end) that normalisation sorts once. Usage statistics, the scheduler
//! replays and the growth figures all read this one layout. Readers that go by content
//! (per-content figures, one replay per item) take its runs as they are; readers that go
//! by time (the concurrency sweep, the users series, the month pairs of growth, the
//! scaled replay) sort keys they derive from it (event times, one user's spans), never the
//! sessions themselves.

use std::ops::Deref;

use rayon::prelude::*;

use crate::ingest::Micros;

/// A normalised session: a half-open interval `[start, end)` inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Session {
    /// Content id.
    pub content: u32,
    /// User id + 1; 0 = anonymous, so anonymous sessions sort first.
    user: u32,
    /// Start (µs, UTC).
    pub start: Micros,
    /// `end >= start`; `end == start` is an empty interval that never counts.
    pub end: Micros,
}

impl Session {
    /// A session of `content` by `user` (`None` = anonymous).
    pub fn new(content: u32, user: Option<u32>, start: Micros, end: Micros) -> Self {
        Session {
            content,
            user: user.map_or(0, |u| u.saturating_add(1)),
            start,
            end,
        }
    }

    /// The user id; `None` = anonymous.
    pub fn user(&self) -> Option<u32> {
        self.user.checked_sub(1)
    }
}

/// The window's sessions in canonical order. Built only by sorting, so every reader can
/// rely on the order (each content item's sessions are one run; within it, each user's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sessions(Vec<Session>);

impl Sessions {
    /// Sorts `v` into the canonical order (in parallel; the order is total, so the result
    /// does not depend on threads).
    pub fn sorted(mut v: Vec<Session>) -> Self {
        v.par_sort_unstable();
        Sessions(v)
    }
}

impl Deref for Sessions {
    type Target = [Session];
    fn deref(&self) -> &[Session] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_24_bytes() {
        assert_eq!(std::mem::size_of::<Session>(), 24);
    }

    #[test]
    fn anonymous_sorts_first_and_ids_round_trip() {
        let a = Session::new(1, None, 5, 6);
        let b = Session::new(1, Some(0), 0, 1);
        let c = Session::new(1, Some(u32::MAX - 1), 0, 1);
        assert!(a < b && b < c);
        assert_eq!(
            (a.user(), b.user(), c.user()),
            (None, Some(0), Some(u32::MAX - 1))
        );
        let s = Sessions::sorted(vec![c, Session::new(0, Some(3), 9, 9), a, b]);
        assert_eq!(s[0], Session::new(0, Some(3), 9, 9));
        assert_eq!(&s[1..], &[a, b, c]);
    }
}
