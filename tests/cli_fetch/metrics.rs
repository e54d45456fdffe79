//! `fetch` and job metrics (docs/inputs.md 3.3): samples written, a server without
//! the endpoint, items without samples, content whose collection is off, resumed runs,
//! `--metrics-from`, `--skip metrics`, and the lock that keeps two runs out of one folder.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::*;

const HEADER: &str =
    "\"timestamp\",\"cpu_fraction\",\"memory_bytes\",\"connections\",\"process_id\",\"content_guid\",\"job_key\"";

fn sample(t: &str, cpu: f64, mem: u64, conns: Option<u64>) -> Value {
    json!({"timestamp": t, "cpu_fraction": cpu, "memory_bytes": mem,
           "connections": conns, "process_id": 48211})
}

fn plus(t: &str, secs: i64) -> String {
    rfc(chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp() + secs)
}

/// The world's jobs as JSON.
fn jobs_json(w: &World) -> Vec<Value> {
    w.jobs.iter().map(to_json).collect()
}

fn job_of(w: &World, key: &str) -> Value {
    jobs_json(w).into_iter().find(|j| j["key"] == key).unwrap()
}

/// The world's server with metrics: every job of items 0 and 1 has two samples (a minute
/// and two after it started; the second without `connections`), except job `key1x3`,
/// purged (404); item 2's collection is off (its samples must never be asked); item 3
/// collects but has no samples. Item 0's `key0x9` is still running.
fn metrics_data(w: &World) -> Data {
    let mut d = data_of(w);
    d.content[0]["metrics_collection_enabled"] = json!(true);
    d.content[2]["metrics_collection_enabled"] = json!(false);
    let mut m = BTreeMap::new();
    for j in jobs_json(w) {
        let key = j["key"].as_str().unwrap().to_string();
        let st = j["start_time"].as_str().unwrap();
        let samples = if key.as_bytes()[3] == b'3' {
            vec![]
        } else {
            vec![
                sample(&plus(st, 60), 0.42, 2_147_483_648, Some(3)),
                sample(&plus(st, 120), 0.05, 2_149_580_800, None),
            ]
        };
        if key != "key1x3" {
            m.insert(key, samples);
        }
    }
    d.metrics = Some(m);
    d
}

fn asked(m: &Mock) -> Vec<Req> {
    requests_to(&m.log(), "/metrics")
        .into_iter()
        .cloned()
        .collect()
}

fn state(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("fetch-state.json")).unwrap()).unwrap()
}

