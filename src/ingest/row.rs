//! Typed access to the fields of one CSV record, by column.
//!
//! A [`Col`] is a column found in the header (its raw field index and its name, for error
//! messages). [`Row`] reads a field as text, timestamp, integer, float or boolean; a null
//! token (see [`super::reader::is_null`]) is `None`, and a required value that is null is an
//! error. Parse failures are [`FieldError`]s that the caller turns into
//! `path:line: column 'x': ...` errors or lenient skips.

use std::path::Path;

use chrono_tz::Tz;
use csv::StringRecord;

use super::detect::Header;
use super::reader::{is_null, parse_bool, parse_float, parse_int};
use super::timestamp::{parse_timestamp, LocalAdjust};
use super::{Kind, Micros};
use crate::{Error, Result};

/// A column of the header: raw field index and name.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    /// Raw field index (the row-index column, if any, counts).
    pub idx: usize,
    /// Column name, for messages.
    pub name: &'static str,
}

impl Col {
    /// The column `name`, if the header has it.
    pub fn find(header: &Header, name: &'static str) -> Option<Col> {
        header.index(name).map(|idx| Col { idx, name })
    }

    /// The column `name`, or an error naming the file, the column and the kind.
    pub fn require(header: &Header, name: &'static str, path: &Path, kind: Kind) -> Result<Col> {
        Col::find(header, name).ok_or_else(|| {
            let msg = format!(
                "required column is missing from this {} export (header: {})",
                kind.label(),
                header.display()
            );
            Error::data(path, 1, name, msg)
        })
    }
}

/// A value that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The column holding the bad value.
    pub column: &'static str,
    /// What is wrong (without the "pass --lenient" hint).
    pub message: String,
}

/// Result of reading one field.
pub type FieldResult<T> = std::result::Result<T, FieldError>;

/// A naive local time (one without an offset, read in the input zone), noted while
/// reading a row with the DST adjustment it needed, if any.
#[derive(Debug, Clone, Copy)]
pub struct Adjusted {
    /// Gap or overlap.
    pub adjust: LocalAdjust,
    /// The column.
    pub col: Col,
}

/// One record, read with the input zone of its file.
pub struct Row<'r> {
    rec: &'r StringRecord,
    zone: Tz,
    adjusted: &'r mut Vec<Adjusted>,
}

impl<'r> Row<'r> {
    /// Wraps `rec`; naive times (with their DST adjustments) are appended to `adjusted`.
    pub fn new(rec: &'r StringRecord, zone: Tz, adjusted: &'r mut Vec<Adjusted>) -> Self {
        Row {
            rec,
            zone,
            adjusted,
        }
    }

    /// The raw text of a column.
    pub fn raw(&self, col: Col) -> &'r str {
        self.rec.get(col.idx).unwrap_or("")
    }

    /// The text of a column, `None` when the column is absent or the value null.
    pub fn text(&self, col: Option<Col>) -> Option<&'r str> {
        col.map(|c| self.raw(c)).filter(|s| !is_null(s))
    }

    /// The text of a column that must hold a value.
    pub fn required_text(&self, col: Col) -> FieldResult<&'r str> {
        self.text(Some(col)).ok_or_else(|| FieldError {
            column: col.name,
            message: format!("empty value ('{}'); a value is required", self.raw(col)),
        })
    }

    /// An owned copy of a text column (for rarely repeated strings such as names).
    pub fn boxed(&self, col: Option<Col>) -> Option<Box<str>> {
        self.text(col).map(Box::from)
    }

    /// A timestamp; naive values are read in the row's zone.
    pub fn time(&mut self, col: Option<Col>) -> FieldResult<Option<Micros>> {
        let (Some(c), Some(s)) = (col, self.text(col)) else {
            return Ok(None);
        };
        let parsed = parse_timestamp(s, self.zone).map_err(|message| FieldError {
            column: c.name,
            message,
        })?;
        if parsed.naive {
            self.adjusted.push(Adjusted {
                adjust: parsed.adjust,
                col: c,
            });
        }
        Ok(Some(parsed.micros))
    }

    /// A timestamp that must be present.
    pub fn required_time(&mut self, col: Col) -> FieldResult<Micros> {
        self.required_text(col)?;
        self.time(Some(col)).map(|t| t.unwrap_or_default())
    }

    /// An integer (`3` or `3.0`).
    pub fn int(&self, col: Option<Col>) -> FieldResult<Option<i64>> {
        self.typed(col, parse_int)
    }

    /// A floating-point number.
    pub fn float(&self, col: Option<Col>) -> FieldResult<Option<f64>> {
        self.typed(col, parse_float)
    }

    /// A boolean.
    pub fn bool(&self, col: Option<Col>) -> FieldResult<Option<bool>> {
        self.typed(col, parse_bool)
    }

    /// `data_version`: 0 when absent, an error when it does not fit an `i32`.
    pub fn data_version(&self, col: Option<Col>) -> FieldResult<i32> {
        let Some(v) = self.int(col)? else {
            return Ok(0);
        };
        i32::try_from(v).map_err(|_| FieldError {
            column: "data_version",
            message: format!("data_version {v} is out of range"),
        })
    }

    fn typed<T>(
        &self,
        col: Option<Col>,
        parse: fn(&str) -> std::result::Result<T, String>,
    ) -> FieldResult<Option<T>> {
        let (Some(c), Some(s)) = (col, self.text(col)) else {
            return Ok(None);
        };
        parse(s).map(Some).map_err(|message| FieldError {
            column: c.name,
            message,
        })
    }
}
