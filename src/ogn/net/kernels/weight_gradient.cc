// Weight gradient of a dense layer applied to many rows: out = x^T g, contracting over rows.
//
// x (rows, m) and g (rows, n) are row-major float32; out is (m, n). The rows are split into one
// contiguous part per thread of XLA's intra-op pool (the FFI's ThreadPool: the threads XLA's own
// kernels use, sized to the job). The calling thread and pool tasks claim parts until none are
// left, each reducing its part in chunks that stay in cache; the caller then waits only for parts
// already being computed, so a busy pool never blocks it. Partial results are summed in part
// order, so the result does not depend on which thread took which part. The
// register tile is 8 rows of x^T by 32 columns of g: 16 vector accumulators of 16 floats (GCC
// vector extensions: AVX-512 where -march=native has it, two AVX2 registers each otherwise).
// Called from JAX through the XLA FFI (ogn.kernels); m must be a multiple of 8 and n of 32.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

typedef float v16 __attribute__((vector_size(64)));

constexpr int64_t kTileRows = 8;      // of x^T (columns of x)
constexpr int64_t kTileCols = 32;     // of g: two vectors of 16
constexpr int64_t kChunk = 2048;      // rows of x and g swept by every tile before moving on

inline v16 load(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void add_store(float* p, v16 v) {
  v16 old = load(p);
  old += v;
  std::memcpy(p, &old, sizeof(old));
}

// out (m x n, zeroed by the caller) += x[r0:r1]^T g[r0:r1]
void accumulate(const float* x, const float* g, int64_t m, int64_t n, int64_t r0, int64_t r1,
                float* out) {
  for (int64_t c0 = r0; c0 < r1; c0 += kChunk) {
    const int64_t c1 = std::min(c0 + kChunk, r1);
    for (int64_t j0 = 0; j0 < n; j0 += kTileCols) {
      for (int64_t i0 = 0; i0 < m; i0 += kTileRows) {
        v16 acc[kTileRows][2] = {};
        for (int64_t r = c0; r < c1; ++r) {
          const float* gr = g + r * n + j0;
          const float* xr = x + r * m + i0;
          const v16 g0 = load(gr), g1 = load(gr + 16);
          for (int a = 0; a < kTileRows; ++a) {
            const float xa = xr[a];
            acc[a][0] += xa * g0;
            acc[a][1] += xa * g1;
          }
        }
        for (int a = 0; a < kTileRows; ++a) {
          add_store(out + (i0 + a) * n + j0, acc[a][0]);
          add_store(out + (i0 + a) * n + j0 + 16, acc[a][1]);
        }
      }
    }
  }
}

// The parts of one call; shared with pool tasks, which may start after the call has returned.
struct Parts {
  const float* x;
  const float* g;
  int64_t rows, m, n, count, share;
  std::vector<std::vector<float>> partial;
  std::atomic<int64_t> next{0}, done{0};

  // Compute unclaimed parts until none are left.
  void work() {
    for (int64_t p = next.fetch_add(1); p < count; p = next.fetch_add(1)) {
      const int64_t r0 = std::min(rows, p * share), r1 = std::min(rows, (p + 1) * share);
      accumulate(x, g, m, n, r0, r1, partial[p].data());
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

ffi::Error WeightGradientImpl(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> x,
                              ffi::Buffer<ffi::F32> g, ffi::ResultBuffer<ffi::F32> out) {
  const auto xd = x.dimensions();
  const auto gd = g.dimensions();
  if (xd.size() != 2 || gd.size() != 2 || xd[0] != gd[0]) {
    return ffi::Error::InvalidArgument("weight_gradient: x (rows, m) and g (rows, n) needed");
  }
  const int64_t rows = xd[0], m = xd[1], n = gd[1];
  if (m % kTileRows != 0 || n % kTileCols != 0) {
    return ffi::Error::InvalidArgument("weight_gradient: m must be a multiple of 8, n of 32");
  }
  auto parts = std::make_shared<Parts>();
  parts->x = x.typed_data();
  parts->g = g.typed_data();
  parts->rows = rows;
  parts->m = m;
  parts->n = n;
  parts->count = std::clamp<int64_t>(pool.num_threads(), 1, rows / kChunk + 1);
  parts->share = (rows + parts->count - 1) / parts->count;
  parts->partial.assign(parts->count, std::vector<float>(m * n, 0.0f));
  for (int64_t t = 1; t < parts->count; ++t) {
    pool.Schedule([parts] { parts->work(); });
  }
  parts->work();
  while (parts->done.load(std::memory_order_acquire) < parts->count) {
    std::this_thread::yield();  // parts claimed by pool threads, being computed now
  }
  float* result = out->typed_data();
  for (int64_t k = 0; k < m * n; ++k) {
    float sum = 0.0f;
    for (int64_t p = 0; p < parts->count; ++p) sum += parts->partial[p][k];
    result[k] = sum;
  }
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(OgnWeightGradient, WeightGradientImpl,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>());
