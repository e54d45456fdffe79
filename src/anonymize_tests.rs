use std::collections::{BTreeSet, HashSet};

use super::*;
use crate::ingest::{Origin, RowProblem, SessionRow, UserRow};
use crate::model::usage::normalize::normalize;
use crate::settings::ProcessSettings;

const ORIGIN: Origin = Origin { file: 0, line: 2 };

fn user(data: &mut Dataset, guid: &str, name: &str, email: &str, first: &str) {
    let id = data.user_ids.intern(guid);
    data.users.push(UserRow {
        user: id,
        username: Some(name.into()),
        email: Some(email.into()),
        first_name: Some(first.into()),
        last_name: Some("Nguyen".into()),
        user_role: Some("viewer".into()),
        locked: None,
        created_time: None,
        active_time: None,
        origin: ORIGIN,
    });
}

fn session(data: &mut Dataset, content: &str, user: &str, start: i64) {
    let content = data.content_ids.intern(content);
    let user = Some(data.user_ids.intern(user));
    data.sessions.push(SessionRow {
        content,
        user,
        started: start,
        ended: Some(start + 60_000_000),
        data_version: 1,
        origin: ORIGIN,
    });
}

/// Two users (one known only by GUID), two content items, three sessions.
fn dataset() -> Dataset {
    let mut d = Dataset::default();
    user(&mut d, "u-guid-1", "dana", "dana@corp.example", "Dana");
    user(&mut d, "u-guid-2", "kira", "kira@corp.example", "Kira");
    session(&mut d, "c-guid-1", "u-guid-1", 0);
    session(&mut d, "c-guid-1", "u-guid-2", 10_000_000);
    session(&mut d, "c-guid-2", "u-guid-1", 20_000_000);
    d
}

