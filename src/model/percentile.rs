//! Percentiles over buckets (metrics.md section 0): linear interpolation between order
//! statistics, numpy's default and R's type 7. Time percentiles of a concurrency series
//! are integer-exact and live in [`crate::model::sweep::stats`].

/// The `q`-quantile (`0 <= q <= 1`) of an ascending slice, interpolating linearly between
/// order statistics: with `h = (n - 1) * q`, the result is
/// `x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])`.
///
/// `None` for an empty slice or a `q` outside `[0, 1]` (or NaN). The slice must already
/// be sorted ascending; it is not checked.
pub fn quantile_type7(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = h - lo as f64;
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn matches_numpy_linear() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1, 2, 3, 4], [0, 50, 95, 100]) == [1, 2.5, 3.85, 4]
        assert_relative_eq!(quantile_type7(&x, 0.0).unwrap(), 1.0);
        assert_relative_eq!(quantile_type7(&x, 0.5).unwrap(), 2.5);
        assert_relative_eq!(quantile_type7(&x, 0.95).unwrap(), 3.85, epsilon = 1e-12);
        assert_relative_eq!(quantile_type7(&x, 1.0).unwrap(), 4.0);
    }

    #[test]
    fn single_value_and_empty() {
        assert_relative_eq!(quantile_type7(&[7.0], 0.95).unwrap(), 7.0);
        assert_eq!(quantile_type7(&[], 0.5), None);
        assert_eq!(quantile_type7(&[1.0], 1.5), None);
        assert_eq!(quantile_type7(&[1.0], f64::NAN), None);
    }
}
