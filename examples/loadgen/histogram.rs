//! A latency histogram cheap enough to record millions of values a second:
//! log-linear buckets (32 per power of two, so any percentile is within
//! about 3 % of the truth), plus the exact maximum.

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;

/// Counts of nanosecond values.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Records one value.
    pub fn record(&mut self, value: u64) {
        self.counts[index(value)] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value recorded (0 if none).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value below which a fraction `q` (0..=1) of the values lie: the
    /// midpoint of the bucket holding it, never above the maximum.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bounds(i);
                return (low + (high - low) / 2).min(self.max);
            }
        }
        self.max
    }
}

/// Values below `SUB` get a bucket each; above, each power of two is cut
/// into `SUB` equal parts.
fn index(value: u64) -> usize {
    if value < SUB as u64 {
        return value as usize;
    }
    let exp = 63 - value.leading_zeros(); // >= SUB_BITS
    let sub = (value >> (exp - SUB_BITS)) as usize & (SUB - 1);
    (exp - SUB_BITS + 1) as usize * SUB + sub
}

/// The values bucket `i` holds, as `low..=high`.
fn bounds(i: usize) -> (u64, u64) {
    if i < SUB {
        return (i as u64, i as u64);
    }
    let exp = (i / SUB) as u32 + SUB_BITS - 1;
    let width = 1u64 << (exp - SUB_BITS);
    let low = (1u64 << exp) + (i % SUB) as u64 * width;
    (low, low + (width - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_their_values() {
        for value in (0..100_000u64).chain([u64::MAX / 3, u64::MAX]) {
            let (low, high) = bounds(index(value));
            assert!(low <= value && value <= high, "{value}: {low}..={high}");
        }
    }

    #[test]
    fn quantiles_are_within_a_few_percent() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 / 5_000_000.0 - 1.0).abs() < 0.04, "{p50}");
        assert!((p99 / 9_900_000.0 - 1.0).abs() < 0.04, "{p99}");
        assert_eq!(h.max(), 10_000_000);
        assert_eq!(h.quantile(1.0), 10_000_000);
    }
}
