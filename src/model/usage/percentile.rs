//! Percentiles over buckets (docs/metrics.md section 0): linear interpolation between order
//! statistics, numpy's default and R's type 7. Time percentiles of a concurrency series
//! are integer-exact and live in [`crate::model::usage::sweep::stats`].

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

/// The [`quantile_type7`] of `values` sorted ascending and mapped through `value` (which
/// must keep the order), found by selection in O(n) instead of a sort. `values` is
/// reordered. The two order statistics are mapped and interpolated exactly as
/// [`quantile_type7`] does, so the result is the same to the bit.
pub fn quantile_type7_selected(
    values: &mut [i64],
    q: f64,
    value: impl Fn(i64) -> f64,
) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (values.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let (_, &mut at_lo, above) = values.select_nth_unstable(lo);
    // The next order statistic is the least of those above (or the same one at the end).
    let at_hi = above.iter().copied().min().unwrap_or(at_lo);
    let (x_lo, x_hi) = (value(at_lo), value(at_hi));
    Some(x_lo + frac * (x_hi - x_lo))
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

    proptest::proptest! {
        /// Selection gives the bits of sorting, mapping and interpolating.
        #[test]
        fn selection_matches_the_sorted_quantile(
            mut v in proptest::collection::vec(-1_000_000_i64..1_000_000, 0..200),
            q in 0.0..=1.0_f64,
        ) {
            let to_s = |d: i64| d as f64 / 1e6;
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let mapped: Vec<f64> = sorted.into_iter().map(to_s).collect();
            let want = quantile_type7(&mapped, q);
            let got = quantile_type7_selected(&mut v, q, to_s);
            proptest::prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
        }
    }

    #[test]
    fn selection_handles_ends_and_bad_q() {
        let s = |d: i64| d as f64;
        assert_eq!(quantile_type7_selected(&mut [5, 1, 3], 0.0, s), Some(1.0));
        assert_eq!(quantile_type7_selected(&mut [5, 1, 3], 1.0, s), Some(5.0));
        // h = 2 x 0.75 = 1.5: halfway between 3 and 5.
        assert_eq!(quantile_type7_selected(&mut [5, 1, 3], 0.75, s), Some(4.0));
        assert_eq!(quantile_type7_selected(&mut [], 0.5, s), None);
        assert_eq!(quantile_type7_selected(&mut [1], 2.0, s), None);
    }
}
