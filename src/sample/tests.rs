//! Tests of the sample generator on the default spec (generated once, shared).

use super::*;
use chrono::{DateTime, Datelike, NaiveDateTime, Weekday};
use std::collections::BTreeMap;
use std::sync::OnceLock;

struct Fixture {
    dir: tempfile::TempDir,
    summary: SampleSummary,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(&SampleSpec::default(), dir.path()).unwrap();
        Fixture { dir, summary }
    })
}

fn read(name: &str) -> String {
    fs::read_to_string(fixture().dir.path().join(name)).unwrap()
}

/// Parsed rows (header excluded) as owned string vectors.
fn rows(name: &str) -> Vec<Vec<String>> {
    let text = read(name);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn rfc3339(s: &str) -> DateTime<chrono::Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn sample_is_deterministic() {
    let other = tempfile::tempdir().unwrap();
    let summary = generate(&SampleSpec::default(), other.path()).unwrap();
    assert_eq!(summary.sessions_written, fixture().summary.sessions_written);
    for name in [
        SHINY_FILE,
        VISITS_FILE,
        JOBS_FILE,
        CONTENT_FILE,
        USERS_FILE,
        METRICS_FILE,
    ] {
        let again = fs::read(other.path().join(name)).unwrap();
        assert!(
            read(name).as_bytes() == again.as_slice(),
            "{name} differs between runs"
        );
    }
    let names: Vec<_> = fs::read_dir(other.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 6, "no .tmp file left behind: {names:?}");
}

#[test]
fn sample_streaming_matches_full_shiny_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    let n = generate_shiny_usage_only(&SampleSpec::default(), &path).unwrap();
    assert_eq!(n, fixture().summary.sessions_written);
    assert!(fs::read_to_string(path).unwrap() == read(SHINY_FILE));
}

#[test]
fn sample_seed_changes_output() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SampleSpec {
        seed: 7,
        sessions: 2_000,
        days: 30,
        ..SampleSpec::default()
    };
    let path = dir.path().join("s.csv");
    generate_shiny_usage_only(&spec, &path).unwrap();
    assert!(fs::read_to_string(path).unwrap() != read(SHINY_FILE));
}

