//! The table writers: the formula guard (text cells only), typed cells in CSV, nulls.

use super::*;

#[test]
fn only_text_cells_starting_a_formula_are_guarded() {
    for (raw, cell) in [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@cmd", "'@cmd"),
        ("a=b", "a=b"),
        ("'=already", "'=already"),
        ("\tTab", "\tTab"),
    ] {
        assert_eq!(guard(raw), cell, "{raw}");
    }
    let table = Table {
        name: "t",
        columns: vec![
            column("n", Values::Int(vec![Some(-3), None])),
            column("x", Values::Float(vec![Some(-0.5), Some(2.0)])),
            column("s", Values::Text(vec![Some("-3".into()), None])),
            column(
                "d",
                Values::Date(vec![NaiveDate::from_ymd_opt(2024, 2, 29), None]),
            ),
            column(
                "t",
                Values::Timestamp(vec![Some(1_709_164_800_000_000), Some(1)]),
            ),
            column("b", Values::Bool(vec![Some(true), None])),
        ],
    };
    let mut out = Vec::new();
    write_csv(&table, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "n,x,s,d,t,b\n\
         -3,-0.5,'-3,2024-02-29,2024-02-29T00:00:00Z,true\n\
         ,2,,,1970-01-01T00:00:00.000001Z,\n"
    );
}

#[test]
fn an_empty_report_gives_every_table_with_its_columns_and_168_hour_slots() {
    let data = crate::ingest::Dataset::default();
    let report = crate::model::analyze(&data, &crate::model::Options::default()).unwrap();
    let tables = tables(&report);
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        ["days", "content", "hour_of_week", "months", "scenarios"]
    );
    let rows: Vec<usize> = tables.iter().map(Table::rows).collect();
    assert_eq!(rows, [0, 0, 168, 0, 0]);
    let how = &tables[2];
    let Values::Int(weekday) = &how.columns[0].values else {
        panic!("weekday is an integer column")
    };
    assert_eq!(weekday.first(), Some(&Some(1)));
    assert_eq!(weekday.last(), Some(&Some(7)));
    let Values::Float(mean) = &how.columns[2].values else {
        panic!("mean_sessions is a float column")
    };
    assert!(
        mean.iter().all(Option::is_none),
        "no profile: every slot null"
    );
}
