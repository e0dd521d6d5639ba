package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBucketBits sets the histogram's precision: each power of two is split
// into 2^subBucketBits buckets, so a recorded value is off by less than
// 1/128 (0.8 %) of itself.
const subBucketBits = 7

// histogramBuckets covers every non-negative int64.
const histogramBuckets = (63-subBucketBits)<<subBucketBits + 2<<subBucketBits

// histogram counts latencies in log-linear buckets (the HdrHistogram
// layout): fixed memory whatever the run's length, exact below 256 ns and
// within 0.8 % above. It is not safe for concurrent use; merge combines
// histograms once their writers are done.
type histogram struct {
	counts   [histogramBuckets]uint64
	total    uint64
	sum      uint64 // nanoseconds, for the mean
	min, max int64
}

// bucketOf returns the bucket of v >= 0.
func bucketOf(v int64) int {
	e := max(0, bits.Len64(uint64(v))-(subBucketBits+1))
	return e<<subBucketBits + int(v>>e)
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi int64) {
	e := max(0, i>>subBucketBits-1)
	top := int64(i - e<<subBucketBits)
	return top << e, (top+1)<<e - 1
}

// record counts one latency; negative ones count as zero.
func (h *histogram) record(d time.Duration) {
	v := max(0, int64(d))
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.total++
	h.sum += uint64(v)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// quantile returns the latency below or at which a fraction q of the
// recorded ones fall: the largest value of the bucket that holds the
// ceil(q·n)-th smallest, clamped to the recorded range (so never below the
// true quantile by more than the bucket's width).
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// mean returns the average latency.
func (h *histogram) mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}