fn done(out: &Path, item: usize) -> Vec<String> {
    let s = state(out);
    let v = &s["endpoints"]["job_metrics"]["done"][cguid(item)];
    v.as_array()
        .map(|a| a.iter().map(|k| k.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn job_metrics_are_fetched_for_interactive_jobs_of_collecting_content() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    let asked = asked(&m);
    // Items 0, 1 and 3 have ten interactive jobs each; item 2's collection is off.
    assert_eq!(asked.len(), 30, "{}", stderr(&o));
    assert!(asked.iter().all(|r| !r.path.contains(&cguid(2))));
    // Each job is asked over its run: from its start to its end.
    let first = job_of(&w, "key0x0");
    let r = asked
        .iter()
        .find(|r| r.path == format!("/__api__/v1/content/{}/jobs/key0x0/metrics", cguid(0)))
        .unwrap();
    assert_eq!(r.param("from"), first["start_time"].as_str());
    assert_eq!(r.param("to"), first["end_time"].as_str());
    // Ten jobs of item 0 and nine of item 1 (key1x3 is purged), two samples each.
    let file = out.path().join("job_metrics.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().next(), Some(HEADER));
    assert_eq!(lines(&file).len(), 38);
    let st = first["start_time"].as_str().unwrap();
    let c0 = cguid(0);
    for row in [
        format!(
            "{},0.42,2147483648,3,48211,\"{c0}\",\"key0x0\"\n",
            plus(st, 60)
        ),
        format!(
            "{},0.05,2149580800,NA,48211,\"{c0}\",\"key0x0\"\n",
            plus(st, 120)
        ),
    ] {
        assert!(text.contains(&row), "{row} not in\n{text}");
    }
    // Finished jobs are recorded, with or without samples; the running key0x9 is not.
    let d0 = done(out.path(), 0);
    assert_eq!(d0.len(), 9);
    assert!(!d0.contains(&"key0x9".to_string()));
    assert_eq!(done(out.path(), 1).len(), 10);
    assert_eq!(done(out.path(), 3).len(), 10);
    assert!(done(out.path(), 2).is_empty());
    let e = stderr(&o);
    assert!(
        e.contains("job metrics: asking 30 jobs")
            && e.contains("job metrics: 38 samples of 30 jobs fetched, 38 rows in job_metrics.csv"),
        "{e}"
    );
    // "Not measured" is said once, naming the items and how to turn collection on.
    assert_eq!(e.matches("not measured").count(), 1, "{e}");
    assert!(
        e.contains("1 item returned no samples (app-3)")
            && e.contains("metrics collection is off for 1 item, not asked (app-2)")
            && e.contains("Applications.MetricsCollectionEnabled"),
        "{e}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["job_metrics.csv", "fetch-state.json", ".fetch.lock"] {
            let mode = std::fs::metadata(out.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    assert_no_key_in_files(out.path());
}

#[test]
fn a_resumed_run_asks_only_running_jobs_and_never_a_finished_one_again() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    ok(&fetch(&m, out.path(), &[]));
    m.clear_log();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    let keys = |m: &Mock| -> Vec<String> {
        asked(m)
            .iter()
            .map(|r| r.path.rsplit('/').nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&m), ["key0x9"]);
    assert!(
        stderr(&o).contains("29 finished jobs fetched before, not asked again"),
        "{}",
        stderr(&o)
    );
    // Its samples came again and replaced their copies.
    let file = out.path().join("job_metrics.csv");
    assert_eq!(lines(&file).len(), 38);
    // The job ends and one more sample comes in: the next run asks it once more.
    let st = job_of(&w, "key0x9")["start_time"]
        .as_str()
        .unwrap()
        .to_string();
    m.edit(|d| {
        let jobs = d.jobs.get_mut(&cguid(0)).unwrap();
        let j = jobs.iter_mut().find(|j| j["key"] == "key0x9").unwrap();
        j["end_time"] = json!(plus(&st, 7200));
        j["status"] = json!(2);
        j["exit_code"] = json!(0);
        let s = d.metrics.as_mut().unwrap().get_mut("key0x9").unwrap();
        s.push(sample(&plus(&st, 180), 1.0, 1_073_741_824, Some(0)));
    });
    m.clear_log();
    ok(&fetch(&m, out.path(), &[]));
    assert_eq!(keys(&m), ["key0x9"]);
    assert_eq!(lines(&file).len(), 39);
    assert_eq!(done(out.path(), 0).len(), 10);
    // Every job is done: nothing is asked any more.
    m.clear_log();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    assert!(keys(&m).is_empty());
    assert!(stderr(&o).contains("30 finished jobs fetched before"));
    assert_eq!(lines(&file).len(), 39);
}

#[test]
fn a_server_without_the_metrics_endpoint_is_not_measured_and_asked_again_later() {
    let w = world();
    let m = Mock::start(data_of(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        m.clear_log();
        let o = fetch(&m, out.path(), &[]);
        ok(&o);
        // Three 404s with no answer before them: the server lacks the endpoint.
        assert_eq!(asked(&m).len(), 3);
        let e = stderr(&o);
        assert!(
            e.contains("not measured: this server has no job metrics endpoint")
                && e.contains("for 4 items (app-0, app-1, app-2, app-3)")
                && e.contains("Applications.MetricsCollectionEnabled"),
            "{e}"
        );
        assert!(!out.path().join("job_metrics.csv").exists());
        assert!(done(out.path(), 0).is_empty());
    }
}

#[test]
fn a_404_after_an_earlier_answer_is_one_purged_job_not_a_missing_endpoint() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    ok(&fetch(&m, out.path(), &[]));
    // The one job still asked (running) is gone from the server now.
    m.edit(|d| {
        d.metrics.as_mut().unwrap().remove("key0x9");
    });
    m.clear_log();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    assert_eq!(asked(&m).len(), 1);
    let e = stderr(&o);
    assert!(!e.contains("no job metrics endpoint"), "{e}");
    // Item 0 holds samples from earlier jobs: it is measured.
    assert!(!e.contains("returned no samples"), "{e}");
    assert_eq!(lines(&out.path().join("job_metrics.csv")).len(), 38);
}

#[test]
fn skip_metrics_asks_nothing_and_writes_nothing() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &["--skip", "metrics"]);
    ok(&o);
    assert!(asked(&m).is_empty());
    assert!(!out.path().join("job_metrics.csv").exists());
    assert!(!stderr(&o).contains("job metrics"), "{}", stderr(&o));
    assert!(out.path().join("jobs.csv").exists());
}

#[test]
fn metrics_from_bounds_the_first_run_and_every_later_one() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    ok(&fetch(&m, out.path(), &["--metrics-from", "2024-03-06"]));
    // Jobs start on 1 to 10 March between 08:00 and 09:00 and run at most 8 hours: those
    // of 6 to 10 March reach the bound, five per item (items 0, 1, 3).
    let a = asked(&m);
    assert_eq!(a.len(), 15);
    assert!(a
        .iter()
        .all(|r| r.param("from").unwrap() >= "2024-03-06T00:00:00Z"));
    let s = state(out.path());
    assert_eq!(
        s["endpoints"]["job_metrics"]["since"],
        json!("2024-03-06T00:00:00Z")
    );
    // A later run without the flag keeps the bound: only the running job is asked.
    m.clear_log();
    ok(&fetch(&m, out.path(), &[]));
    assert_eq!(asked(&m).len(), 1);
}

#[test]
fn a_failed_run_keeps_the_samples_it_fetched_and_the_rerun_asks_only_the_rest() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    // Newest first: item 3's key3x9 is asked first, then item 2's (skipped), 1's, 0's.
    m.set_hook(Some(Box::new(|r: &Req| {
        r.path
            .ends_with("/jobs/key0x5/metrics")
            .then(|| Resp::json(500, &json!({"error": "boom"})))
    })));
    let o = fetch(&m, out.path(), &["--retries", "0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("key0x5/metrics"), "{}", stderr(&o));
    let file = out.path().join("job_metrics.csv");
    let before = lines(&file).len();
    assert!(before > 0);
    let done_before: usize = [0, 1, 3].iter().map(|&i| done(out.path(), i).len()).sum();
    assert!(done_before > 0 && done_before < 29, "{done_before}");
    m.set_hook(None);
    m.clear_log();
    ok(&fetch(&m, out.path(), &[]));
    // Only the jobs not done yet, plus the running one.
    assert_eq!(asked(&m).len(), 29 - done_before + 1);
    assert_eq!(lines(&file).len(), 38);
}

/// Entries of a folder with their sizes and modification times.
fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let md = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                md.len(),
                md.modified().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_second_fetch_into_a_locked_folder_stops_without_touching_it() {
    let w = world();
    let m = Mock::start(metrics_data(&w), KEY);
    let out = tempfile::tempdir().unwrap();
    ok(&fetch(&m, out.path(), &[]));
    // The first run blocks inside the server (on the content list) while holding the
    // folder; the second starts then.
    let (entered, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (e2, r2) = (entered.clone(), release.clone());
    m.set_hook(Some(Box::new(move |r: &Req| {
        if r.path == "/__api__/v1/content" {
            e2.store(true, Ordering::SeqCst);
            let t = Instant::now();
            while !r2.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        None
    })));
    let mut first = command(KEY)
        .args(fetch_args(&m, out.path()))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !entered.load(Ordering::SeqCst) {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the first run never got going"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let files = snapshot(out.path());
    let second = fetch(&m, out.path(), &[]);
    assert_eq!(second.status.code(), Some(1));
    let e = stderr(&second);
    assert!(
        e.contains("another fetch is running on this folder") && e.contains(".fetch.lock"),
        "{e}"
    );
    assert_eq!(
        snapshot(out.path()),
        files,
        "the second run changed the folder"
    );
    release.store(true, Ordering::SeqCst);
    let status = first.wait().unwrap();
    let mut err = String::new();
    first
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{err}");
    // Once the first has ended, the folder is free again.
    m.set_hook(None);
    ok(&fetch(&m, out.path(), &[]));
}
