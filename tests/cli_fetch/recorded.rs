//! `fetch` against real recorded payloads (tests/fixtures/recorded, PROVENANCE.md there),
//! replayed byte for byte: their field order, nulls, ids as strings or numbers, times
//! with offsets and fractions, `//` headers stripped as a recording's annotation, and the
//! Connect 2024.08 jobs that carry neither `content_guid` nor `app_guid`. Each expected
//! row below was written by hand from the payload.

use mock::Replay;

use super::*;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    // The recordings open with `//` comment lines naming the request; a server sends
    // only what follows.
    text.lines()
        .skip_while(|l| l.trim_start().starts_with("//") || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn at(path: &str, file: &str) -> Replay {
    Replay {
        path: format!("/__api__{path}"),
        param: None,
        body: fixture(file),
    }
}

fn at_param(path: &str, k: &str, v: &str, file: &str) -> Replay {
    Replay {
        param: Some((k.into(), v.into())),
        ..at(path, file)
    }
}

/// The shiny/usage and visits pages of posit-sdk-py: a second page behind `next`.
fn usage_pages() -> Vec<Replay> {
    let next = "23948901087";
    let shiny = "/v1/instrumentation/shiny/usage";
    let visits = "/v1/instrumentation/content/visits";
    vec![
        at_param(shiny, "next", next, "posit-sdk-py/shiny-usage-page2.json"),
        at(shiny, "posit-sdk-py/shiny-usage-page1.json"),
        at_param(visits, "next", next, "posit-sdk-py/visits-page2.json"),
        at(visits, "posit-sdk-py/visits-page1.json"),
    ]
}

const SHINY_APP: &str = "39c8d85a-37ae-4b8b-8655-30a06adff2f1";
const STREAMLIT: &str = "93a3cd6d-5a1b-236c-9808-6045f2a73fb5";

fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap()
}

#[test]
fn connect_2024_08_payloads_fetch_into_the_expected_rows() {
    let mut replay = vec![
        at("/v1/content", "connectapi/2024.08-content.json"),
        at(
            &format!("/v1/content/{SHINY_APP}/jobs"),
            "connectapi/2024.08-jobs-8f37d6e0.json",
        ),
    ];
    for page in 1..=3 {
        replay.push(at_param(
            "/v1/users",
            "page_number",
            &page.to_string(),
            &format!("connectapi/2024.08-users-page{page}.json"),
        ));
    }
    replay.extend(usage_pages());
    let data = Data {
        version: Some("2024.08.0".into()),
        has_visits: true,
        replay,
        ..Default::default()
    };
    let m = Mock::start(data, KEY);
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &[]);
    ok(&o);
    let e = stderr(&o);
    // The six jobs were asked by the shiny item's GUID and carry none: all are kept, with
    // that GUID, and content_id from app_id. The streamlit item has no recorded jobs (404).
    assert!(
        e.contains(
            "jobs: 6 jobs of 2 on-demand items fetched, 6 rows in jobs.csv; 1 items skipped"
        ),
        "{e}"
    );
    assert!(!e.contains("content_guid is missing"), "{e}");
    let jobs = read(out.path(), "jobs.csv");
    assert_eq!(jobs.lines().count(), 7);
    assert!(jobs.contains(&format!(
        "\"40097386\",\"2516489\",\"2516505\",\"mxPGVOMVk6f8dso2\",NA,\"52389\",\"{SHINY_APP}\",\
         \"0\",\"127015\",2024-11-25T22:26:14Z,2024-11-25T23:25:39Z,2024-11-25T23:25:36Z,NA,NA,\
         \"run_app\",0,2,\"dogfood02\",NA,NA,\"rstudio-connect\"\n"
    )));
    // A finalised job whose end was never recorded stays without one.
    assert!(jobs.contains(
        "\"QBZ5jkKfmf9iT9k8\",NA,\"52389\",\"39c8d85a-37ae-4b8b-8655-30a06adff2f1\",\"0\",\
         \"127015\",2024-11-25T22:17:42Z,NA,2024-11-25T22:20:23Z,NA,NA,\"run_app\",NA,2,"
    ));
    // Content: three items, the shiny one with its recorded fields (an empty
    // content_category is NA, as every empty text); collection unset.
    let content = read(out.path(), "content.csv");
    assert_eq!(content.lines().count(), 4);
    assert!(content.contains(&format!(
        "\"{SHINY_APP}\",\"team-admin-dashboard\",\"Team admin dashboard\",\"shiny\",NA,\
         \"a01792e3-2e67-402e-99af-be04a48da074\",NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,\
         \"3.5.3\",NA,NA,2020-02-23T20:28:20Z,2020-10-13T21:11:24Z,NA\n"
    )));
    // Users: three over two pages (the third, empty, is not needed: total is 3).
    let users = read(out.path(), "users.csv");
    assert_eq!(users.lines().count(), 4);
    assert!(users.contains(
        "\"20a79ce3-6e87-4522-9faf-be24228800a4\",\"carlos12\",\"carlos@connect.example\",\
         \"Carlos\",\"User\",\"publisher\",2019-09-09T15:24:32Z,2022-03-02T20:25:06Z,\
         2020-05-11T16:58:45Z,TRUE,FALSE\n"
    ));
    // posit-sdk-py's usage pages: 18:00-05:00 is 23:00Z; ids sent as numbers are text.
    assert_eq!(
        read(out.path(), "shiny_usage.csv").lines().nth(1),
        Some(
            "\"bd1d2285-6c80-49af-8a83-a200effe3cb3\",\"08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2\",\
             2018-09-15T23:00:00Z,2018-09-15T23:01:00Z,1"
        )
    );
    assert_eq!(
        read(out.path(), "content_visits.csv").lines().nth(1),
        Some(
            "\"bd1d2285-6c80-49af-8a83-a200effe3cb3\",\"08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2\",\
             \"HidI2Kwq\",2018-09-15T23:00:00Z,\"7\",\"33\",\"/logs\",NA,1"
        )
    );
    // The recorded server has no metrics endpoint: the run jobs were asked, 404, noted.
    assert!(e.contains("no job metrics endpoint"), "{e}");
    let rows = rows_by_kind(&ingest_dir(out.path()));
    assert_eq!(rows.get("Jobs"), Some(&6));
    assert_eq!(rows.get("Users"), Some(&3));
    assert_eq!(rows.get("Content"), Some(&3));
    assert_eq!(rows.get("ShinyUsage"), Some(&1));
}

