//! content.csv and users.csv in the connectapi `get_content()` / `get_users()` +
//! `write.csv(row.names = FALSE)` dialect: character columns quoted (inner quotes doubled),
//! numbers, times and logicals unquoted, `NA` for missing.

use super::catalog::Catalog;
use super::fmt::{
    write_header, write_naive, write_naive_opt, write_num_opt, write_quoted, write_quoted_opt, Secs,
};
use rand::rngs::StdRng;
use rand::Rng;
use std::io::{self, Write};

/// Header of content.csv (spec section 4 example).
pub const CONTENT_HEADER: [&str; 19] = [
    "guid",
    "name",
    "title",
    "app_mode",
    "content_category",
    "max_processes",
    "min_processes",
    "max_conns_per_process",
    "load_factor",
    "idle_timeout",
    "memory_request",
    "memory_limit",
    "cpu_request",
    "cpu_limit",
    "owner_guid",
    "created_time",
    "last_deployed_time",
    "r_version",
    "py_version",
];

/// Header of users.csv (spec section 5 example).
pub const USERS_HEADER: [&str; 11] = [
    "email",
    "username",
    "first_name",
    "last_name",
    "user_role",
    "created_time",
    "updated_time",
    "active_time",
    "confirmed",
    "locked",
    "guid",
];

/// Writes content.csv; returns the row count.
pub fn write_content<W: Write>(w: &mut W, cat: &Catalog) -> io::Result<u64> {
    write_header(w, &CONTENT_HEADER)?;
    for c in &cat.contents {
        for text in [c.guid.as_str(), &c.name, &c.title, c.mode, c.category] {
            write_quoted(w, text)?;
            w.write_all(b",")?;
        }
        let s = c.settings;
        write_num_opt(w, s.max_processes)?;
        w.write_all(b",")?;
        write_num_opt(w, s.min_processes)?;
        w.write_all(b",")?;
        write_num_opt(w, s.max_conns_per_process)?;
        w.write_all(b",")?;
        write_num_opt(w, s.load_factor)?;
        w.write_all(b",")?;
        write_num_opt(w, s.idle_timeout)?;
        w.write_all(b",")?;
        write_num_opt(w, s.memory_request)?;
        w.write_all(b",")?;
        write_num_opt(w, s.memory_limit)?;
        w.write_all(b",")?;
        write_num_opt(w, s.cpu_request)?;
        w.write_all(b",")?;
        write_num_opt(w, s.cpu_limit)?;
        w.write_all(b",")?;
        write_quoted(w, &cat.users[c.owner].guid)?;
        w.write_all(b",")?;
        write_naive(w, c.created)?;
        w.write_all(b",")?;
        write_naive(w, c.last_deployed)?;
        w.write_all(b",")?;
        write_quoted_opt(w, c.r_version)?;
        w.write_all(b",")?;
        write_quoted_opt(w, c.py_version)?;
        w.write_all(b"\n")?;
    }
    Ok(cat.contents.len() as u64)
}

/// Last time each user did something (session start, visit, deploy).
#[derive(Clone, Debug)]
pub struct Activity(Vec<Option<Secs>>);

impl Activity {
    /// No activity yet; deploys count for the content owners.
    pub fn new(cat: &Catalog) -> Activity {
        let mut a = Activity(vec![None; cat.users.len()]);
        for c in &cat.contents {
            for &d in &c.deploys {
                a.saw(Some(c.owner), d);
            }
        }
        a
    }

    /// Records that `user` was active at `t`.
    pub fn saw(&mut self, user: Option<usize>, t: Secs) {
        if let Some(slot) = user.and_then(|u| self.0.get_mut(u)) {
            *slot = Some(slot.map_or(t, |old| old.max(t)));
        }
    }
}

/// `active_time`: Connect updates it periodically, so it trails the last activity a little.
fn active_time(cat: &Catalog, act: &Activity, u: usize, rng: &mut StdRng) -> Option<Secs> {
    let user = &cat.users[u];
    if user.locked {
        return Some(user.updated - rng.gen_range(3600..30 * 86_400));
    }
    act.0[u].map(|t| (t + rng.gen_range(0..1800)).min(cat.window_end - 1))
}

/// Writes users.csv; returns the row count.
pub fn write_users<W: Write>(
    w: &mut W,
    cat: &Catalog,
    act: &Activity,
    rng: &mut StdRng,
) -> io::Result<u64> {
    write_header(w, &USERS_HEADER)?;
    for (i, u) in cat.users.iter().enumerate() {
        write_quoted(w, &format!("{}@connect.example", u.username))?;
        for text in [u.username.as_str(), u.first, u.last, u.role] {
            w.write_all(b",")?;
            write_quoted(w, text)?;
        }
        w.write_all(b",")?;
        write_naive(w, u.created)?;
        w.write_all(b",")?;
        write_naive(w, u.updated)?;
        w.write_all(b",")?;
        write_naive_opt(w, active_time(cat, act, i, rng))?;
        let locked = if u.locked { "TRUE" } else { "FALSE" };
        write!(w, ",TRUE,{locked},")?;
        write_quoted(w, &u.guid)?;
        w.write_all(b"\n")?;
    }
    Ok(cat.users.len() as u64)
}