#[test]
fn fnv1a_matches_the_published_test_vectors() {
    // The FNV reference vectors: "" is the offset basis itself, then "a" and "foobar".
    assert_eq!(fnv1a64(*b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(*b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(*b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn pseudonyms_are_fixed_functions_of_kind_and_text() {
    // Expected values computed outside Rust (a few lines of Python: FNV-1a over the tag,
    // NUL and text, then MurmurHash3's fmix64): they pin the tag, the constants, the
    // finaliser and the 12-digit prefix for good.
    let g = "a2764a24-8d2c-4256-8ea9-106f32cb5271";
    assert_eq!(pseudonym(Kind::Content, g), "content-c99a6c94ddc6");
    assert_eq!(pseudonym(Kind::User, "dnguyen0"), "user-265f3f0a6875");
    assert_eq!(
        pseudonym(Kind::Email, "dnguyen0@connect.example"),
        "user-e1864fee3cd3@example.invalid"
    );
    // Neighbouring texts get unrelated pseudonyms (FNV-1a alone gave user-425bd415b2c5
    // and user-425bd315b2c5 here).
    assert_eq!(pseudonym(Kind::User, "zz-user1"), "user-c5ab0fbec812");
    assert_eq!(pseudonym(Kind::User, "zz-user2"), "user-87d7704e9a15");
    // Same text, other kind: another pseudonym.
    assert_ne!(pseudonym(Kind::User, g), pseudonym(Kind::Content, g));
}

#[test]
fn the_same_original_gets_the_same_pseudonym_in_any_dataset_and_order() {
    let a = Pseudonyms::new(&dataset(), &[]);
    let mut other = Dataset::default();
    session(&mut other, "c-guid-9", "u-guid-7", 0);
    session(&mut other, "c-guid-2", "u-guid-1", 0);
    let b = Pseudonyms::new(&other, &[]);
    assert_eq!(a.content("c-guid-2"), b.content("c-guid-2"));
    assert_eq!(a.user("u-guid-1"), b.user("u-guid-1"));
    assert_eq!(a.content("c-guid-2"), pseudonym(Kind::Content, "c-guid-2"));
    // Unknown texts (a typo in an option) get the plain pseudonym.
    assert_eq!(a.user("nobody"), pseudonym(Kind::User, "nobody"));
}

#[test]
fn distinct_originals_get_distinct_pseudonyms() {
    let mut d = Dataset::default();
    for i in 0..5000 {
        session(&mut d, &format!("content-{i}"), &format!("user-{i}"), i);
    }
    let p = Pseudonyms::new(&d, &[]);
    let contents: HashSet<String> = (0..5000)
        .map(|i| p.content(&format!("content-{i}")))
        .collect();
    let users: HashSet<String> = (0..5000).map(|i| p.user(&format!("user-{i}"))).collect();
    assert_eq!(contents.len(), 5000);
    assert_eq!(users.len(), 5000);
}

#[test]
fn narrow_collisions_widen_to_all_sixteen_digits() {
    // One hex digit has 16 values: 40 originals must collide (pigeonhole).
    let names: Vec<String> = (0..40).map(|i| format!("guid-{i}")).collect();
    let set: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let h = |t: &str| hash(Kind::Content, t);
    let out = assign(Kind::Content, &set, 1, &h);
    let distinct: HashSet<&String> = out.values().collect();
    assert_eq!(distinct.len(), 40, "{out:?}");
    for n in &names {
        let first = hex(h(n), 1);
        let alone = names.iter().filter(|m| hex(h(m), 1) == first).count() == 1;
        let want = if alone { first } else { hex(h(n), 16) };
        assert_eq!(out[n.as_str()], format!("content-{want}"), "{n}");
    }
    assert!(out.values().any(|v| v.len() == "content-".len() + 16));
}

#[test]
fn full_collisions_get_suffixes_in_sorted_order() {
    // A hash that is the same for everything: every original collides at every width.
    let set: BTreeSet<&str> = ["zed", "amy", "bob"].into_iter().collect();
    let out = assign(Kind::Email, &set, 12, &|_| 0xabcd);
    assert_eq!(out["amy"], "user-000000000000abcd@example.invalid");
    assert_eq!(out["bob"], "user-000000000000abcd-2@example.invalid");
    assert_eq!(out["zed"], "user-000000000000abcd-3@example.invalid");
}

#[test]
fn a_forced_collision_in_a_dataset_stays_distinct_and_consistent() {
    // Width 1 and a hash that puts every user in one bucket: apply must still give every
    // user and username its own pseudonym and keep each one findable by id.
    let mut d = dataset();
    let p = Pseudonyms::with_width(&d, &[], 1, &|_, t| t.len() as u64);
    p.apply(&mut d);
    let users: HashSet<&str> = (0..d.user_ids.len() as u32)
        .map(|id| d.user_ids.name(id))
        .chain(d.users.iter().filter_map(|u| u.username.as_deref()))
        .collect();
    assert_eq!(users.len(), 4);
    for id in 0..d.user_ids.len() as u32 {
        assert_eq!(d.user_ids.get(d.user_ids.name(id)), Some(id));
    }
}

#[test]
fn apply_replaces_names_and_keeps_ids() {
    let mut d = dataset();
    let p = Pseudonyms::new(&d, &[]);
    p.apply(&mut d);
    assert_eq!(d.content_ids.name(0), pseudonym(Kind::Content, "c-guid-1"));
    assert_eq!(
        d.content_ids.get(&pseudonym(Kind::Content, "c-guid-2")),
        Some(1)
    );
    assert_eq!(d.content_ids.get("c-guid-1"), None);
    assert_eq!(d.user_ids.name(1), pseudonym(Kind::User, "u-guid-2"));
    let u = &d.users[0];
    assert_eq!(u.user, 0);
    assert_eq!(
        u.username.as_deref(),
        Some(pseudonym(Kind::User, "dana").as_str())
    );
    assert_eq!(
        u.email.as_deref(),
        Some(pseudonym(Kind::Email, "dana@corp.example").as_str())
    );
    assert_eq!(u.first_name.as_deref(), Some(ANON_NAME));
    assert_eq!(u.last_name.as_deref(), Some(ANON_NAME));
    assert_eq!(u.user_role.as_deref(), Some("viewer"));
}

#[test]
fn options_are_mapped_so_exclusions_and_overrides_still_match() {
    let mut opts = Options {
        exclude_users: vec!["dana".into(), "u-guid-2".into(), "typo".into()],
        ..Options::default()
    };
    opts.capacity
        .content
        .insert("c-guid-2".into(), ProcessSettings::default());
    opts.capacity
        .content
        .insert("c-guid-1".into(), ProcessSettings::default());
    let mut d = dataset();
    // Excluding dana (by username) and kira (by GUID) leaves no session.
    assert_eq!(normalize(&d, &opts).sessions.len(), 0);
    let mapped = anonymize(&mut d, &[&opts]);
    let o = &mapped[0];
    assert_eq!(normalize(&d, o).sessions.len(), 0);
    assert_eq!(
        o.exclude_users,
        vec![
            pseudonym(Kind::User, "dana"),
            pseudonym(Kind::User, "u-guid-2"),
            pseudonym(Kind::User, "typo")
        ]
    );
    let mut key: Vec<&String> = o.capacity.content.keys().collect();
    key.sort_by_key(|g| d.content_ids.get(g));
    assert_eq!(key, vec![d.content_ids.name(0), d.content_ids.name(1)]);
    // Unmapped options would now match nothing: the mapping is what keeps them working.
    assert_eq!(normalize(&d, &opts).sessions.len(), 3);
}

#[test]
fn messages_are_rewritten_word_by_word() {
    let mut d = dataset();
    d.notes.skipped.push(RowProblem {
        path: "users.csv".into(),
        line: 3,
        column: Some("guid".into()),
        message: "duplicate 'u-guid-1' (dana, dana@corp.example); danax and Dana stay?".into(),
    });
    d.notes
        .warnings
        .push("c-guid-1 overlaps c-guid-12 for kira".into());
    let p = Pseudonyms::new(&d, &[]);
    p.apply(&mut d);
    let u1 = pseudonym(Kind::User, "u-guid-1");
    let dana = pseudonym(Kind::User, "dana");
    let mail = pseudonym(Kind::Email, "dana@corp.example");
    assert_eq!(
        d.notes.skipped[0].message,
        format!("duplicate '{u1}' ({dana}, {mail}); danax and Anon stay?")
    );
    // c-guid-12 is unknown and not a whole-word match of c-guid-1: it stays.
    assert_eq!(
        d.notes.warnings[0],
        format!(
            "{} overlaps c-guid-12 for {}",
            pseudonym(Kind::Content, "c-guid-1"),
            pseudonym(Kind::User, "kira")
        )
    );
    assert_eq!(
        d.notes.skipped[0].path,
        std::path::PathBuf::from("users.csv")
    );
}

#[test]
fn rewrite_handles_non_ascii_and_text_without_names() {
    let mut d = Dataset::default();
    user(&mut d, "g", "wmüller13", "w@x.example", "Łukasz");
    let p = Pseudonyms::new(&d, &[]);
    let w = pseudonym(Kind::User, "wmüller13");
    assert_eq!(
        p.rewrite("é wmüller13é wmüller13."),
        format!("é wmüller13é {w}.")
    );
    assert_eq!(p.rewrite("Łukasz"), ANON_NAME);
    assert_eq!(p.rewrite(""), "");
    assert_eq!(p.rewrite("nothing here"), "nothing here");
}