#[test]
fn sample_headers_are_the_export_headers() {
    let first = |name: &str| read(name).lines().next().unwrap().to_string();
    assert_eq!(
        first(SHINY_FILE),
        "content_guid,user_guid,started,ended,data_version"
    );
    assert_eq!(
        first(VISITS_FILE),
        r#""content_guid","user_guid","variant_key","time","rendering_id","bundle_id","path","data_version""#
    );
    assert!(first(JOBS_FILE).starts_with(r#""id","ppid","pid","key","remote_id","content_id""#));
    assert!(first(JOBS_FILE).ends_with(r#""hostname","cluster","image","run_as""#));
    assert!(
        first(CONTENT_FILE).starts_with(r#""guid","name","title","app_mode","content_category""#)
    );
    assert!(first(USERS_FILE).ends_with(r#""active_time","confirmed","locked","guid""#));
}

#[test]
fn sample_row_counts_are_in_range() {
    let s = &fixture().summary;
    assert!((18_500..=21_500).contains(&s.sessions_written), "{s:?}");
    assert!((8_000..=25_000).contains(&s.visits_written), "{s:?}");
    assert!((1_000..=30_000).contains(&s.jobs_written), "{s:?}");
    assert_eq!(rows(SHINY_FILE).len() as u64, s.sessions_written);
    assert_eq!(rows(CONTENT_FILE).len(), 30);
    assert_eq!(rows(USERS_FILE).len(), 120);
    assert_eq!(rows(METRICS_FILE).len() as u64, s.samples_written);
    assert!((5_000..=40_000).contains(&s.samples_written), "{s:?}");
}

#[test]
fn sample_sessions_are_in_start_order() {
    let starts: Vec<_> = rows(SHINY_FILE).iter().map(|r| rfc3339(&r[2])).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn sample_has_the_anomalies() {
    let rows = rows(SHINY_FILE);
    let n = rows.len() as f64;
    let open = rows.iter().filter(|r| r[3] == "NA").count() as f64;
    let anon = rows.iter().filter(|r| r[1] == "NA").count() as f64;
    let zero = rows.iter().filter(|r| r[2] == r[3]).count();
    assert!((0.002..0.01).contains(&(open / n)), "open {open}");
    assert!((0.015..0.045).contains(&(anon / n)), "anonymous {anon}");
    assert!((1..=40).contains(&zero), "zero-length {zero}");
    let mut seen: BTreeMap<&[String], usize> = BTreeMap::new();
    rows.iter()
        .for_each(|r| *seen.entry(r.as_slice()).or_default() += 1);
    let dups = seen.values().filter(|&&c| c > 1).count() as f64;
    assert!((0.002..0.01).contains(&(dups / n)), "duplicates {dups}");
}

#[test]
fn sample_has_health_checks_and_a_deleted_item() {
    let users = rows(USERS_FILE);
    let svc = users.iter().find(|u| u[1] == "svc-health-check").unwrap();
    assert_eq!(svc[4], "viewer");
    let sessions = rows(SHINY_FILE);
    let checks = sessions.iter().filter(|r| r[1] == svc[10]).count();
    assert!(checks >= 24 * 200, "{checks} health checks");
    let known: Vec<String> = rows(CONTENT_FILE)
        .into_iter()
        .map(|c| c[0].clone())
        .collect();
    let orphans = sessions.iter().filter(|r| !known.contains(&r[0])).count();
    assert_eq!(orphans, 2);
}

#[test]
fn sample_weekdays_are_busier_than_weekends() {
    let mut per = [0usize; 2];
    for r in rows(SHINY_FILE) {
        let t = rfc3339(&r[2]).with_timezone(&chrono_tz::America::New_York);
        per[usize::from(matches!(t.weekday(), Weekday::Sat | Weekday::Sun))] += 1;
    }
    // Per day: 5 weekdays vs 2 weekend days a week.
    assert!(per[0] as f64 / 5.0 > 3.0 * per[1] as f64 / 2.0, "{per:?}");
}

#[test]
fn sample_volume_grows() {
    let mut months: BTreeMap<u32, usize> = BTreeMap::new();
    for r in rows(SHINY_FILE) {
        *months.entry(rfc3339(&r[2]).month()).or_default() += 1;
    }
    // The default window ends 2024-09-01 00:00, so July is the last full month.
    let (first, last) = (months[&1], months[&7]);
    assert!(last as f64 > 1.2 * first as f64, "{months:?}");
}

#[test]
fn sample_content_exercises_escaping_and_settings() {
    let text = read(CONTENT_FILE);
    assert!(text.contains(r#""Q3 ""Board"" Pack, final""#));
    let content = rows(CONTENT_FILE);
    assert!(content
        .iter()
        .any(|c| c[2] == "Test app <script>alert(1)</script>"));
    let shiny = content.iter().filter(|c| c[3] == "shiny").count();
    assert_eq!(shiny, 12);
    assert!(content.iter().any(|c| c[5] == "2" && c[7] == "5"));
    assert!(content
        .iter()
        .any(|c| c[3] == "python-api" && c[6] == "1" && c[11] == "2147483648"));
    assert!(content.iter().any(|c| c[8] == "0.2"));
}

#[test]
fn sample_jobs_cover_every_class() {
    let jobs = rows(JOBS_FILE);
    let tags: std::collections::BTreeSet<&str> = jobs.iter().map(|j| j[16].as_str()).collect();
    for tag in [
        "run_app",
        "run_pyshiny_app",
        "run_dash_app",
        "run_streamlit",
        "run_python_api",
        "build_report",
        "python_restore",
    ] {
        assert!(tags.contains(tag), "no {tag} job in {tags:?}");
    }
    let active = jobs
        .iter()
        .filter(|j| j[18] == "0" && j[12] == "NA")
        .count();
    assert!(active >= 2, "{active} active jobs");
    let naive = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok();
    assert!(jobs
        .iter()
        .all(|j| naive(&j[11]) && (j[12] == "NA" || naive(&j[12]))));
    assert!(jobs.iter().all(|j| j[19] == "connect01"));
}

#[test]
fn sample_writes_a_tiny_spec() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SampleSpec {
        sessions: 10,
        days: 1,
        contents: 1,
        users: 1,
        ..SampleSpec::default()
    };
    let summary = generate(&spec, dir.path()).unwrap();
    assert_eq!(summary.files.len(), 6);
    assert!(summary.sessions_written <= 40, "{summary:?}");
}

#[test]
fn sample_popular_app_rejects_at_board_meetings() {
    let spec = SampleSpec::default();
    let (cat, rhythm) = world(&spec);
    let mut model = jobs::SessionJobs::new(&cat);
    let stream = SessionStream::new(
        &cat,
        &rhythm,
        spec.sessions,
        rng(spec.seed, Stream::Sessions),
    );
    stream.for_each(|s| model.observe(&s));
    assert!(
        (5..500).contains(&model.rejected),
        "{} rejected",
        model.rejected
    );
}

#[test]
fn sample_busy_shape_is_a_long_tailed_catalogue_of_many_users() {
    let spec = SampleSpec {
        sessions: 60_000,
        ..SampleSpec::of_shape(Shape::Busy)
    };
    assert_eq!((spec.contents, spec.users, spec.days), (400, 5_000, 400));
    let (cat, rhythm) = world(&spec);
    let stream = SessionStream::new(
        &cat,
        &rhythm,
        spec.sessions,
        rng(spec.seed, Stream::Sessions),
    );
    let mut per_content: BTreeMap<usize, u64> = BTreeMap::new();
    let mut per_user: BTreeMap<usize, u64> = BTreeMap::new();
    let mut total = 0u64;
    let (mut open, mut longest) = (0u64, 0i64);
    // A user's latest session (content, end), to find people on two apps at once.
    let mut latest: BTreeMap<usize, (usize, i64)> = BTreeMap::new();
    let mut on_two_apps = 0u64;
    for s in stream {
        if let Some(u) = s.user {
            if let Some(&(c, end)) = latest.get(&u) {
                on_two_apps += u64::from(c != s.content && end > s.started);
            }
            latest.insert(u, (s.content, s.ended));
        }
        total += 1;
        *per_content.entry(s.content).or_default() += 1;
        if let Some(u) = s.user {
            *per_user.entry(u).or_default() += 1;
        }
        open += u64::from(s.recorded_end.is_none());
        longest = longest.max(s.ended - s.started);
    }
    // Hundreds of items see sessions, but a few take most of them.
    assert!(per_content.len() >= 200, "{} items", per_content.len());
    let mut counts: Vec<u64> = per_content.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top10: u64 = counts.iter().take(10).sum();
    assert!(top10 * 2 > total, "top 10 items: {top10} of {total}");
    // Thousands of people, none of them (the health check aside) a large share.
    assert!(per_user.len() >= 3_000, "{} users", per_user.len());
    let busiest_person = per_user
        .iter()
        .filter(|(u, _)| **u != cat.svc)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    assert!(busiest_person * 20 < total, "{busiest_person} of {total}");
    // Some sessions still open, a tail of sessions lasting hours.
    assert!(
        open > 0 && longest >= 3 * 3600,
        "{open} open, longest {longest} s"
    );
    assert!(
        on_two_apps >= 100,
        "{on_two_apps} sessions overlap another app's"
    );
}

#[test]
fn sample_small_shape_is_the_default() {
    assert_eq!(SampleSpec::of_shape(Shape::Small), SampleSpec::default());
}