#[test]
fn connect_2025_payloads_and_posit_sdk_py_fixtures_fetch_into_the_expected_rows() {
    let mut replay = vec![
        at("/v1/content", "posit-sdk-py/content.json"),
        // The 2025.01 jobs carry their own (short) content_guid, kept as sent.
        at(
            &format!("/v1/content/{STREAMLIT}/jobs"),
            "connectapi/2025.01-jobs-8f37d6e0.json",
        ),
        // posit-sdk-py's one job: a Kubernetes render with offset times, no content_guid.
        at(
            &format!("/v1/content/{SHINY_APP}/jobs"),
            "posit-sdk-py/jobs-f2f37341.json",
        ),
        at(
            "/v1/instrumentation/content/hits",
            "connectapi/2025.04-hits.json",
        ),
    ];
    for page in 1..=2 {
        replay.push(at_param(
            "/v1/users",
            "page_number",
            &page.to_string(),
            &format!("posit-sdk-py/users-page{page}.jsonc"),
        ));
    }
    replay.extend(usage_pages());
    let data = Data {
        version: Some("2025.04.0".into()),
        has_visits: true,
        replay,
        ..Default::default()
    };
    let m = Mock::start(data, KEY);
    let out = tempfile::tempdir().unwrap();
    let o = fetch(&m, out.path(), &["--hits"]);
    ok(&o);
    let e = stderr(&o);
    assert!(
        e.contains("jobs: 7 jobs of 2 on-demand items fetched, 7 rows in jobs.csv"),
        "{e}"
    );
    let jobs = read(out.path(), "jobs.csv");
    assert!(
        jobs.contains(
            "\"40080413\",\"2321337\",\"2321354\",\"EzxM4sBYJrLSMHg9\",NA,\"52389\",\"8f37d6e0\","
        ),
        "{jobs}"
    );
    // 15:04:05-07:00 is 22:04:05Z; the remote id, queue and image are kept.
    assert!(
        jobs.contains(&format!(
            "\"54\",\"20253\",\"20253\",\"tHawGvHZTosJA2Dx\",\
         \"S3ViZXJuZXRlczpyZW5kZXItci1tYXJrZG93bi1zaXRlLWtnODJo\",\"54\",\"{SHINY_APP}\",\"54\",\
         \"54\",2006-01-02T22:04:05Z,2006-01-02T22:04:05Z,2006-01-02T22:04:05Z,\
         2006-01-02T22:04:05Z,\"default\",\"build_report\",0,0,\"connect\",\"Kubernetes\",\
         \"someorg/image:jammy\",\"rstudio-connect\"\n"
        )),
        "{jobs}"
    );
    // Hits: numeric ids as text, six fractional digits kept, null paths NA.
    let hits = read(out.path(), "content_hits.csv");
    assert_eq!(hits.lines().count(), 6);
    assert!(
        hits.contains(
            "\"8967206\",NA,\"475618c9\",2025-04-30T13:01:47.407380Z,\"/chinchilla\",\
         \"Datadog/Synthetics\"\n"
        ),
        "{hits}"
    );
    assert!(
        hits.contains("\"8966214\",\"fecbd383\",\"b0eaf295\",2025-04-30T12:36:13.818466Z,NA,NA\n")
    );
    assert_eq!(read(out.path(), "users.csv").lines().count(), 4);
    // The interactive jobs name content not in the list (8f37d6e0), the listed item's job
    // is a render: no job metrics to ask, and no file.
    assert!(e.contains("job metrics: no jobs to ask"), "{e}");
    assert!(!out.path().join("job_metrics.csv").exists());
}
